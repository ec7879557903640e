#include "report/text_table.hpp"

#include <algorithm>

namespace qharness {
namespace {

// Display width: UTF-8 continuation bytes (of ±, Δ, —) take no column.
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string markdown_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void print_text_table(const TextTable& table, bool markdown, std::ostream& out) {
  if (markdown) {
    if (!table.title.empty()) out << "**" << table.title << "**\n\n";
    out << "|";
    for (const auto& h : table.header) out << " " << markdown_cell(h) << " |";
    out << "\n|";
    for (std::size_t i = 0; i < table.header.size(); ++i) out << " --- |";
    out << "\n";
    for (const auto& row : table.body) {
      out << "|";
      for (const auto& cell : row) out << " " << markdown_cell(cell) << " |";
      out << "\n";
    }
    if (!table.notes.empty()) out << "\n";
    for (const auto& n : table.notes) {
      const std::size_t indent = n.find_first_not_of(' ');  // "  detail" = a nested item
      out << std::string(indent == std::string::npos ? 0 : indent, ' ') << "- "
          << (indent == std::string::npos ? n : n.substr(indent)) << "\n";
    }
    return;
  }
  if (!table.title.empty()) out << table.title << "\n";
  std::vector<std::size_t> width;
  for (const auto& h : table.header) width.push_back(display_width(h));
  for (const auto& row : table.body)
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(row[i]));
  auto print_row = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size() && i < width.size(); ++i)
      out << (i ? "  " : "") << cells[i] << std::string(width[i] - display_width(cells[i]), ' ');
    out << "\n";
  };
  print_row(table.header);
  std::vector<std::string> rule;
  for (std::size_t i = 0; i < table.header.size(); ++i) rule.push_back(std::string(width[i], '-'));
  print_row(rule);
  for (const auto& row : table.body) print_row(row);
  for (const auto& n : table.notes) out << "  " << n << "\n";
}

}  // namespace qharness
