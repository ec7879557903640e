#include "results/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "util/host.hpp"
#include "util/text.hpp"

namespace qharness {
namespace {

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void fail(const std::string& step, const std::string& file, int error) {
  throw Failure(step + " '" + file + "': " + errno_text(error));
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("open (to fsync)", path, errno);
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) fail("fsync", path, error);
}

// Creates `path` (it must not exist) with `data`, fsyncs and closes it, checking each step:
// on NFS a full disk may surface only at fsync or close.
void write_new_file(const std::string& path, const void* data, std::size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail("create", path, errno);
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd, bytes + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      fail("write", path, error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail("fsync", path, error);
  }
  if (::close(fd) != 0) fail("close", path, errno);
}

}  // namespace

std::string errno_text(int error) {
  const char* name = strerrorname_np(error);
  return std::string(std::strerror(error)) + " (errno " + std::to_string(error) +
         (name ? std::string(", ") + name : std::string()) + ")";
}

void write_file_atomically(const std::string& path, const void* data, std::size_t size) {
  const std::string temporary = temporary_name(path);
  try {
    write_new_file(temporary, data, size);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) fail("rename", temporary, errno);
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    fsync_path(parent.empty() ? std::string(".") : parent.string(), O_RDONLY | O_DIRECTORY);
  } catch (const Failure& e) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot write '" + path + "': " + e.what());
  }
}

std::string temporary_name(const std::string& path) {
  return path + ".tmp-" + this_host() + "-" + std::to_string(::getpid());
}

std::optional<std::pair<std::string, long>> temporary_writer(const std::string& file_name) {
  const auto tmp = file_name.rfind(".tmp-");
  const auto dash = file_name.rfind('-');
  if (tmp == std::string::npos || dash == std::string::npos || dash < tmp + 4) return std::nullopt;
  const auto pid = parse_whole_number(std::string_view(file_name).substr(dash + 1));
  if (!pid || *pid <= 0) return std::nullopt;
  const std::string host = dash == tmp + 4 ? "" : file_name.substr(tmp + 5, dash - tmp - 5);
  return std::make_pair(host, static_cast<long>(*pid));
}

}  // namespace qharness
