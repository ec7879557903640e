#pragma once
// Writing a file so that readers see the old content or the new, never a part: the bytes go
// to a temporary file beside it, which is fsynced and renamed over it, and the folder is
// fsynced so that the rename survives a power cut. A full disk, a quota or an I/O error is one
// std::runtime_error naming the file and the errno; the temporary file is removed then and
// the old file left untouched.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace qharness {

void write_file_atomically(const std::string& path, const void* data, std::size_t size);
inline void write_file_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, text.data(), text.size());
}

// The name a file is written under before it is renamed into place: "<path>.tmp-<host>-<pid>",
// so that a leftover names its writer (run/run_lock.hpp tells whether that one is alive).
std::string temporary_name(const std::string& path);
// The writer (host, pid) a temporary file's name records ("" as host for the ".tmp-<pid>"
// names of earlier versions); nullopt for other files.
std::optional<std::pair<std::string, long>> temporary_writer(const std::string& file_name);

// "No space left on device (errno 28, ENOSPC)".
std::string errno_text(int error);

}  // namespace qharness
