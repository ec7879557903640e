#include "util/host.hpp"

#include <unistd.h>

#include <cctype>

namespace qharness {

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  std::string host(name);
  for (char& c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) c = '_';
  return host.empty() ? "unknown-host" : host;
}

}  // namespace qharness
