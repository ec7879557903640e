#include "util/named_table.hpp"

namespace qharness {

std::string unknown_name_message(const std::string& what, const std::string& name,
                                 const std::vector<std::string>& known) {
  const std::string near = nearest(name, known);
  return "unknown " + what + " '" + name + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
         "; known: " + join(known, ", ");
}

}  // namespace qharness
