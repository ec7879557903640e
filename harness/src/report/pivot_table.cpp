#include "report/pivot_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "config/config_error.hpp"
#include "config/raw_config.hpp"
#include "config/yaml_text.hpp"
#include "util/text.hpp"

namespace qharness {
namespace {

const std::set<std::string> kFixedColumns{"trial_id", "index", "status", "seed", "wall_s", "error"};

// Values compare without blanks ("[first, last]" == "[first,last]") and as numbers when both
// are numbers ("4" == "4.0").
std::string without_blanks(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

bool same_value(const std::string& a, const std::string& b) {
  if (without_blanks(a) == without_blanks(b)) return true;
  try {
    std::size_t ua = 0, ub = 0;
    const double x = std::stod(a, &ua), y = std::stod(b, &ub);
    return ua == a.size() && ub == b.size() && x == y;
  } catch (const std::exception&) {
    return false;
  }
}

std::string format_number(double v, int digits) {
  char buf[64];
  if (v != 0 && std::fabs(v) < std::pow(10.0, -digits))
    std::snprintf(buf, sizeof buf, "%.*e", std::max(digits, 1), v);
  else
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string signed_number(double v, int digits) {
  const std::string s = format_number(v, digits);
  return s[0] == '-' ? s : "+" + s;
}

struct Cell {
  std::vector<double> values;
  std::vector<std::size_t> failed;   // summary rows
  std::size_t nan = 0;               // done, but the metric is NaN or absent
  std::set<std::size_t> trials;
  double mean() const {
    double s = 0;
    for (double v : values) s += v;
    return s / double(values.size());
  }
  double std() const {  // sample standard deviation (n - 1)
    // Equal values: exactly 0 (the mean's rounding would otherwise print "± 1.7e-14").
    if (std::adjacent_find(values.begin(), values.end(), std::not_equal_to<>()) == values.end()) return 0.0;
    const double m = mean();
    double s = 0;
    for (double v : values) s += (v - m) * (v - m);
    return std::sqrt(s / double(values.size() - 1));
  }
};

// The value at `path` inside a cell that holds a YAML mapping ("" when absent). The cell
// comes from a results file, so it is parsed through load_yaml (config/yaml_text.hpp).
std::string sub_value(const std::string& cell, const std::string& path) {
  try {
    return find_path_text(load_yaml(cell), path).value_or("");
  } catch (const YAML::Exception&) {
    return "";
  }
}

// Distinct tuples in order of first appearance.
class TupleIndex {
 public:
  std::size_t add(const std::vector<std::string>& t) {
    for (std::size_t i = 0; i < tuples.size(); ++i)
      if (tuples[i] == t) return i;
    tuples.push_back(t);
    return tuples.size() - 1;
  }
  std::optional<std::size_t> find(const std::vector<std::string>& t) const {
    for (std::size_t i = 0; i < tuples.size(); ++i) {
      bool same = tuples[i].size() == t.size();
      for (std::size_t k = 0; same && k < t.size(); ++k) same = same_value(tuples[i][k], t[k]);
      if (same) return i;
    }
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> tuples;
};

std::vector<std::string> labels(const std::vector<ReportKey>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k.label);
  return out;
}

}  // namespace

TextTable pivot_table(const h5::SummaryTable& summary, const ReportTableSpec& spec,
                      const ConfigKeyLookup& config_key) {
  auto column_of = [&](const std::string& name) { return h5::column_index(summary, name); };
  // A key's value in summary row r.
  using Getter = std::function<std::string(std::size_t)>;
  // A cell that holds no value ("" text, "nan" number) is filled from the trial's own config.
  auto or_config = [&config_key](std::string value, const std::string& path, std::size_t r) {
    if (value.empty() || value == "nan")
      if (auto v = config_key(path, r)) return *v;
    return value;
  };
  auto getter = [&](const std::string& path, const std::string& role) -> Getter {
    if (auto c = column_of(path))
      return [&, c = *c, path](std::size_t r) { return or_config(summary.rows[r][c], path, r); };
    // A key inside a swept mapping (model.arch when the sweep sets `model: {arch: ..., ...}`).
    for (auto dot = path.rfind('.'); dot != std::string::npos; dot = dot ? path.rfind('.', dot - 1) : std::string::npos) {
      if (auto c = column_of(path.substr(0, dot)))
        return [&, c = *c, path, rest = path.substr(dot + 1)](std::size_t r) {
          return or_config(sub_value(summary.rows[r][c], rest), path, r);
        };
      if (dot == 0) break;
    }
    // A key no trial swept: each row's own config says it.
    for (std::size_t r = 0; r < summary.rows.size(); ++r)
      if (config_key(path, r))
        return [&config_key, path](std::size_t row) { return config_key(path, row).value_or(""); };
    std::vector<std::string> swept;
    for (const auto& name : summary.columns)
      if (name.find('.') != std::string::npos) swept.push_back(name);
    const std::string near = nearest(path, summary.columns);
    throw ConfigError("report: " + role + " key '" + path + "' is neither a /summary column nor a config key" +
                      (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                      "; swept keys: " + (swept.empty() ? "none" : join(swept, ", ")));
  };
  std::vector<Getter> row_get, col_get;
  for (const auto& k : spec.rows) row_get.push_back(getter(k.path, "row"));
  for (const auto& k : spec.cols) col_get.push_back(getter(k.path, "column"));
  std::vector<std::pair<Getter, std::string>> where_get;
  for (const auto& w : spec.where) where_get.emplace_back(getter(w.path, "where"), w.value);

  const auto metric_col = column_of(spec.metric);
  std::vector<std::string> metrics;
  for (std::size_t c = 0; c < summary.columns.size(); ++c) {
    const bool numeric = !summary.numbers.empty() && std::any_of(summary.numbers.begin(), summary.numbers.end(),
                                                                 [c](const auto& row) { return !std::isnan(row[c]); });
    if (numeric && !kFixedColumns.count(summary.columns[c]) && summary.columns[c].find('.') == std::string::npos)
      metrics.push_back(summary.columns[c]);
  }
  // Whether summary row r passes the table's `where:` filters.
  auto matches = [&](std::size_t r) {
    for (const auto& [get, values] : where_get) {
      bool any = false;  // "a|b": one of the alternatives
      for (const auto& v : split(values, '|')) any = any || same_value(get(r), trim(v));
      if (!any) return false;
    }
    return true;
  };
  bool any_match = false;
  for (std::size_t r = 0; r < summary.rows.size() && !any_match; ++r) any_match = matches(r);
  // A metric that no trial has is a typo, unless no trial matches the table yet (a sweep half
  // done: a Hessian sweep whose quadfit trials, the only ones with r2, have not run): then the
  // table says that no trial matches, as any table without trials does.
  if (any_match &&
      (!metric_col || kFixedColumns.count(spec.metric) || summary.columns[*metric_col].find('.') != std::string::npos))
    throw ConfigError("report: metric '" + spec.metric + "' is not a metric of /summary; metrics: " +
                      (metrics.empty() ? "none" : join(metrics, ", ")));
  const std::size_t status_col = column_of("status").value();
  const std::size_t id_col = column_of("trial_id").value();
  const auto error_col = column_of("error");

  TupleIndex row_index, col_index;
  std::map<std::pair<std::size_t, std::size_t>, Cell> cells;
  std::vector<std::pair<std::size_t, std::string>> failures;  // summary row, where it sits
  for (std::size_t r = 0; r < summary.rows.size(); ++r) {
    if (!matches(r)) continue;
    std::vector<std::string> rt, ct;
    for (const auto& g : row_get) rt.push_back(g(r));
    for (const auto& g : col_get) ct.push_back(g(r));
    Cell& cell = cells[{row_index.add(rt), col_index.add(ct)}];
    cell.trials.insert(r);
    const double v = summary.numbers[r][*metric_col] * spec.scale;
    if (summary.rows[r][status_col] != "done") {
      cell.failed.push_back(r);
      failures.emplace_back(r, join(rt, " ") + (ct.empty() ? "" : " | " + join(ct, "/")));
    } else if (std::isnan(v)) {
      ++cell.nan;
    } else {
      cell.values.push_back(v);
    }
  }
  if (spec.cols.empty()) col_index.add({});  // the one column (also when no trial matched)

  // The count most cells have; others are marked.
  std::map<std::size_t, std::size_t> count_frequency;
  for (const auto& [key, cell] : cells)
    if (!cell.values.empty()) ++count_frequency[cell.values.size()];
  std::size_t usual = 0, usual_cells = 0;
  for (const auto& [n, f] : count_frequency)
    if (f > usual_cells) usual = n, usual_cells = f;

  auto cell_text = [&](const Cell* cell) -> std::string {
    std::string text = "—";
    if (cell && !cell->values.empty()) {
      text = format_number(cell->mean(), spec.digits);
      if (cell->values.size() > 1) text += " ± " + format_number(cell->std(), spec.digits);
      if (cell->values.size() != usual) text += " (n=" + std::to_string(cell->values.size()) + ")";
      if (cell->nan) text += " [" + std::to_string(cell->nan) + " nan]";
    }
    if (cell && !cell->failed.empty()) text += " [" + std::to_string(cell->failed.size()) + " failed]";
    return text;
  };
  auto find_cell = [&](std::size_t r, std::size_t c) -> const Cell* {
    auto it = cells.find({r, c});
    return it == cells.end() ? nullptr : &it->second;
  };

  // The baseline row of each row: its values with the baseline key set to the baseline value.
  std::optional<std::size_t> baseline_key;
  for (std::size_t k = 0; k < spec.rows.size() && spec.has_baseline; ++k)
    if (spec.rows[k].path == spec.baseline.path || spec.rows[k].label == spec.baseline.path) baseline_key = k;
  if (spec.has_baseline && !baseline_key)
    throw ConfigError("report: baseline key '" + spec.baseline.path + "' is not a row key");

  TextTable table;
  const std::string col_names = join(labels(spec.cols), "/");
  table.title = spec.title.empty()
                    ? spec.metric + " by " + join(labels(spec.rows), " x ") + (spec.cols.empty() ? "" : " x " + col_names)
                    : spec.title;
  table.header = labels(spec.rows);
  for (const auto& ct : col_index.tuples) {
    const std::string label = spec.cols.empty() ? spec.metric : join(ct, "/");
    table.header.push_back(label);
    if (baseline_key) table.header.push_back(spec.cols.empty() ? "Δ" : "Δ " + label);
  }
  for (std::size_t r = 0; r < row_index.tuples.size(); ++r) {
    std::vector<std::string> line = row_index.tuples[r];
    std::optional<std::size_t> base_row;
    if (baseline_key) {
      std::vector<std::string> bt = row_index.tuples[r];
      bt[*baseline_key] = spec.baseline.value;
      base_row = row_index.find(bt);
    }
    for (std::size_t c = 0; c < col_index.tuples.size(); ++c) {
      const Cell* cell = find_cell(r, c);
      line.push_back(cell_text(cell));
      if (!baseline_key) continue;
      const Cell* base = base_row ? find_cell(*base_row, c) : nullptr;
      const bool both = cell && base && !cell->values.empty() && !base->values.empty();
      line.push_back(both ? signed_number(cell->mean() - base->mean(), spec.digits) : "—");
    }
    table.body.push_back(std::move(line));
  }

  if (row_index.tuples.empty()) table.notes.push_back("no trial matches this table");
  table.notes.push_back("cells: mean ± sample std (n-1) of " + spec.metric +
                        (spec.scale == 1.0 ? "" : " x " + format_double(spec.scale)) + " over the trials (seeds) of the cell" +
                        (usual ? ", n=" + std::to_string(usual) + " unless marked" : "") + "; — = no value" +
                        (spec.cols.empty() ? "" : "; columns: " + col_names + " = " +
                                                      join([&] {
                                                        std::vector<std::string> p;
                                                        for (const auto& k : spec.cols) p.push_back(k.path);
                                                        return p;
                                                      }(), "/")));
  if (baseline_key)
    table.notes.push_back("Δ: cell mean minus the mean of the row with " + spec.baseline.path + "=" +
                          spec.baseline.value + " (same other row keys, same column)");
  if (!spec.where.empty()) {
    std::vector<std::string> conditions;
    for (const auto& w : spec.where) conditions.push_back(w.path + "=" + w.value);
    table.notes.push_back("only trials with " + join(conditions, ", "));
  }
  // Swept keys that are neither rows nor columns but differ inside a cell: those cells pool them.
  // A column is a swept key when it holds text or is a key path; it is used when a row or
  // column key is it or lies inside it.
  auto is_used = [&](const std::string& column) {
    for (const auto* keys : {&spec.rows, &spec.cols})
      for (const auto& k : *keys)
        if (k.path == column || starts_with(k.path, column + ".")) return true;
    return false;
  };
  std::vector<std::string> pooled;
  for (std::size_t c = 0; c < summary.columns.size(); ++c) {
    const std::string& name = summary.columns[c];
    const bool text = std::all_of(summary.numbers.begin(), summary.numbers.end(),
                                  [c](const auto& row) { return std::isnan(row[c]); });
    if (kFixedColumns.count(name) || !(text || name.find('.') != std::string::npos) || is_used(name)) continue;
    bool varies = false;
    for (const auto& [key, cell] : cells) {
      std::set<std::string> seen;
      for (std::size_t r : cell.trials) seen.insert(without_blanks(summary.rows[r][c]));
      varies = varies || seen.size() > 1;
    }
    if (varies) pooled.push_back(summary.columns[c]);
  }
  // Seeds (data.calibration.seed, ...) are what cells are meant to average over.
  std::vector<std::string> seeds, others;
  for (const auto& k : pooled) (k.size() > 5 && k.compare(k.size() - 5, 5, ".seed") == 0 ? seeds : others).push_back(k);
  if (!seeds.empty()) table.notes.push_back("cells also average over " + join(seeds, ", "));
  if (!others.empty())
    table.notes.push_back("cells pool trials that differ in " + join(others, ", ") + " (not a row or column key)");
  if (!failures.empty()) {
    table.notes.push_back(std::to_string(failures.size()) + " failed trial(s), not averaged:");
    for (const auto& [r, where] : failures) {
      std::string error = error_col ? summary.rows[r][*error_col] : "";
      if (auto nl = error.find('\n'); nl != std::string::npos) error.resize(nl);
      if (error.size() > 100) error = error.substr(0, 100) + "...";
      table.notes.push_back("  " + summary.rows[r][id_col] + " (" + where + "): " + error);
    }
  }
  return table;
}

}  // namespace qharness
