#include "report/report_spec.hpp"

#include <set>

#include "config/config_error.hpp"
#include "config/resolve.hpp"
#include "util/text.hpp"

namespace qharness {
namespace {

std::string check_conditions(const YAML::Node& v) {
  for (const auto& e : v)
    if (e.Scalar().find('=') == std::string::npos)
      return "'" + e.Scalar() + "' is not key.path=value";
  return "";
}

// Validation of a lone `report:` block needs no plugin.
class NoPlugins : public PluginCatalog {
 public:
  const PluginInfo* find(PluginKind, const std::string&) const override { return nullptr; }
  std::vector<std::string> names(PluginKind) const override { return {}; }
};

}  // namespace

SchemaNode report_schema() {
  SchemaNode report = SchemaNode::map(
      "how `qharness report` lays out the results (not part of the trial id: editing it reruns nothing)");
  report.add("label", SchemaNode::leaf(ParamType::String, YAML::Node(""),
                                       "free text naming the trial's variant, to sweep in a zip and use as a row key "
                                       "(report.label), e.g. lapq-powell / lapq-ceres"));
  SchemaNode table = SchemaNode::map("one pivot table");
  table.add("title", SchemaNode::leaf(ParamType::String, YAML::Node(""), "heading; \"\" = metric by rows x cols"));
  table.add("rows", SchemaNode::leaf(ParamType::StringList, YAML::Node(YAML::NodeType::Sequence),
                                     "row keys, outermost first: key paths of /summary or the config, each optionally "
                                     "label=key.path (model=model.arch); at least one"));
  table.add("cols", SchemaNode::leaf(ParamType::StringList, YAML::Node(YAML::NodeType::Sequence),
                                     "column keys (same form); one column per combination, its values joined by / "
                                     "(W=quant.weights.bits, A=quant.activations.bits gives 4/4); [] = one column"));
  table.add("metric", SchemaNode::leaf(ParamType::String, YAML::Node("top1"),
                                       "the /summary metric in the cells: mean +- sample std over the trials of the cell"));
  SchemaNode where = SchemaNode::leaf(ParamType::StringList, YAML::Node(YAML::NodeType::Sequence),
                                      "only trials with key.path=value for every entry; value a|b = either (quant.gradients.bits=4|32)");
  where.check = check_conditions;
  table.add("where", where);
  SchemaNode baseline = SchemaNode::leaf(ParamType::String, YAML::Node(""),
                                         "row_key.path=value: adds a degradation column per column, cell mean minus "
                                         "the mean of the row that has this value (others equal); \"\" = none");
  baseline.check = [](const YAML::Node& v) -> std::string {
    if (v.Scalar().empty() || v.Scalar().find('=') != std::string::npos) return "";
    return "'" + v.Scalar() + "' is not key.path=value";
  };
  table.add("baseline", baseline);
  table.add("digits", SchemaNode::leaf(ParamType::Int, YAML::Node("2"),
                                       "decimals of means and stds (values below 10^-digits in scientific notation)")
                          .range(0, 12));
  table.add("scale", SchemaNode::leaf(ParamType::Double, YAML::Node("1"),
                                      "values are multiplied by this before averaging (100: top1 as %)"));
  report.add("tables", SchemaNode::list_of(table, "the tables, in order; none = the plain summary table"));
  return report;
}

ReportKey parse_report_key(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) return {trim(text), trim(text)};
  return {trim(text.substr(0, eq)), trim(text.substr(eq + 1))};
}

ReportCondition parse_report_condition(const std::string& text, const std::string& what) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) throw ConfigError(what + ": '" + text + "' is not key.path=value");
  return {trim(text.substr(0, eq)), trim(text.substr(eq + 1))};
}

std::vector<ReportTableSpec> report_tables(const YAML::Node& report) {
  std::vector<ReportTableSpec> tables;
  const YAML::Node list = report && report.IsMap() ? report["tables"] : YAML::Node();
  if (!list || !list.IsSequence()) return tables;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node t = list[i];
    const std::string where = "report.tables[" + std::to_string(i) + "]";
    ReportTableSpec spec;
    if (t["title"]) spec.title = t["title"].Scalar();
    if (t["rows"])
      for (const auto& k : t["rows"]) spec.rows.push_back(parse_report_key(k.Scalar()));
    if (t["cols"])
      for (const auto& k : t["cols"]) spec.cols.push_back(parse_report_key(k.Scalar()));
    if (t["metric"]) spec.metric = t["metric"].Scalar();
    if (t["where"])
      for (const auto& c : t["where"]) spec.where.push_back(parse_report_condition(c.Scalar(), where + ".where"));
    if (t["digits"]) spec.digits = t["digits"].as<int>();
    if (t["scale"]) spec.scale = t["scale"].as<double>();
    if (spec.rows.empty()) throw ConfigError(where + ".rows: a table needs at least one row key");
    if (t["baseline"] && !t["baseline"].Scalar().empty()) {
      spec.has_baseline = true;
      spec.baseline = parse_report_condition(t["baseline"].Scalar(), where + ".baseline");
      bool is_row_key = false;
      for (const auto& r : spec.rows) is_row_key = is_row_key || r.path == spec.baseline.path || r.label == spec.baseline.path;
      if (!is_row_key)
        throw ConfigError(where + ".baseline: '" + spec.baseline.path + "' is not one of the row keys of the table");
    }
    tables.push_back(std::move(spec));
  }
  return tables;
}

std::vector<ReportTableSpec> report_tables_from_raw(const YAML::Node& raw_report, const std::string& file) {
  SchemaNode root = SchemaNode::map("");
  root.add("report", report_schema());
  YAML::Node tree(YAML::NodeType::Map);
  tree["report"] = raw_report;
  std::vector<std::string> errors, notes;
  const NoPlugins plugins;
  const OriginLookup origin_of = [&](const std::string&) { return Origin{file, 0, 0}; };
  ResolvedConfig cfg = resolve_config(tree, root, {}, plugins, origin_of, errors, notes);
  if (!errors.empty()) throw ConfigError(errors);
  return report_tables(cfg.tree["report"]);
}

}  // namespace qharness
