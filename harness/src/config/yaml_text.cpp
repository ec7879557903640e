#include "config/yaml_text.hpp"

#include <fstream>
#include <sstream>
#include <string_view>

namespace qharness {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Throws where a document's first token is ',' (see yaml_text.hpp). Documents start at the
// top of the text and after a `---` or `...` line; comments, blank lines and directives
// (`%YAML`) come before their first token.
void refuse_flow_entry_at_document_start(const std::string& text) {
  bool document_start = true;
  int line = 0;
  for (std::size_t pos = 0; pos <= text.size(); ++line) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view l(text.data() + pos, end - pos);
    pos = end + 1;
    std::size_t from = 0;
    const bool marker = l.size() >= 3 && (l.substr(0, 3) == "---" || l.substr(0, 3) == "...") &&
                        (l.size() == 3 || blank(l[3]));
    if (marker) {
      document_start = true;
      from = 3;
    } else if (!document_start || (!l.empty() && l[0] == '%')) {
      continue;
    }
    while (from < l.size() && blank(l[from])) ++from;
    if (from == l.size() || l[from] == '#') continue;
    if (l[from] == ',') {
      YAML::Mark mark;
      mark.line = line;
      mark.column = static_cast<int>(from);
      throw YAML::ParserException(mark, "a document cannot start with ',' (a flow entry outside [...] or {...})");
    }
    document_start = false;
  }
}

}  // namespace

std::vector<YAML::Node> load_all_yaml(const std::string& text) {
  refuse_flow_entry_at_document_start(text);
  return YAML::LoadAll(text);
}

YAML::Node load_yaml(const std::string& text) {
  refuse_flow_entry_at_document_start(text);
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
