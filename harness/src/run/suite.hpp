#pragma once
// A suite: an experiment file that names other experiment files and runs them in order, each
// as the experiment it is (its own results/<name>/, resume, shards). The quickstart and the
// full paper reproduction are suites, so one command runs several tasks and still leaves one
// results folder per study:
//
//   name: quickstart
//   suite:                                      # files relative to this one
//     - quickstart/ptq.yaml
//     - {file: paper/luq_table.yaml, overrides: ["name=luq-lenet5", "model={arch: lenet5}"]}
//   figures: true                               # ./qh plot each part at the end
//
// A part's own overrides apply first, then the command line's, which apply to every part (a
// key another task's part does not read is dropped with a note, as in any experiment).
// Every part is validated before any trial runs.
#include <optional>
#include <string>
#include <vector>

#include "plugins/plugin_registry.hpp"
#include "run/experiment.hpp"
#include "run/runner.hpp"

namespace qharness {

struct SuitePart {
  std::string file;                     // resolved against the suite file's folder
  std::vector<std::string> overrides;   // key.path=value, as on the command line
};

struct Suite {
  std::string name;
  std::string file;
  std::vector<SuitePart> parts;
  bool figures = false;
};

// The suite `file` describes, or nullopt when it is an ordinary experiment (no `suite:` key).
// Throws ConfigError (file:line) on a malformed suite: unknown keys, missing parts, nesting.
std::optional<Suite> load_suite(const std::string& file);

// Every part's experiment: its own overrides applied first, then `overrides` (the command line's).
// Validates every part before returning (one ConfigError with every part's errors); prints the
// parts' notes.
std::vector<Experiment> build_suite_experiments(const Suite& suite, PluginRegistry& registry,
                                                const std::vector<std::string>& overrides);

struct SuiteOptions {
  RunOptions run;
  std::vector<std::string> overrides;
  bool dry_run = false;
  // analysis/plot.py's folder and the Python that runs it (figures: true).
  std::string analysis_dir;
  std::string python = "/usr/bin/python3";
};

// Validates every part, runs them in order, then prints each part's report and (figures: true)
// writes and lists its figures. Exit status as `run`: 0 all done, 1 some trial (or figure) failed.
int run_suite(const Suite& suite, PluginRegistry& registry, const SuiteOptions& options);

}  // namespace qharness
