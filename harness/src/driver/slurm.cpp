#include "driver/slurm.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/filesystem.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include "config/config_error.hpp"
#include "results/h5_store.hpp"
#include "results/results_layout.hpp"
#include "util/text.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

// Slurm's time limit forms (sbatch(1), --time).
const std::regex kSlurmTime(R"(^(\d+|\d+:\d+|\d+:\d+:\d+|\d+-\d+|\d+-\d+:\d+|\d+-\d+:\d+:\d+|infinite|unlimited|INFINITE|UNLIMITED)$)");
const std::regex kSlurmMem(R"(^\d+[KMGTkmgt]?$)");
const std::regex kSlurmPartition(R"(^[A-Za-z0-9_.,-]+$)");

std::string join_quoted(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += " " + shell_quote(w);
  return s;
}

bool on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "", ':'))
    if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
  return false;
}

// A value on an `#SBATCH --opt=value` line: sbatch strips double quotes there, and reads the
// line up to the first blank otherwise.
std::string slurm_directive_value(const std::string& v) {
  if (v.find_first_of("\"\n") != std::string::npos)
    throw ConfigError("slurm: '" + v + "' contains a double quote or a newline, which an #SBATCH line cannot hold");
  return v.find_first_of(" \t") == std::string::npos ? v : "\"" + v + "\"";
}

}  // namespace

const char* const kSlurmFileLockingNote =
    "# HDF5 file locks fail or hang on many network filesystems (NFS, Lustre, GPFS). qharness\n"
    "# never has two processes write one file (each writes its own trial and shard files to a\n"
    "# temporary name and renames them into place), so it does not need them.\n"
    "export HDF5_USE_FILE_LOCKING=FALSE\n";

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

std::string slurm_job_directives(const std::string& job_name, const std::string& output, const std::string& workdir) {
  return "#SBATCH --job-name=" + slurm_directive_value(job_name) + "\n#SBATCH --output=" +
         slurm_directive_value(output) + "\n#SBATCH --open-mode=append\n#SBATCH --chdir=" +
         slurm_directive_value(workdir) + "\n";
}

std::string slurm_resource_directives(const SlurmOptions& o, bool with_cpus) {
  std::string s;
  if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
  if (!o.time.empty()) s += "#SBATCH --time=" + o.time + "\n";
  if (with_cpus && o.cpus) s += "#SBATCH --cpus-per-task=" + std::to_string(*o.cpus) + "\n";
  if (!o.mem.empty()) s += "#SBATCH --mem=" + o.mem + "\n";
  return s;
}

void require_sbatch(const SlurmOptions& o) {
  if (!o.print && !on_path(o.sbatch))
    throw ConfigError("slurm: '" + o.sbatch +
                      "' not found on PATH: submit from a machine with Slurm's client commands (a login node), "
                      "or use --print to write and show the scripts without submitting");
}

std::vector<std::string> active_slurm_jobs(const SlurmOptions& o, const std::vector<std::string>& job_names) {
  const fs::path sbatch(o.sbatch);
  const std::string squeue = sbatch.has_parent_path() ? (sbatch.parent_path() / "squeue").string() : "squeue";
  std::string out;
  try {
    out = run_capturing(shell_quote(squeue) + " --noheader --me --array --name=" + shell_quote(join(job_names, ",")) +
                        " --format=%F");  // %F: the array's job id (%A is each task's own)
  } catch (const std::exception& e) {
    std::cerr << "warning: cannot check for running jobs of this experiment: " << e.what() << "\n";
    return {};
  }
  std::set<std::string> ids;
  for (const auto& line : split(out, '\n'))
    if (!trim(line).empty()) ids.insert(trim(line));
  return {ids.begin(), ids.end()};
}

void write_slurm_script(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp.string());
    out << text;
    if (!out) throw std::runtime_error("slurm: cannot write " + tmp.string());
  }
  fs::permissions(tmp, fs::owner_all | fs::group_read | fs::group_exe | fs::others_read | fs::others_exe);
  fs::rename(tmp, path);
}

std::string slurm_array_ranges(const std::vector<int>& ids) {
  std::string s;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    s += (s.empty() ? "" : ",") + std::to_string(ids[i]) + (j > i ? "-" + std::to_string(ids[j]) : "");
    i = j + 1;
  }
  return s;
}

std::string parse_sbatch_job_id(const std::string& output) {
  static const std::regex id(R"(^\s*(\d+)(;\S*)?\s*$)");
  std::smatch m;
  if (!std::regex_match(output, m, id))
    throw std::runtime_error("slurm: expected a job id from `sbatch --parsable`, got '" + trim(output) + "'");
  return m[1];
}

void validate_slurm_options(const SlurmOptions& o, std::size_t trial_count) {
  std::vector<std::string> errors;
  if (o.tasks < 1) errors.push_back("--tasks " + std::to_string(o.tasks) + ": need at least 1 array task");
  else if (static_cast<std::size_t>(o.tasks) > trial_count)
    errors.push_back("--tasks " + std::to_string(o.tasks) + ": the sweep has only " + std::to_string(trial_count) +
                     " trial(s), so at most " + std::to_string(trial_count) +
                     " tasks have work (a task without a trial would only hold an allocation)");
  if (!o.partition.empty() && !std::regex_match(o.partition, kSlurmPartition))
    errors.push_back("--partition '" + o.partition + "': expected a partition name (letters, digits, _ . -; several separated by commas)");
  if (!o.time.empty() && !std::regex_match(o.time, kSlurmTime))
    errors.push_back("--time '" + o.time + "': expected one of Slurm's forms MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED (e.g. 2:00:00)");
  if (o.cpus && *o.cpus < 1) errors.push_back("--cpus " + std::to_string(*o.cpus) + ": need at least 1");
  if (!o.mem.empty() && !std::regex_match(o.mem, kSlurmMem))
    errors.push_back("--mem '" + o.mem + "': expected a size in megabytes or with a K/M/G/T suffix (e.g. 4G)");
  if (!errors.empty()) throw ConfigError(errors);
}

SlurmScripts render_slurm_scripts(const SlurmJob& job, const std::vector<int>& pending) {
  const SlurmOptions& o = job.options;
  const std::string n = std::to_string(o.tasks);
  const fs::path dir(job.slurm_dir);
  const std::string results_dir = (fs::path(job.results_root) / job.name).string();
  SlurmScripts s;

  std::ostringstream a;
  a << "#!/bin/bash\n"
    << "# Experiment '" << one_line(job.name) << "' as a Slurm job array: task I of " << n << " runs the trials k with\n"
    << "# k mod " << n << " == I that are not done yet (qharness resumes by default), so resubmitting\n"
    << "# after a preemption or a failed task runs only what is missing.\n"
    << "# Generated by: " << one_line(job.command_line) << "\n"
    << "# The binary, the experiment and the results must be on a filesystem every node shares.\n"
    << slurm_job_directives("qh-" + job.name, (dir / "logs" / "%x-%A_%a.out").string(), job.workdir)
    << "#SBATCH --array=0-" << o.tasks - 1 << "\n"
    << "# After a node failure or a preemption Slurm may requeue the task; it resumes where it stopped.\n"
    << "#SBATCH --requeue\n"
    << slurm_resource_directives(o, true) << "set -eu\n"
    << kSlurmFileLockingNote
    << "# --shard is explicit: SLURM_ARRAY_TASK_COUNT counts the tasks submitted, which is fewer\n"
    << "# than " << n << " when a resubmission runs only the unfinished ones.\n"
    << "exec " << shell_quote(job.qharness) << " run " << shell_quote(job.experiment_file) << join_quoted(job.run_overrides)
    << " --shard \"${SLURM_ARRAY_TASK_ID}/" << n << "\" --results " << shell_quote(job.results_root) << "\n";
  s.array = a.str();

  std::ostringstream m;
  m << "#!/bin/bash\n"
    << "# Merges the shards of experiment '" << one_line(job.name) << "' into " << one_line(results_dir + "/" + job.name) << ".h5.\n"
    << "# Submitted with --dependency=afterany:<array job>: it runs once every task has ended, also\n"
    << "# when some failed or were cancelled (afterok would then never run it). It says which\n"
    << "# trials are missing or failed and exits 1 then; resubmitting runs them and merges again.\n"
    << "# Generated by: " << one_line(job.command_line) << "\n"
    << slurm_job_directives("qh-" + job.name + "-merge", (dir / "logs" / "%x-%j.out").string(), job.workdir)
    << slurm_resource_directives(o, false) << "set -eu\n"
    << kSlurmFileLockingNote
    << "exec " << shell_quote(job.qharness) << " merge " << shell_quote(results_dir) << "\n";
  s.merge = m.str();

  s.submit = render_submit_script(
      "# The submission of experiment '" + one_line(job.name) + "'. Generated by: " + one_line(job.command_line) +
          "\n# To resubmit after a preemption or a failure, run that command again: it submits only the\n"
          "# array tasks that still have trials to run.\n" +
          (pending.empty() ? "# Every trial is done: only the merge is left.\n" : ""),
      experiment_calls(job, pending, ""), o.sbatch);
  return s;
}

std::vector<SbatchCall> experiment_calls(const SlurmJob& job, const std::vector<int>& pending, const std::string& prefix,
                                         const std::vector<std::string>& checkpoint_vars) {
  const fs::path dir(job.slurm_dir);
  std::vector<SbatchCall> calls;
  SbatchCall merge{prefix + "merge_job", (dir / "merge.sbatch").string(), "", {}, {}, "merge of " + job.name};
  if (!pending.empty()) {
    calls.push_back({prefix + "array_job", (dir / "array.sbatch").string(), slurm_array_ranges(pending),
                     checkpoint_vars, {},
                     "array of " + job.name + " (tasks " + slurm_array_ranges(pending) + " of 0-" +
                         std::to_string(job.options.tasks - 1) + ")"});
    merge.afterany = {calls.back().var};
  }
  calls.push_back(merge);
  return calls;
}

std::vector<int> pending_array_tasks(const Experiment& exp, const std::string& results_root, int tasks) {
  const ResultsLayout layout(results_root, exp.name);
  std::vector<fs::path> files = layout.trial_files();
  if (fs::exists(layout.experiment_file())) files.push_back(layout.experiment_file());
  for (const auto& f : layout.shard_files()) files.push_back(f);
  std::set<std::string> done;
  for (const auto& f : files) {
    try {
      for (const auto& info : h5::list_trials(f.string()))
        if (info.status == "done") done.insert(info.id);
    } catch (const std::exception& e) {
      // Its trials count as not done: the task that owns them runs them again.
      std::cerr << "warning: skipping unreadable results file: " << e.what() << "\n";
    }
  }
  std::set<int> pending;
  for (const auto& t : exp.trials)
    if (!done.count(t.id)) pending.insert(static_cast<int>(t.index % tasks));
  return {pending.begin(), pending.end()};
}

bool merged_and_complete(const Experiment& exp, const std::string& results_root) {
  const ResultsLayout layout(results_root, exp.name);
  if (!fs::exists(layout.experiment_file())) return false;
  std::set<std::string> done;
  try {
    for (const auto& info : h5::list_trials(layout.experiment_file().string()))
      if (info.status == "done") done.insert(info.id);
  } catch (const std::exception&) {
    return false;   // unreadable: the merge rewrites it
  }
  for (const auto& t : exp.trials)
    if (!done.count(t.id)) return false;
  return true;
}

std::vector<std::string> overrides_for_cpus(const std::string& experiment_threads, std::vector<std::string> overrides,
                                            const SlurmOptions& options) {
  bool threads_set = false;
  for (const auto& o : overrides) threads_set |= starts_with(o, "threads=");
  if (options.cpus && !threads_set && experiment_threads == "auto")
    overrides.push_back("threads=" + std::to_string(*options.cpus));
  return overrides;
}

SlurmJob make_slurm_job(const Experiment& exp, const std::string& experiment_file,
                        const std::vector<std::string>& overrides, const SlurmOptions& options,
                        const std::string& command_line) {
  SlurmJob job;
  job.name = exp.name;
  job.qharness = boost::dll::program_location().string();
  job.experiment_file = fs::absolute(experiment_file).lexically_normal().string();
  job.run_overrides = overrides_for_cpus(exp.trials.front().config.get_string("threads"), overrides, options);
  job.results_root = fs::absolute(options.results_root).lexically_normal().string();
  job.workdir = fs::current_path().string();
  job.command_line = command_line;
  job.options = options;
  job.slurm_dir = (ResultsLayout(job.results_root, exp.name).dir / "slurm").string();
  return job;
}

int slurm_submit(const Experiment& exp, const std::string& experiment_file, const std::vector<std::string>& overrides,
                 const SlurmOptions& options, const std::string& command_line) {
  if (exp.trials.empty()) throw ConfigError("slurm: the experiment '" + experiment_file + "' has no trials");
  validate_slurm_options(options, exp.trials.size());
  require_sbatch(options);
  const SlurmJob job = make_slurm_job(exp, experiment_file, overrides, options, command_line);

  // Tasks of an earlier submission that still run would run the same trials again beside the
  // new ones (resume only skips trials that are finished).
  if (!options.print)
    if (auto active = active_slurm_jobs(options, {"qh-" + exp.name}); !active.empty())
      throw ConfigError("slurm: job(s) " + join(active, ", ") + " of experiment '" + exp.name +
                        "' are still queued or running; resubmitting now would run their trials twice: wait "
                        "until they end (squeue --me), or scancel them, then submit again");
  const std::vector<int> pending = pending_array_tasks(exp, job.results_root, options.tasks);
  const SlurmScripts scripts = render_slurm_scripts(job, pending);
  const fs::path dir(job.slurm_dir);
  fs::create_directories(dir / "logs");
  write_slurm_script(dir / "array.sbatch", scripts.array);
  write_slurm_script(dir / "merge.sbatch", scripts.merge);
  write_slurm_script(dir / "submit.sh", scripts.submit);

  const std::string summary = "experiment '" + exp.name + "': " + std::to_string(exp.trials.size()) + " trial(s) in " +
                              std::to_string(options.tasks) + " array task(s); " +
                              (pending.empty() ? std::string("every trial is done")
                                               : "task(s) with trials to run: " + slurm_array_ranges(pending));
  if (options.print) {
    for (const auto& [file, text] : {std::pair{"array.sbatch", scripts.array}, std::pair{"merge.sbatch", scripts.merge},
                                     std::pair{"submit.sh", scripts.submit}})
      std::cout << "# ==> " << (dir / file).string() << " <==\n" << text << "\n";
    std::cerr << summary << "\nwrote " << dir.string() << "/; submit with: bash "
              << shell_quote((dir / "submit.sh").string()) << "\n";
    return 0;
  }

  std::cerr << summary << "\n";
  const std::vector<std::string> ids = submit_chain(experiment_calls(job, pending, ""), options.sbatch);
  if (pending.empty()) {
    std::cout << "submitted merge job " << ids[0] << " (no array: every trial is done)\n";
    return 0;
  }
  std::cout << "submitted array job " << ids[0] << " (tasks " << slurm_array_ranges(pending) << " of 0-"
            << options.tasks - 1 << ") and merge job " << ids[1] << " (after all of " << ids[0] << " ended)\n"
            << "logs: " << (dir / "logs").string() << "/\n";
  return 0;
}

}  // namespace qharness
