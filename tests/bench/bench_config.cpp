// What `qharness run --dry-run` costs before any trial runs: loading the YAML (with `extends`),
// expanding the sweep and validating and resolving every trial. Each should grow linearly:
//   BM_DryRun/N          a selftest sweep of N trials (grid x grid x seeds), as --dry-run does it
//   BM_UnknownKeys/K     a file with K unknown top-level keys (every one an error)
//   BM_ExtendsDiamond/D  a chain of D diamonds: each level's two files extend both files of the
//                        next level (2^D paths to the last file)
// Counters: trials (or keys, files); for BM_DryRun the wall time per trial and the resident
// memory the experiment holds per 1000 trials (the growth of the process's resident memory,
// measured after malloc_trim, while the experiment is built and alive).
//
//   build/bin/qharness_bench_config --benchmark_filter='DryRun/100000' --benchmark_repetitions=1
//   build/bin/qharness_bench_config                      (all sizes; a few minutes)
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <chrono>
#include <fstream>
#include <string>

#include "config/config_error.hpp"
#include "config/raw_config.hpp"
#include "plugins/plugin_registry.hpp"
#include "run/experiment.hpp"

namespace {

namespace fs = boost::filesystem;
using namespace qharness;

const fs::path& work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / fs::unique_path("qh-bench-config-%%%%%%%%");
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string write(const std::string& name, const std::string& text) {
  const fs::path p = work_dir() / name;
  std::ofstream(p.string()) << text;
  return p.string();
}

std::string list_of(std::int64_t from, std::int64_t count) {
  std::string s = "[";
  for (std::int64_t i = 0; i < count; ++i) s += (i ? ", " : "") + std::to_string(from + i);
  return s + "]";
}

// Resident memory after glibc returned its free pages to the system: what is live.
double resident_mb() {
  ::malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

PluginRegistry& registry() {
  static PluginRegistry r = [] {
    PluginRegistry loaded;
    loaded.load_all(PluginRegistry::default_search_path());
    return loaded;
  }();
  return r;
}

// N = dims x sizes x seeds with dims, sizes <= 1000 (selftest's ranges).
void BM_DryRun(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const std::int64_t seeds = n >= 100000 ? 10 : 1;
  const std::int64_t dims = std::min<std::int64_t>(100, n / seeds);
  const std::int64_t sizes = n / seeds / dims;
  const std::string file = write("dry_run.yaml", "name: dry\ntask: selftest\nsweep:\n  grid:\n    selftest.dim: " +
                                                     list_of(1, dims) + "\n    selftest.size: " + list_of(1, sizes) +
                                                     "\n  seeds: " + list_of(0, seeds) + "\n");
  std::size_t trials = 0;
  double seconds = 0;
  for (auto _ : state) {
    const double rss_before = resident_mb();
    const auto start = std::chrono::steady_clock::now();
    Experiment exp = build_experiment(load_experiment(file), registry());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    trials = exp.trials.size();
    state.counters["MB_per_1000_trials"] = (resident_mb() - rss_before) * 1000.0 / static_cast<double>(trials);
    benchmark::DoNotOptimize(exp.trials.data());
  }
  if (trials != static_cast<std::size_t>(dims * sizes * seeds)) state.SkipWithError("wrong number of trials");
  state.counters["trials"] = static_cast<double>(trials);
  state.counters["us_per_trial"] = seconds * 1e6 / static_cast<double>(trials) / static_cast<double>(state.iterations());
}

void BM_UnknownKeys(benchmark::State& state) {
  const std::int64_t keys = state.range(0);
  std::string text = "name: keys\ntask: selftest\n";
  for (std::int64_t i = 0; i < keys; ++i) text += "unknown_key_" + std::to_string(i) + ": 1\n";
  const std::string file = write("unknown_keys.yaml", text);
  std::size_t errors = 0;
  for (auto _ : state) {
    try {
      build_experiment(load_experiment(file), registry());
    } catch (const ConfigError& e) {
      errors = e.messages().size();
    }
  }
  if (errors != static_cast<std::size_t>(keys)) state.SkipWithError("not one error per unknown key");
  state.counters["keys"] = static_cast<double>(keys);
}

void BM_ExtendsDiamond(benchmark::State& state) {
  const std::int64_t depth = state.range(0);
  const std::string prefix = "diamond" + std::to_string(depth) + "_";
  auto name = [&](char side, std::int64_t level) { return prefix + side + std::to_string(level) + ".yaml"; };
  for (std::int64_t level = depth; level >= 0; --level) {
    for (char side : {'a', 'b'}) {
      std::string text = level == depth ? std::string("task: selftest\n")
                                        : "extends: [" + name('a', level + 1) + ", " + name('b', level + 1) + "]\n";
      text += "k" + std::to_string(level) + side + ": 1\n";
      write(name(side, level), text);
    }
  }
  const std::string top = write(prefix + "top.yaml", "extends: [" + name('a', 0) + ", " + name('b', 0) + "]\nname: d\n");
  std::size_t keys = 0;
  for (auto _ : state) {
    RawConfig raw = load_experiment(top);
    keys = raw.root.size();
  }
  if (keys != static_cast<std::size_t>(2 * (depth + 1) + 2)) state.SkipWithError("wrong merged keys");
  state.counters["files"] = static_cast<double>(2 * (depth + 1) + 1);
}

BENCHMARK(BM_DryRun)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_UnknownKeys)->Arg(1000)->Arg(10000)->Arg(40000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_ExtendsDiamond)->Arg(4)->Arg(8)->Arg(16)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fs::remove_all(work_dir());
  return 0;
}
