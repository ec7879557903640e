#include "driver/report.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>

#include "config/config_error.hpp"
#include "results/h5_store.hpp"
#include "results/results_layout.hpp"

namespace fs = boost::filesystem;

namespace qharness {

void print_report(const std::string& experiment_dir, bool markdown, std::ostream& out) {
  const ResultsLayout layout = ResultsLayout::from_dir(experiment_dir);
  if (!fs::exists(layout.experiment_file())) {
    std::string hint = layout.shard_files().empty()
                           ? "run the experiment first"
                           : "it has shard files: run `qharness merge " + experiment_dir + "` first";
    throw ConfigError("report: no " + layout.experiment_file().string() + " (" + hint + ")");
  }
  h5::SummaryTable table = h5::read_summary(layout.experiment_file().string());

  // The error column only when something failed; the index is the row order already.
  std::vector<std::size_t> cols;
  const bool any_error = std::any_of(table.rows.begin(), table.rows.end(), [&](const auto& row) {
    for (std::size_t c = 0; c < table.columns.size(); ++c)
      if (table.columns[c] == "error" && !row[c].empty()) return true;
    return false;
  });
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (table.columns[c] == "index") continue;
    if (table.columns[c] == "error" && !any_error) continue;
    cols.push_back(c);
  }
  out << layout.name << ": " << table.rows.size() << " trial(s)\n";
  if (markdown) {
    out << "|";
    for (auto c : cols) out << " " << table.columns[c] << " |";
    out << "\n|";
    for (std::size_t i = 0; i < cols.size(); ++i) out << " --- |";
    out << "\n";
    for (const auto& row : table.rows) {
      out << "|";
      for (auto c : cols) out << " " << row[c] << " |";
      out << "\n";
    }
    return;
  }
  std::vector<std::size_t> width;
  for (auto c : cols) {
    std::size_t w = table.columns[c].size();
    for (const auto& row : table.rows) w = std::max(w, row[c].size());
    width.push_back(w);
  }
  auto print_row = [&](auto cell) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      std::string s = cell(cols[i]);
      out << (i ? "  " : "") << s << std::string(width[i] - s.size(), ' ');
    }
    out << "\n";
  };
  print_row([&](std::size_t c) { return table.columns[c]; });
  print_row([&](std::size_t c) { return std::string(table.columns[c].size(), '-'); });
  for (const auto& row : table.rows) print_row([&](std::size_t c) { return row[c]; });
}

}  // namespace qharness
