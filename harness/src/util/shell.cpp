#include "util/shell.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <stdexcept>

#include "util/text.hpp"

namespace qharness {

std::string shell_quote(const std::string& word) {
  static const std::regex safe(R"(^[A-Za-z0-9_@%+=:,./-]+$)");
  if (std::regex_match(word, safe)) return word;
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string run_capturing(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start '" + command + "'");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("'" + command + "' failed (exit status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")" +
                             (out.empty() ? "" : ": " + trim(out)));
  return out;
}

}  // namespace qharness
