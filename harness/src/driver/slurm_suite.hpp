#pragma once
// `qharness slurm SUITE.yaml`: the whole suite as one chain of Slurm jobs.
//
//   checkpoint-<id>.sbatch  one job per checkpoint the parts load (model.checkpoint.train):
//                           `qharness run TRAIN.yaml --force`, which writes
//                           <results>/checkpoints/<id>.pt; once, however many parts load it
//   <part>/slurm/array.sbatch, merge.sbatch
//                           each part as `qharness slurm PART.yaml` would submit it (at most
//                           --tasks array tasks, fewer when the part has fewer trials); an
//                           array that loads a checkpoint waits for its job (afterok, with
//                           --kill-on-invalid-dep=yes: a failed training cancels the arrays
//                           that need it instead of having every task train it again)
//   report.sbatch           after every merge (afterany): each part's tables, as Markdown, in
//                           <results>/<suite>/report.md (and the figures with `figures: true`);
//                           exit status 1 when a part has no merged results
// The suite's files are in <results>/<suite>/slurm/ (submit.sh: every sbatch call in order,
// logs/), each part's in <results>/<part>/slurm/.
//
// Resubmitting runs only what is missing: a checkpoint whose file exists is not trained again
// (nor one that no part with trials left needs), a part submits only its array tasks with
// trials not done, and a part whose merged file already holds every trial done submits
// nothing. The report is submitted whenever anything else is, or when report.md is missing.
// A submission is refused while an array or checkpoint job of the suite is queued or running.
#include <string>
#include <vector>

#include "driver/slurm.hpp"
#include "plugins/plugin_registry.hpp"
#include "run/suite.hpp"

namespace qharness {

struct SuiteSubmitOptions {
  SlurmOptions slurm;                      // --tasks is the most array tasks per part
  std::vector<std::string> overrides;      // the command line's, applied to every part
  std::string command_line;
  std::string analysis_dir;                // analysis/plot.py's folder (figures: true)
  std::string python = "/usr/bin/python3";
};

// A checkpoint that parts of the suite load: the training experiment that writes it.
struct SuiteCheckpoint {
  std::string train_file;           // absolute
  std::string trial_id;             // the training trial's id: the cache key
  std::string path;                 // <results>/checkpoints/<trial_id>.pt
  std::string threads;              // the training experiment's `threads`
  std::vector<std::string> parts;   // names of the parts that load it
};

// The checkpoints `experiments` load (model.checkpoint.train), each once, in order of first use.
// Throws ConfigError when a training file is not one trial of task train.
std::vector<SuiteCheckpoint> suite_checkpoints(const std::vector<Experiment>& experiments, PluginRegistry& registry,
                                               const std::string& results_root);

// Writes every script and submits the chain (or, with --print, prints them). Exit status.
int slurm_submit_suite(const Suite& suite, PluginRegistry& registry, const SuiteSubmitOptions& options);

}  // namespace qharness
