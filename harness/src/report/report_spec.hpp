#pragma once
// The `report:` block of an experiment: how `qharness report` lays out the paper tables of an
// experiment's results. Each table is a pivot of /summary: rows = the values of some keys,
// columns = the values of others, cell = mean +- std of one metric over the trials sharing row
// and column (the seeds). The block is part of every trial's resolved config but not of its
// id (changing a report never reruns a trial), so the report can read it back from the
// results file.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config/schema.hpp"

namespace qharness {

// A row or column key: a key path of /summary or of the trials' config ("ptq.method"), shown
// under `label` ("method" for "method=ptq.method"; the key path itself when none is given).
struct ReportKey {
  std::string label;
  std::string path;
};

// One "key.path=value" condition (report.tables[].where, .baseline).
struct ReportCondition {
  std::string path;
  std::string value;
};

struct ReportTableSpec {
  std::string title;                      // "" = "<metric> by <rows> x <cols>"
  std::vector<ReportKey> rows;            // at least one
  std::vector<ReportKey> cols;            // [] = one column: the metric
  std::string metric = "top1";            // a /summary column
  std::vector<ReportCondition> where;     // only trials meeting every condition
  bool has_baseline = false;              // degradation columns: cell mean - baseline row's mean
  ReportCondition baseline;               // a row key and its value in the baseline row
  int digits = 2;                         // decimals of means and stds
  double scale = 1.0;                     // values are multiplied by it (100: fractions as %)
};

// The schema of `report:` (documented in docs/yaml-reference.md).
SchemaNode report_schema();

// Parses "label=key.path" / "key.path" (a row or column key).
ReportKey parse_report_key(const std::string& text);
// Parses "key.path=value"; throws ConfigError naming `what` when there is no '='.
ReportCondition parse_report_condition(const std::string& text, const std::string& what);

// The tables of a resolved `report` node (as the schema resolves it). Throws ConfigError
// naming the key when a table is unusable (no rows, a baseline key that is not a row key).
std::vector<ReportTableSpec> report_tables(const YAML::Node& resolved_report);

// Validates a raw `report:` node (as written in an experiment file) against the schema and
// returns its tables; ConfigError lists the problems, each naming the key.
std::vector<ReportTableSpec> report_tables_from_raw(const YAML::Node& raw_report, const std::string& file);

}  // namespace qharness
