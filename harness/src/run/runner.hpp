#pragma once
// Runs an experiment's trials: resume, sharding, failure handling, progress, and the results
// files (see results/results_layout.hpp for where they go).
#include <string>

#include "plugins/plugin_registry.hpp"
#include "run/experiment.hpp"

namespace qharness {

struct RunOptions {
  bool force = false;                // rerun trials that are already done
  int shard_index = 0;               // run trial k iff k % shard_count == shard_index
  int shard_count = 1;
  std::string results_root = "results";
};

// Exit status: 0 when every trial of this run (shard) is done, 1 when some failed.
int run_experiment(const Experiment& experiment, const PluginRegistry& plugins, const RunOptions& options);

// The trial list of --dry-run: index, id, swept values, and which shard runs it.
void print_trials(const Experiment& experiment, const RunOptions& options);

// Combines the shard files and trial files of results/<name>/ into results/<name>/<name>.h5.
// Exit status: 0 when every trial of the sweep is there and done, 1 otherwise.
int merge_results(const std::string& experiment_dir);

}  // namespace qharness
