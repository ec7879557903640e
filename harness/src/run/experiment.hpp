#pragma once
// An experiment ready to run: the YAML loaded, overrides applied, plugins loaded, the sweep
// expanded and every trial validated and resolved. Building it is where bad input is caught:
// it throws ConfigError listing every problem, before any trial runs.
#include <string>
#include <vector>

#include "config/raw_config.hpp"
#include "config/resolve.hpp"
#include "plugins/plugin_registry.hpp"
#include "tasks/task.hpp"

namespace qharness {

struct Trial {
  std::int64_t index = 0;       // position in the expanded sweep
  std::string id;               // ResolvedConfig::trial_id()
  ResolvedConfig config;
  std::string swept_yaml;       // {key: value, ...} of the swept keys (resolved values)
  std::int64_t seed = 0;
  const TaskInfo* task = nullptr;
};

struct Experiment {
  RawConfig raw;
  std::string name;
  std::vector<Trial> trials;
  std::vector<std::string> notes;   // things worth telling the user (unused blocks, duplicates)
};

// Loads the plugins named by the YAML's `plugins:` into `registry` (after those already
// there), then expands and resolves.
Experiment build_experiment(RawConfig raw, PluginRegistry& registry);

}  // namespace qharness
