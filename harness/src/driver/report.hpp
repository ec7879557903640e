#pragma once
// `qharness report results/<name>`: the experiment's paper tables (the pivot tables its
// `report:` block declares, or one given by --rows/--cols/--metric), else the /summary table,
// aligned for a terminal or as Markdown.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "report/text_table.hpp"

namespace qharness {

struct ReportOptions {
  bool markdown = false;   // Markdown tables instead of aligned text
  bool summary = false;    // the plain /summary table even when a report: block declares tables
  // Command-line overrides of the first declared table (or of a new one when none is declared;
  // then rows are required). Each key is "key.path" or "label=key.path".
  std::optional<std::vector<std::string>> rows, cols;
  std::optional<std::string> metric;
};

// What `qharness report` shows of one experiment: its pivot tables, else the summary table.
struct ExperimentReport {
  std::string name;            // the experiment's name (its folder's)
  std::string file;            // results/<name>/<name>.h5
  std::size_t trials = 0;
  std::vector<TextTable> tables;
  bool pivot = false;          // the tables are pivot tables (else the one summary table)
};

// Throws ConfigError when there is no experiment file (and says whether shards are waiting
// for `qharness merge`), or when the report layout is unusable (naming the key).
ExperimentReport build_report(const std::string& experiment_dir, const ReportOptions& options);

// build_report, printed: "<name>: N trial(s)", then each table (text or Markdown).
void print_report(const std::string& experiment_dir, const ReportOptions& options, std::ostream& out);

}  // namespace qharness
