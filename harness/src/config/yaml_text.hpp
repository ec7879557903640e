#pragma once
// Every YAML text the harness reads from a user (experiment and suite files, command-line
// override values) or from a results file is parsed through these instead of
// YAML::Load/LoadAll directly.
//
// Why: yaml-cpp 0.7 (Debian 12's libyaml-cpp0.7) loops forever, allocating until memory runs
// out, when a token is left that no document can start with: a ',' outside [...] or {...}
// after a document's node or in its place (",", "x ,", "[a] ,", "- a\n,", "!t ,", "# c\n, a").
// Its parser emits an empty document there without consuming the token, and LoadAll asks for
// the next document forever. Found by fuzzing (tests/fuzz, docs/reliability.md); the inputs
// are in tests/fuzz/corpus/{config,sweep}/hang-yaml-cpp-*. These functions first run the
// parser without building nodes and, where a document starts at the same token as the one
// before it, throw a YAML::ParserException at that token (file:line:col, as yaml-cpp reports
// its other syntax errors) before LoadAll sees the text.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace qharness {

std::vector<YAML::Node> load_all_yaml(const std::string& text);
// One document; text after it that yaml-cpp would stop at is refused as above.
YAML::Node load_yaml(const std::string& text);
// Reads `file` and parses it; YAML::BadFile when it cannot be read.
YAML::Node load_yaml_file(const std::string& file);

}  // namespace qharness
