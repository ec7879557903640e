#include "driver/report.hpp"

#include <boost/filesystem.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>

#include "config/config_error.hpp"
#include "config/raw_config.hpp"
#include "config/yaml_text.hpp"
#include "report/pivot_table.hpp"
#include "report/report_spec.hpp"
#include "report/text_table.hpp"
#include "results/h5_store.hpp"
#include "results/results_layout.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

// The /summary as it is, without the index column (the row order already) and with the
// error column only when something failed.
TextTable summary_table(const h5::SummaryTable& table) {
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
  TextTable out;
  for (auto c : cols) out.header.push_back(table.columns[c]);
  for (const auto& row : table.rows) {
    std::vector<std::string> line;
    for (auto c : cols) line.push_back(row[c]);
    out.body.push_back(std::move(line));
  }
  return out;
}

// The config of one trial, for its report: block (the same in every trial).
YAML::Node first_trial_config(const std::map<std::string, std::string>& configs) {
  if (configs.empty()) return YAML::Node(YAML::NodeType::Map);
  return load_yaml(configs.begin()->second);
}

// The declared tables: the report: block of the experiment file as last run (so that an edited
// block shows without rerunning), else the resolved one stored with the trials (which
// includes blocks from `extends:` files).
std::vector<ReportTableSpec> declared_tables(const std::string& file, const YAML::Node& trial_config) {
  const Provenance prov = h5::read_provenance(file);
  YAML::Node top;
  try {
    top = load_yaml(prov.experiment_yaml);
  } catch (const YAML::Exception&) {
  }
  if (top && top.IsMap() && top["report"] && top["report"]["tables"])
    return report_tables_from_raw(top["report"], prov.experiment_file);
  return report_tables(trial_config["report"]);
}

}  // namespace

ExperimentReport build_report(const std::string& experiment_dir, const ReportOptions& options) {
  const ResultsLayout layout = ResultsLayout::from_dir(experiment_dir);
  if (!fs::exists(layout.experiment_file())) {
    std::string hint = layout.shard_files().empty()
                           ? "run the experiment first"
                           : "it has shard files: run `qharness merge " + experiment_dir + "` first";
    throw ConfigError("report: no " + layout.experiment_file().string() + " (" + hint + ")");
  }
  const std::string file = layout.experiment_file().string();
  const h5::SummaryTable summary = h5::read_summary(file);
  ExperimentReport report{layout.name, file, summary.rows.size(), {}};
  const bool overridden = options.rows || options.cols || options.metric;
  if (options.summary && overridden)
    throw ConfigError("report: --summary prints the plain table; it takes no --rows, --cols or --metric");

  // Each trial's resolved config, by id (attributes only: no trial data is read).
  const std::map<std::string, std::string> config_texts =
      options.summary ? std::map<std::string, std::string>{} : h5::read_trial_configs(file);
  const YAML::Node config = options.summary ? YAML::Node() : first_trial_config(config_texts);
  std::vector<ReportTableSpec> tables = options.summary ? std::vector<ReportTableSpec>{} : declared_tables(file, config);
  if (overridden) {
    ReportTableSpec spec = tables.empty() ? ReportTableSpec{} : tables.front();
    if (options.rows || options.cols) spec.title.clear();
    if (options.rows) {
      spec.rows.clear();
      for (const auto& k : *options.rows)
        if (!k.empty()) spec.rows.push_back(parse_report_key(k));
    }
    if (options.cols) {
      spec.cols.clear();
      for (const auto& k : *options.cols)  // --cols "" = no column keys: one column
        if (!k.empty()) spec.cols.push_back(parse_report_key(k));
    }
    if (options.metric) spec.metric = *options.metric;
    if (spec.rows.empty()) throw ConfigError("report: --rows: a table needs at least one row key");
    if (spec.has_baseline && std::none_of(spec.rows.begin(), spec.rows.end(), [&](const ReportKey& k) {
          return k.path == spec.baseline.path || k.label == spec.baseline.path;
        }))
      spec.has_baseline = false;  // the declared baseline's key is no longer a row
    tables = {spec};
  }
  if (tables.empty()) {
    report.tables.push_back(summary_table(summary));
    return report;
  }
  // Each /summary row's trial config, parsed when first asked for.
  const std::size_t id_column = h5::column_index(summary, "trial_id").value();
  std::vector<std::optional<YAML::Node>> row_configs(summary.rows.size());
  const ConfigKeyLookup config_key = [&](const std::string& path, std::size_t row) -> std::optional<std::string> {
    if (!row_configs[row]) {
      const auto text = config_texts.find(summary.rows[row][id_column]);
      row_configs[row] = text == config_texts.end() ? YAML::Node() : load_yaml(text->second);
    }
    return find_path_text(*row_configs[row], path);
  };
  for (const auto& spec : tables) report.tables.push_back(pivot_table(summary, spec, config_key));
  report.pivot = true;
  return report;
}

void print_report(const std::string& experiment_dir, const ReportOptions& options, std::ostream& out) {
  const ExperimentReport report = build_report(experiment_dir, options);
  out << report.name << ": " << report.trials << " trial(s)\n";
  for (const auto& table : report.tables) {
    if (report.pivot) out << "\n";
    print_text_table(table, options.markdown, out);
  }
}

}  // namespace qharness
