#pragma once
// A table of text cells printed for a terminal (columns aligned, a dashed rule under the
// header) or as a Markdown table; the title above and the notes below it. Used by
// `qharness report` for the plain summary and for the pivot tables.
#include <ostream>
#include <string>
#include <vector>

namespace qharness {

struct TextTable {
  std::string title;                              // "" = none
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> body;     // each row as long as the header
  std::vector<std::string> notes;                 // lines under the table
};

void print_text_table(const TextTable& table, bool markdown, std::ostream& out);

}  // namespace qharness
