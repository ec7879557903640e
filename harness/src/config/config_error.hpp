#pragma once
// Errors in what the user wrote: the experiment YAML, an override, the command line, a plugin
// library. The driver prints them and exits with status 2 before any trial runs.
#include <stdexcept>
#include <string>
#include <vector>

namespace qharness {

// Where a value came from: a file position, or the command line.
struct Origin {
  std::string file;   // "" when unknown
  int line = 0;       // 1-based; 0 = unknown
  int column = 0;     // 1-based
  std::string where() const {
    if (file.empty()) return "";
    if (line <= 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> messages)
      : std::runtime_error(join_lines(messages)), messages_(std::move(messages)) {}
  explicit ConfigError(const std::string& message) : ConfigError(std::vector<std::string>{message}) {}
  ConfigError(const Origin& origin, const std::string& message)
      : ConfigError(origin.where().empty() ? message : origin.where() + ": " + message) {}
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  static std::string join_lines(const std::vector<std::string>& m) {
    std::string s;
    for (const auto& x : m) s += (s.empty() ? "" : "\n") + x;
    return s;
  }
  std::vector<std::string> messages_;
};

}  // namespace qharness
