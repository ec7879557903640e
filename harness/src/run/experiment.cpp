#include "run/experiment.hpp"

#include <boost/filesystem.hpp>

#include <map>
#include <set>

#include "config/experiment_schema.hpp"
#include "config/sweep.hpp"
#include "data/dataset_registry.hpp"
#include "tasks/mask_slot.hpp"
#include "util/text.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

void load_yaml_plugins(const RawConfig& raw, PluginRegistry& registry) {
  const YAML::Node plugins = raw.root["plugins"];
  if (!plugins || plugins.IsNull()) return;
  if (!plugins.IsSequence())
    throw ConfigError(raw.origin_of("plugins"), "plugins: expected a list of plugin files or folders");
  const fs::path dir = fs::path(raw.file).parent_path();
  for (const auto& p : plugins) {
    fs::path path(p.Scalar());
    if (path.is_relative()) path = dir / path;
    if (!fs::exists(path))
      throw ConfigError(raw.origin_of("plugins"), "plugins: '" + path.string() + "' does not exist");
    registry.load(path.string());
  }
}

// Checks the dataset's files and records the default root in the resolved config.
void resolve_data(ResolvedConfig& cfg, const OriginLookup& origin_of, std::vector<std::string>& errors) {
  if (!cfg.has("data.dataset")) return;
  const DatasetInfo& dataset = dataset_info(cfg.get_string("data.dataset"));
  std::string root = cfg.get_string("data.root");
  if (root.empty()) {
    root = dataset.default_root;
    cfg.tree["data"]["root"] = root;
  }
  if (std::string why = check_dataset_root(dataset, root); !why.empty()) {
    std::string where = origin_of("data.root").where();
    errors.push_back((where.empty() ? "" : where + ": ") + why);
  }
}

std::string swept_yaml(const ResolvedConfig& cfg, const TrialPoint& point) {
  YAML::Emitter out;
  out << YAML::Flow << YAML::BeginMap;
  for (const auto& kv : point.swept) {
    out << YAML::Key << kv.first << YAML::Value;
    YAML::Node v = find_path(cfg.tree, kv.first);
    if (v.IsScalar()) out << v.Scalar();
    else if (v.IsDefined()) out << v;
    else out << kv.second;
  }
  out << YAML::EndMap;
  return out.c_str();
}

// Builds every mask and quantizer plugin a trial selects (quantizers with bits < 32: the ones a
// task builds), once per distinct choice, so that what a plugin refuses in its constructor stops
// the run before any trial, with the slot's file:line: tnm-exhaustive with m != 4, a mask
// pattern/scope pair the tasks cannot check, a torchscript module that lacks a method or
// returns the wrong shape on its probe tensors.
class PluginProbe {
 public:
  explicit PluginProbe(const PluginRegistry& plugins) : plugins_(plugins) {}
  void check(const ResolvedConfig& cfg, const std::set<std::string>& used, const OriginLookup& origin_of,
             std::vector<std::string>& errors) {
    for (const auto& [path, selection] : cfg.plugins) {
      const bool mask = selection.kind == PluginKind::Mask;
      if (!(mask || selection.kind == PluginKind::Quantizer) || selection.builtin) continue;
      if (!mask && selection.params.has("bits") && selection.params.get_int("bits") >= 32) continue;
      if (!used.count(path.substr(0, path.find('.')))) continue;  // a block the task does not read
      const std::string key = path + "\n" + YAML::Dump(find_path(cfg.tree, path));
      auto [it, fresh] = verdicts_.emplace(key, "");
      if (fresh) it->second = mask ? mask_selection_problem(selection, plugins_) : quantizer_problem(selection);
      if (it->second.empty()) continue;
      const std::string where = origin_of(path + (mask ? ".method" : ".quantizer")).where();
      errors.push_back((where.empty() ? "" : where + ": ") + path + ": " + to_string(selection.kind) + " plugin '" +
                       selection.name + "' refused: " + it->second);
    }
  }

 private:
  std::string quantizer_problem(const PluginSelection& selection) const {
    try {
      plugins_.make_quantizer(selection);
      return "";
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  const PluginRegistry& plugins_;
  std::map<std::string, std::string> verdicts_;
};

}  // namespace

Experiment build_experiment(RawConfig raw, PluginRegistry& registry) {
  load_yaml_plugins(raw, registry);
  const SchemaNode schema = experiment_schema(all_tasks());
  std::vector<TrialPoint> points = expand_sweep(raw);

  Experiment exp;
  std::vector<std::string> errors;
  std::set<std::string> seen_errors;  // a bad key in the file repeats in every trial: say it once
  std::set<std::string> seen_notes;
  std::set<std::string> seen_ids;
  std::vector<std::string> unique_errors;
  PluginProbe plugin_probe(registry);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const TrialPoint& point = points[i];
    OriginLookup origin_of = [&](const std::string& path) {
      for (auto it = point.origins.rbegin(); it != point.origins.rend(); ++it)
        if (path == it->first || starts_with(path, it->first + ".")) return it->second;
      return raw.origin_of(path);
    };
    std::set<std::string> used;
    const YAML::Node task_node = point.tree["task"];
    const TaskInfo* task = task_node && task_node.IsScalar() ? find_task(task_node.Scalar()) : nullptr;
    if (task) {
      used.insert(task->name);
      used.insert(task->uses.begin(), task->uses.end());
    }
    // A dataset the user names is checked even when the task reads none: a wrong path in a
    // shared base file is worth knowing before the experiment that does read it.
    if (point.tree["data"]) used.insert("data");
    std::vector<std::string> trial_errors, notes;
    ResolvedConfig cfg = resolve_config(point.tree, schema, used, registry, origin_of, trial_errors, notes);
    if (trial_errors.empty()) resolve_data(cfg, origin_of, trial_errors);
    if (trial_errors.empty()) plugin_probe.check(cfg, used, origin_of, trial_errors);
    if (trial_errors.empty() && task && task->check) task->check(cfg, registry, origin_of, trial_errors);
    for (auto& e : trial_errors)
      if (seen_errors.insert(e).second) unique_errors.push_back(e);
    for (auto& n : notes)
      if (seen_notes.insert(n).second) exp.notes.push_back(n);
    if (!trial_errors.empty()) continue;

    Trial t;
    t.index = static_cast<std::int64_t>(exp.trials.size());
    t.id = cfg.trial_id();
    t.seed = cfg.get_int("seed");
    t.task = task;
    t.swept_yaml = swept_yaml(cfg, point);
    t.config = std::move(cfg);
    if (!seen_ids.insert(t.id).second) {
      exp.notes.push_back("sweep point " + std::to_string(i) + " " + t.swept_yaml + " resolves to the same config as an earlier one (trial " + t.id + "); it runs once");
      continue;
    }
    exp.trials.push_back(std::move(t));
  }
  if (!unique_errors.empty()) throw ConfigError(unique_errors);
  exp.name = exp.trials.empty() ? "" : exp.trials.front().config.get_string("name");
  exp.raw = std::move(raw);
  return exp;
}

}  // namespace qharness
