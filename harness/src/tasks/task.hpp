#pragma once
// A task is what one trial does (`task:` in the YAML): train, ptq, hessian, selftest, ...
// Each task declares its own YAML block (its schema; the block's key is the task's name) and
// the shared blocks it reads (data, model, quant). The runner builds a TrialContext per trial,
// calls run(), and records what the task wrote into the context.
#include <functional>
#include <string>
#include <vector>

#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "plugins/plugin_registry.hpp"
#include "results/trial_record.hpp"

namespace qharness {

class TrialContext {
 public:
  TrialContext(const ResolvedConfig& config, const PluginRegistry& plugins, TrialRecord& record,
               std::string results_root = "results")
      : config_(config), plugins_(plugins), record_(record), results_root_(std::move(results_root)) {}

  const ResolvedConfig& config() const { return config_; }
  const PluginRegistry& plugins() const { return plugins_; }
  std::int64_t seed() const { return record_.seed; }
  // The folder holding results/<name>/ (`run --results`); the checkpoint cache lives in its
  // checkpoints/ subfolder.
  const std::string& results_root() const { return results_root_; }

  // What the trial produced (docs/design.md, "Results"). Names are unique within each group.
  void metric(const std::string& name, double value);
  void series(const std::string& name, std::vector<double> values);
  void array(const std::string& name, NdArray array);

 private:
  const ResolvedConfig& config_;
  const PluginRegistry& plugins_;
  TrialRecord& record_;
  std::string results_root_;
};

// A task's check of a resolved trial before any trial runs (TaskInfo::check). It gets the
// registry, not only the catalog, so that it can build a plugin to ask it (quant_checks.hpp).
using TaskCheck =
    std::function<void(const ResolvedConfig&, const PluginRegistry&, const OriginLookup&, std::vector<std::string>& errors)>;

struct TaskInfo {
  std::string name;                 // the value of `task:`
  std::string description;          // one line, for the YAML reference
  std::vector<std::string> uses;    // shared blocks it reads besides its own (data, model, ...)
  std::function<SchemaNode()> schema;   // its own block, `<name>:`
  std::function<void(TrialContext&)> run;
  // Optional: what the schema cannot see, checked on every resolved trial before any trial
  // runs (e.g. that a quantizer plugin serves its slot's role: tasks/quant_checks.hpp). Each
  // problem is appended to `errors` as "file:line:col: key: what is wrong" (origin_of gives
  // the file:line of a key), and the run is refused with exit 2.
  TaskCheck check;
};

// Every built-in task, in the order of the YAML reference.
const std::vector<TaskInfo>& all_tasks();
const TaskInfo* find_task(const std::string& name);

}  // namespace qharness
