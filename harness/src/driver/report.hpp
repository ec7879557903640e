#pragma once
// `qharness report results/<name>`: the experiment's paper tables (the pivot tables its
// `report:` block declares, or one given by --rows/--cols/--metric), else the /summary table,
// aligned for a terminal or as Markdown.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace qharness {

struct ReportOptions {
  bool markdown = false;   // Markdown tables instead of aligned text
  bool summary = false;    // the plain /summary table even when a report: block declares tables
  // Command-line overrides of the first declared table (or of a new one when none is declared;
  // then rows are required). Each key is "key.path" or "label=key.path".
  std::optional<std::vector<std::string>> rows, cols;
  std::optional<std::string> metric;
};

// Throws ConfigError when there is no experiment file (and says whether shards are waiting
// for `qharness merge`), or when the report layout is unusable (naming the key).
void print_report(const std::string& experiment_dir, const ReportOptions& options, std::ostream& out);

}  // namespace qharness
