#pragma once
// `qharness slurm`: runs an experiment's shards as a Slurm job array, plus a merge job (a suite:
// driver/slurm_suite.hpp).
//
// It writes into results/<name>/slurm/
//   array.sbatch   the job array 0..N-1; task I runs `qharness run FILE overrides --shard I/N`
//   merge.sbatch   `qharness merge results/<name>`, submitted with --dependency=afterany:<array>
//   submit.sh      the sbatch commands (what is submitted, or with --print what would be)
//   logs/          the jobs' output (%x-%A_%a.out)
// and submits array and merge with `sbatch --parsable`. Resume is the default of `run`, so a
// resubmission runs only the trials that are not done; on top of that only the array tasks that
// still have such trials are submitted (`--array=1,4`), so finished shards cost no allocation,
// and a submission is refused while an array job of the experiment is still queued or running.
//
// Why afterany, not afterok: a task whose trial failed (a NaN loss) or that was cancelled,
// preempted for good or timed out ends "not ok", and an afterok merge would then never run
// (it stays pending with DependencyNeverSatisfied). The merge is cheap and always correct: it
// rebuilds <name>.h5 from whatever trials exist and says which are missing or failed (its exit
// status is 1 then, so sacct shows it), and the next merge rewrites the file.
#include <boost/filesystem/path.hpp>

#include <optional>
#include <string>
#include <vector>

#include "driver/slurm_chain.hpp"
#include "run/experiment.hpp"
#include "util/shell.hpp"

namespace qharness {

struct SlurmOptions {
  // Number of array tasks N (shards); required, 1 <= N <= number of trials.
  int tasks = 0;
  // --partition; "" = the cluster's default partition. Letters, digits, `_.-`, commas.
  std::string partition;
  // --time, in one of Slurm's forms (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, UNLIMITED);
  // "" = the partition's default limit. Applies to each task and to the merge job.
  std::string time;
  // --cpus-per-task; unset = Slurm's default (1). When set and the experiment's `threads` is
  // `auto`, the tasks run with threads=<cpus>: `auto` would take every core of the node, not
  // the allocation's.
  std::optional<int> cpus;
  // --mem (per node), a number with an optional K/M/G/T suffix; "" = the partition's default.
  std::string mem;
  // Write the files and print them (and the sbatch commands) instead of submitting.
  bool print = false;
  // The results root (`run --results`); made absolute, since jobs may start anywhere.
  std::string results_root = "results";
  // The sbatch program (a name looked up on PATH, or a path).
  std::string sbatch = "sbatch";
};

// Throws ConfigError naming every bad option (nothing is written then).
void validate_slurm_options(const SlurmOptions& options, std::size_t trial_count);

// What the generated scripts need, all paths absolute.
struct SlurmJob {
  std::string name;                      // experiment name
  std::string qharness;                  // the driver binary
  std::string experiment_file;
  std::vector<std::string> run_overrides;  // overrides passed to `run` (threads=C added where due)
  std::string results_root;
  std::string workdir;                   // --chdir: where relative paths in the YAML resolve
  std::string slurm_dir;                 // results/<name>/slurm
  std::string command_line;              // the `qharness slurm ...` that generated them
  SlurmOptions options;
};

struct SlurmScripts {
  std::string array;    // array.sbatch
  std::string merge;    // merge.sbatch
  std::string submit;   // submit.sh, for the array tasks `pending`
};

// `pending` are the array task ids to submit (ascending, non-empty for an array submission).
SlurmScripts render_slurm_scripts(const SlurmJob& job, const std::vector<int>& pending);

// The sbatch calls of one experiment: its array (the `pending` tasks; none when empty), then
// its merge after the array's end (afterany). Variables `<prefix>array`, `<prefix>merge`; the
// array waits for `checkpoint_vars` (afterok: they train the checkpoint it loads).
std::vector<SbatchCall> experiment_calls(const SlurmJob& job, const std::vector<int>& pending, const std::string& prefix,
                                         const std::vector<std::string>& checkpoint_vars = {});

// What the scripts of an experiment need (absolute paths, threads=<cpus> added where `threads`
// is auto), for options already validated; slurm files under <results>/<name>/slurm/.
SlurmJob make_slurm_job(const Experiment& experiment, const std::string& experiment_file,
                        const std::vector<std::string>& overrides, const SlurmOptions& options,
                        const std::string& command_line);

// `run` overrides for a job with options.cpus CPUs: threads=<cpus> when the experiment's
// `threads` (its first trial's) is auto and the overrides do not set it (auto would take every
// core of the node).
std::vector<std::string> overrides_for_cpus(const std::string& experiment_threads, std::vector<std::string> overrides,
                                            const SlurmOptions& options);

// Slurm's --array syntax for ascending task ids: {0,1,2,5,7,8} -> "0-2,5,7-8".
std::string slurm_array_ranges(const std::vector<int>& ids);

// The job id in the output of `sbatch --parsable` ("123" or "123;cluster"); throws
// std::runtime_error quoting the output when there is none.
std::string parse_sbatch_job_id(const std::string& output);

// The array tasks (0..tasks-1) that still have a trial not done in the results under
// results_root/<name>/ (trial files, shard files, the experiment file).
std::vector<int> pending_array_tasks(const Experiment& experiment, const std::string& results_root, int tasks);

// True when results_root/<name>/<name>.h5 holds every trial of the experiment, done: nothing
// is left to run or to merge.
bool merged_and_complete(const Experiment& experiment, const std::string& results_root);

// Throws ConfigError (naming sbatch) when options.print is off and there is no sbatch to run.
void require_sbatch(const SlurmOptions& options);

// Jobs of this user with one of these names still queued or running (the array's job id for
// an array), asked of the squeue beside sbatch; empty, with a warning, when squeue cannot answer.
std::vector<std::string> active_slurm_jobs(const SlurmOptions& options, const std::vector<std::string>& job_names);

// The #SBATCH lines every job script starts with: --job-name, --output (a pattern, appended
// to: a requeued job keeps its first attempt's output), --chdir.
std::string slurm_job_directives(const std::string& job_name, const std::string& output, const std::string& workdir);

// The #SBATCH lines of the resources every job gets (--cpus-per-task only `with_cpus`).
std::string slurm_resource_directives(const SlurmOptions& options, bool with_cpus);

// The line that turns HDF5's file locks off, with why (every job script has it).
extern const char* const kSlurmFileLockingNote;

// `text` with its newlines made blanks (for a `# ...` comment line).
std::string one_line(std::string text);

// Writes a script atomically (a temporary file renamed), executable.
void write_slurm_script(const boost::filesystem::path& path, const std::string& text);

// The whole subcommand for an experiment already built (validated): writes the files, then
// submits or prints. Returns the exit status.
int slurm_submit(const Experiment& experiment, const std::string& experiment_file,
                 const std::vector<std::string>& overrides, const SlurmOptions& options,
                 const std::string& command_line);

}  // namespace qharness
