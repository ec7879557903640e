#pragma once
// The readers under fuzzing take file paths: each input is written to one file per process
// (in a private temporary folder, removed at exit) and the reader is pointed at it.
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace qharness::fuzz {

class ScratchFolder {
 public:
  ScratchFolder()
      : path_(boost::filesystem::temp_directory_path() /
              ("qh-fuzz-" + std::to_string(::getpid()) + "-" + boost::filesystem::unique_path("%%%%%%").string())) {
    boost::filesystem::create_directories(path_);
  }
  ~ScratchFolder() {
    boost::system::error_code ec;
    boost::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  boost::filesystem::path path_;
};

inline const ScratchFolder& scratch() {
  static const ScratchFolder folder;
  return folder;
}

// Writes the input to scratch()/name and returns its path.
inline std::string write_input(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch().file(name);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                               static_cast<std::streamsize>(size));
  return path;
}

// The oracle of the readers: an error names the file it is about.
inline void require_file_named(const std::exception& e, const std::string& path, const char* reader) {
  if (std::string(e.what()).find(path) != std::string::npos) return;
  std::cerr << reader << " error without the file's name: " << e.what() << "\n";
  std::abort();
}

// An input of the YAML targets: the file's text, and the lines after a line "#overrides" as
// command-line overrides, one per line (the marker is a YAML comment: the file part stays
// what it was in a seed).
struct YamlInput {
  std::string text;
  std::vector<std::string> overrides;
};

inline YamlInput split_yaml_input(const std::uint8_t* data, std::size_t size) {
  YamlInput in{std::string(reinterpret_cast<const char*>(data), size), {}};
  const std::string marker = "\n#overrides\n";
  const auto at = in.text.find(marker);
  if (at == std::string::npos) return in;
  const std::string rest = in.text.substr(at + marker.size());
  in.text.resize(at + 1);
  std::size_t start = 0;
  while (start < rest.size()) {
    auto end = rest.find('\n', start);
    if (end == std::string::npos) end = rest.size();
    if (end > start) in.overrides.push_back(rest.substr(start, end - start));
    start = end + 1;
  }
  return in;
}

}  // namespace qharness::fuzz
