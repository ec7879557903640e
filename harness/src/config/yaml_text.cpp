#include "config/yaml_text.hpp"

#include <yaml-cpp/eventhandler.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace qharness {
namespace {

// Records where each document starts; builds nothing.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Runs yaml-cpp's parser over the text's documents without building them and throws a
// YAML::ParserException (as yaml-cpp reports its own syntax errors) where a document consumed
// nothing: the next one would start at the same token, and so on forever (yaml_text.hpp).
void refuse_a_parse_that_stops_moving(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  std::optional<int> previous;
  while (parser.HandleNextDocument(starts)) {
    if (previous && *previous == starts.start.pos) {
      const auto at = static_cast<std::size_t>(starts.start.pos);
      throw YAML::ParserException(starts.start, at < text.size() && text[at] == ','
                                                    ? "unexpected ',' outside [...] or {...}"
                                                    : "yaml-cpp cannot parse on from here");
    }
    previous = starts.start.pos;
  }
}

}  // namespace

std::vector<YAML::Node> load_all_yaml(const std::string& text) {
  refuse_a_parse_that_stops_moving(text);
  return YAML::LoadAll(text);
}

YAML::Node load_yaml(const std::string& text) {
  refuse_a_parse_that_stops_moving(text);
  return YAML::Load(text);
}

YAML::Node load_yaml_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw YAML::BadFile(file);
  std::stringstream text;
  text << in.rdbuf();
  return load_yaml(text.str());
}

}  // namespace qharness
