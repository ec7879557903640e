#pragma once
// Every YAML text the harness reads from a user (experiment and suite files, command-line
// override values) is parsed through these instead of YAML::Load/LoadAll directly.
//
// Why: yaml-cpp 0.7 (Debian 12's libyaml-cpp0.7) loops forever, allocating until memory runs
// out, on a document whose first token is ',' (a file ",", "# comment\n, a", "a: b\n...\n,").
// Found by fuzzing (tests/fuzz, docs/reliability.md); the inputs are in
// tests/fuzz/corpus/config/. Such a document is refused with a YAML::ParserException at the
// ',' (as yaml-cpp reports its other syntax errors) before yaml-cpp sees it.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace qharness {

std::vector<YAML::Node> load_all_yaml(const std::string& text);
YAML::Node load_yaml(const std::string& text);
// Reads `file` and parses it; YAML::BadFile when it cannot be read.
YAML::Node load_yaml_file(const std::string& file);

}  // namespace qharness
