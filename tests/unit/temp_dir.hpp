#pragma once
// A fresh folder under the system's temp dir, removed with everything in it at scope exit.
#include <boost/filesystem.hpp>

#include <string>

namespace qharness::test_support {

class TempDir {
 public:
  TempDir() : path_(boost::filesystem::temp_directory_path() / boost::filesystem::unique_path("qh-test-%%%%%%%%")) {
    boost::filesystem::create_directories(path_);
  }
  ~TempDir() { boost::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  boost::filesystem::path path_;
};

}  // namespace qharness::test_support
