#include "run/runner.hpp"

#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <c10/util/Exception.h>

#include <boost/filesystem.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "driver/report.hpp"
#include "results/atomic_file.hpp"
#include "results/h5_store.hpp"
#include "results/results_layout.hpp"
#include "run/progress.hpp"
#include "run/provenance.hpp"
#include "run/run_lock.hpp"
#include "tasks/traced_minimize.hpp"
#include "util/omp_wait.hpp"
#include "util/text.hpp"
#include "util/usable_cpus.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

using Clock = std::chrono::steady_clock;

// Every trial found in `files`, keyed by id. A done copy wins over a failed one; among equals
// the first file listed wins (callers list trial files first: they are the journal). Damaged
// copies are left out, with a warning.
std::map<std::string, h5::TrialInfo> collect_trials(const std::vector<fs::path>& files,
                                                    std::vector<std::string>& warnings) {
  std::map<std::string, h5::TrialInfo> found;
  for (const auto& f : files) {
    std::vector<h5::TrialInfo> infos;
    try {
      infos = h5::list_trials(f.string());
    } catch (const std::exception& e) {
      warnings.push_back(std::string("skipping unreadable results file: ") + e.what());
      continue;
    }
    for (auto& info : infos) {
      if (!info.damage.empty()) {  // as if absent: another copy, or a rerun, replaces it
        warnings.push_back("ignoring damaged trial " + info.id + " in " + info.file + ": " + info.damage);
        continue;
      }
      auto it = found.find(info.id);
      if (it == found.end() || (it->second.status != "done" && info.status == "done")) found[info.id] = info;
    }
  }
  return found;
}

std::vector<fs::path> all_result_files(const ResultsLayout& layout) {
  std::vector<fs::path> files = layout.trial_files();
  if (fs::exists(layout.experiment_file())) files.push_back(layout.experiment_file());
  for (const auto& s : layout.shard_files()) files.push_back(s);
  return files;
}

// A trial's failure reason when a recorded number is NaN or infinite, else "".
std::string finite_text(double v) { return std::isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"; }

std::string non_finite_reason(const TrialRecord& r) {
  for (const auto& [name, v] : r.metrics)
    if (!std::isfinite(v)) return "metric '" + name + "' is " + finite_text(v);
  for (const auto& [name, values] : r.series)
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        return "series '" + name + "' is " + finite_text(values[i]) + " at step " + std::to_string(i);
  return "";
}

// The trial's torch thread count: `threads`, or for `auto` the CPUs this process may use
// (util/usable_cpus.hpp: affinity mask, SLURM_CPUS_PER_TASK, cgroup quota).
int set_threads(const ResolvedConfig& cfg) {
  const std::string t = cfg.get_string("threads");
  const int n = t == "auto" ? usable_cpus().cpus : std::stoi(t);
  if (at::get_num_threads() != n) at::set_num_threads(n);
  return n;
}

// The start-up line's thread part: what `auto` comes to where a trial uses it, else the
// experiment's own number(s), so that a run with threads=1 does not claim two.
std::string threads_description(const std::vector<const Trial*>& trials) {
  std::set<std::string> settings;
  for (const Trial* t : trials) settings.insert(t->config.get_string("threads"));
  std::string text = "threads: ";
  if (settings.count("auto")) {
    const UsableCpus cpus = usable_cpus();
    text += "auto = " + std::to_string(cpus.cpus) + " (" + cpus.source + ")";
    settings.erase("auto");
    if (settings.empty()) return text;
    text += ", and ";
  }
  std::string numbers;
  for (const std::string& n : settings) numbers += (numbers.empty() ? "" : ", ") + n;
  return text + numbers + " (set by the experiment)";
}

TrialRecord run_trial(const Trial& trial, const PluginRegistry& plugins, const std::string& results_root) {
  TrialRecord rec;
  rec.id = trial.id;
  rec.index = trial.index;
  rec.config_yaml = trial.config.yaml();
  rec.swept_yaml = trial.swept_yaml;
  rec.seed = trial.seed;
  rec.started = utc_now_iso8601();
  const auto begin = Clock::now();
  try {
    rec.threads = set_threads(trial.config);
    at::manual_seed(static_cast<std::uint64_t>(trial.seed));
    TrialContext ctx(trial.config, plugins, rec, results_root);
    trial.task->run(ctx);
    rec.error = non_finite_reason(rec);
  } catch (const NonFiniteLoss& e) {
    rec.error = std::string("non-finite loss: ") + e.what();
  } catch (const c10::Error& e) {
    rec.error = e.what_without_backtrace();   // what() appends LibTorch's C++ stack trace
  } catch (const std::exception& e) {
    rec.error = e.what();
  } catch (...) {
    rec.error = "unknown exception";
  }
  rec.status = rec.error.empty() ? "done" : "failed";
  rec.finished = utc_now_iso8601();
  rec.wall_s = std::chrono::duration<double>(Clock::now() - begin).count();
  return rec;
}

void write_resolved_yaml(const Experiment& exp, const ResultsLayout& layout) {
  std::ostringstream out;
  out << "# every trial of " << exp.raw.file << ", resolved (defaults filled in)\n";
  for (const auto& t : exp.trials)
    out << "---\n# trial " << t.index << " id " << t.id << " " << t.swept_yaml << "\n" << t.config.yaml();
  write_file_atomically(layout.resolved_yaml().string(), out.str());
}

// The lock of `scope` on the folder, then the leftovers of writers that hold none removed.
std::unique_ptr<RunLock> take_lock(const ResultsLayout& layout, const LockScope& scope, const std::string& command) {
  std::vector<std::string> notes;
  auto lock = std::make_unique<RunLock>(layout.locks_dir(), scope, command, notes);
  for (const auto& n : notes) std::cerr << "note: " << n << "\n";
  std::vector<std::pair<std::string, long>> writers;
  for (const LockHolder& h : RunLock::live_holders(layout.locks_dir())) writers.emplace_back(h.host, h.pid);
  if (const std::size_t n = layout.remove_stale_temp_files(writers))
    std::cerr << "note: removed " << n << " temporary file(s) left by writers that are gone\n";
  return lock;
}

// How many trials the existing experiment file holds that `exp`'s sweep does not list (0 when
// there is no file or it cannot be read: the run reports an unreadable file elsewhere).
std::size_t trials_left_out_of_the_file(const ResultsLayout& layout, const Experiment& exp) {
  if (!fs::exists(layout.experiment_file())) return 0;
  std::set<std::string> listed;
  for (const auto& t : exp.trials) listed.insert(t.id);
  try {
    const h5::SummaryTable summary = h5::read_summary(layout.experiment_file().string());
    const std::size_t id_col = h5::column_index(summary, "trial_id").value();
    return std::count_if(summary.rows.begin(), summary.rows.end(),
                         [&](const auto& row) { return !listed.count(row[id_col]); });
  } catch (const std::exception&) {
    return 0;
  }
}

std::string shard_text(const RunOptions& o) {
  return o.shard_count > 1 ? " (shard " + std::to_string(o.shard_index) + "/" + std::to_string(o.shard_count) + ")" : "";
}

}  // namespace

void print_trials(const Experiment& exp, const RunOptions& options) {
  std::cout << exp.trials.size() << " trial(s) of experiment '" << exp.name << "'" << shard_text(options) << "\n";
  for (const auto& t : exp.trials) {
    const bool mine = t.index % options.shard_count == options.shard_index;
    std::cout << (mine ? "  " : "  (other shard) ") << t.index << "  " << t.id << "  task=" << t.task->name
              << "  " << t.swept_yaml << "\n";
  }
}

int run_experiment(const Experiment& exp, const PluginRegistry& plugins, const RunOptions& options) {
  ResultsLayout layout(options.results_root, exp.name);
  fs::create_directories(layout.trials_dir());
  const auto lock = take_lock(layout, LockScope{options.shard_index, options.shard_count}, "run");
  write_resolved_yaml(exp, layout);
  const Provenance provenance = make_provenance(exp);

  std::vector<std::string> warnings;
  std::map<std::string, h5::TrialInfo> earlier =
      options.force ? std::map<std::string, h5::TrialInfo>{} : collect_trials(all_result_files(layout), warnings);
  for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";

  std::vector<const Trial*> mine, to_run;
  for (const auto& t : exp.trials)
    if (t.index % options.shard_count == options.shard_index) mine.push_back(&t);
  for (const Trial* t : mine) {
    auto it = earlier.find(t->id);
    if (it == earlier.end() || it->second.status != "done") to_run.push_back(t);
  }
  std::cerr << "experiment '" << exp.name << "'" << shard_text(options) << ": " << mine.size() << " trial(s), "
            << mine.size() - to_run.size() << " already done, running " << to_run.size() << "; results in "
            << layout.dir.string() << "/\n";
  if (!to_run.empty()) std::cerr << "  " << threads_description(to_run) << "; OpenMP waiting: " << omp_wait_description() << "\n";

  // The experiment file holds this sweep's trials: a run narrowed by overrides rewrites it
  // without the trials an earlier run into the same folder added. Their trial files stay;
  // say so, rather than let them vanish from the file without a word.
  if (options.shard_count == 1) {
    if (const std::size_t n = trials_left_out_of_the_file(layout, exp))
      std::cerr << "note: " << layout.experiment_file().string() << " held " << n
                << " trial(s) that this sweep does not list (an earlier run into the same folder with other "
                   "overrides); the file now holds this sweep's trials only. Their files stay in "
                << layout.trials_dir().string()
                << "/: a run whose sweep lists them too (key=a,b) puts them back; another name= keeps runs apart\n";
  }

  // The file this process owns: the experiment file, or its shard's file.
  const fs::path out_file = options.shard_count > 1 ? layout.shard_file(options.shard_index, options.shard_count)
                                                    : layout.experiment_file();
  std::map<std::string, h5::TrialInfo> current = earlier;
  auto consolidate = [&]() {
    std::vector<h5::TrialInfo> infos;
    for (const Trial* t : mine)
      if (auto it = current.find(t->id); it != current.end()) infos.push_back(it->second);
    fs::create_directories(out_file.parent_path());
    h5::write_consolidated(out_file.string(), provenance, infos);
  };

  // Rewriting the experiment file costs time proportional to its size, so it is refreshed at
  // most every few seconds while trials run; the trial files are the journal in between.
  auto last_consolidation = Clock::now();
  bool any_failed = false;
  Progress progress(to_run.size());
  for (std::size_t k = 0; k < to_run.size(); ++k) {
    const Trial& t = *to_run[k];
    progress.start_trial(k + 1, t.id + " " + t.swept_yaml);
    TrialRecord rec = run_trial(t, plugins, options.results_root);
    const fs::path trial_file = layout.trial_file(t.id);
    h5::write_trial_file(trial_file.string(), provenance, rec);
    current[t.id] = h5::TrialInfo{t.id, t.index, rec.status, trial_file.string()};
    any_failed |= rec.status != "done";
    progress.finish_trial(rec.status, rec.wall_s, rec.error);
    if (std::chrono::duration<double>(Clock::now() - last_consolidation).count() > 5.0) {
      consolidate();
      last_consolidation = Clock::now();
    }
  }
  consolidate();
  for (const Trial* t : mine)
    if (current[t->id].status != "done") any_failed = true;
  // A short sweep ends with its table; a long one with the command that prints it.
  if (options.shard_count == 1 && mine.size() <= 40) {
    std::cout << "\n";
    ReportOptions plain;
    plain.summary = true;  // the trials as they ran; `qharness report` gives the paper tables
    print_report(layout.dir.string(), plain, std::cout);
  }
  std::cerr << "results: " << out_file.string() << "  (`qharness report " << layout.dir.string() << "` prints the table)\n";
  if (any_failed) std::cerr << "some trials failed; `qharness report " << layout.dir.string() << "` shows why\n";
  return any_failed ? 1 : 0;
}

int merge_results(const std::string& experiment_dir) {
  const ResultsLayout layout = ResultsLayout::from_dir(experiment_dir);
  if (!fs::is_directory(layout.dir)) throw ConfigError("merge: '" + experiment_dir + "' is not a results folder");
  const auto lock = take_lock(layout, LockScope{}, "merge");
  std::vector<std::string> warnings;
  const std::vector<fs::path> files = all_result_files(layout);
  if (files.empty()) throw ConfigError("merge: no results files under '" + experiment_dir + "'");
  std::map<std::string, h5::TrialInfo> found = collect_trials(files, warnings);
  for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";

  // The sweep's trial list and provenance come from the shard files (they are what a sharded
  // run wrote), else from whatever results file is there.
  Provenance prov;
  bool have_prov = false;
  std::vector<std::string> expected;
  std::set<std::string> expected_set;
  std::vector<fs::path> prov_sources = layout.shard_files();
  if (fs::exists(layout.experiment_file())) prov_sources.push_back(layout.experiment_file());
  if (prov_sources.empty()) prov_sources = layout.trial_files();
  for (const auto& f : prov_sources) {
    Provenance p = h5::read_provenance(f.string());
    if (!have_prov) prov = p, have_prov = true;
    for (const auto& id : p.sweep_trial_ids)
      if (expected_set.insert(id).second) expected.push_back(id);
  }
  prov.created = utc_now_iso8601();
  prov.sweep_trial_ids = expected;

  std::vector<h5::TrialInfo> infos;
  std::vector<std::string> missing;
  std::size_t failed = 0;
  if (expected.empty()) {
    for (auto& kv : found) infos.push_back(kv.second);
  } else {
    for (const auto& id : expected) {
      auto it = found.find(id);
      if (it == found.end()) missing.push_back(id);
      else infos.push_back(it->second);
    }
  }
  for (const auto& i : infos) failed += i.status != "done";
  h5::write_consolidated(layout.experiment_file().string(), prov, infos);
  std::cerr << "merged " << infos.size() << " trial(s) into " << layout.experiment_file().string() << ": "
            << infos.size() - failed << " done, " << failed << " failed, " << missing.size() << " missing"
            << (missing.empty() ? "" : " (" + join(missing, ", ") + ")") << "\n";
  return failed == 0 && missing.empty() ? 0 : 1;
}

}  // namespace qharness
