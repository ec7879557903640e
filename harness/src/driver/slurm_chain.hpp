#pragma once
// A chain of `sbatch` calls whose jobs wait for each other: what `qharness slurm` submits, for
// one experiment (array, then its merge) and for a suite (checkpoint trainings, each part's
// array and merge, the suite's report). One description serves both ways of submitting it:
// submit.sh (the shell script written beside the jobs' scripts, what --print shows) and
// submit_chain (what the driver runs), so the two cannot drift apart.
//
// Dependencies: `afterok` where a job must not start unless the earlier one succeeded (an array
// that loads a checkpoint must not train it itself in every task); such a job is submitted with
// --kill-on-invalid-dep=yes, so that Slurm cancels it when that dependency fails instead of
// leaving it pending for ever, and the jobs after it (merge, report: `afterany`) still run and
// say what is missing.
#include <string>
#include <vector>

namespace qharness {

struct SbatchCall {
  std::string var;                   // the shell variable of its job id in submit.sh: [a-z0-9_]+
  std::string script;                // the .sbatch file (absolute)
  std::string array;                 // --array=...; "" = one job
  std::vector<std::string> afterok;  // vars of earlier calls that must have succeeded
  std::vector<std::string> afterany; // vars of earlier calls that must have ended, however
  std::string label;                 // what it is, for messages ("merge of lapq-table")
};

// sbatch's options of a call, job ids taken from `ids` (var -> id or "$var" for the script):
// "--parsable --array=0-2 --dependency=afterok:12 --kill-on-invalid-dep=yes".
std::string sbatch_arguments(const SbatchCall& call, const std::vector<std::pair<std::string, std::string>>& ids);

// submit.sh: `header` (comment lines), then one sbatch call per entry, each keeping its job id
// in its variable for the calls after it.
std::string render_submit_script(const std::string& header, const std::vector<SbatchCall>& calls,
                                 const std::string& sbatch);

// Submits the calls in order with `sbatch` (a name on PATH or a path); returns their job ids.
// When one fails, throws std::runtime_error naming it and the jobs already submitted.
std::vector<std::string> submit_chain(const std::vector<SbatchCall>& calls, const std::string& sbatch);

}  // namespace qharness
