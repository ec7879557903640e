// Transposable N:M mask solvers compared: tnm-mcf (exact) vs tnm-greedy (2-approximation) vs
// tnm-exhaustive (exact, m = 4), plus 1-D nm for reference, on random (Gaussian) and
// heavy-tailed (Student t, 2 degrees of freedom) weights.
//
//   full run (docs/performance.md):  qharness_bench_masks [--threads T] [benchmark flags]
//     2:4 and 4:8 on 25M weights (a 5000 x 5000 matrix), 8:16 on one 8192 x 8192 matrix,
//     and tnm-mcf's NetworkSimplex pivot rules on 4:8, 2000 x 2000.
//   ctest:                           qharness_bench_masks --smoke
//     the same benchmarks on 256 x 256 matrices; fails (exit 1) if a mask is invalid or greedy
//     keeps less than half the optimum.
//
// Counters: weights_per_s (weights masked per second of wall time), kept_vs_opt (kept magnitude
// over the optimum of the harness's reference solver on the same matrix; CostScaling, so tnm-mcf is
// checked against another algorithm), valid (1 when check_mask passes).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "qharness/masks/kept_magnitude.hpp"
#include "qharness/masks/mask_check.hpp"
#include "qharness/masks/optimal_masks.hpp"
#include "masks/nm/nm_mask.hpp"
#include "masks/transposable/tnm_exhaustive.hpp"
#include "masks/transposable/tnm_greedy.hpp"
#include "masks/transposable/tnm_mcf.hpp"
#include "util/omp_wait.hpp"
#include "util/usable_cpus.hpp"

namespace {

using namespace qharness::masks;

bool g_smoke = false;
bool g_failed = false;

enum class Dist { Gaussian, HeavyTailed };

at::Tensor make_weight(int64_t rows, int64_t cols, Dist d) {
  at::Generator gen = at::detail::createCPUGenerator(12345);
  at::Tensor z = at::normal(0.0, 1.0, {rows, cols}, gen);
  if (d == Dist::Gaussian) return z;
  // Student t with 2 degrees of freedom: Z / sqrt(chi2_2 / 2), chi2_2 / 2 = -ln U.
  at::Tensor u = at::rand({rows, cols}, gen);
  return z / (-at::log1p(-u)).clamp_min(1e-12).sqrt();
}

struct Case {
  std::string name;  // e.g. 4:8/gaussian
  NMSpec spec;
  Dist dist;
  int64_t rows, cols;
};

// One weight and its optimum per case, made once (the optimum: the harness's reference solver,
// LEMON CostScaling, qharness/masks/optimal_masks.hpp: not the tnm-mcf under test).
struct Data {
  at::Tensor weight;
  double optimum = -1;
};
std::map<std::string, Data>& cache() {
  static std::map<std::string, Data> c;
  return c;
}
Data& data_of(const Case& c) {
  Data& d = cache()[c.name];
  if (!d.weight.defined()) d.weight = make_weight(c.rows, c.cols, c.dist);
  if (d.optimum < 0) d.optimum = kept_magnitude(d.weight, optimal_mask(MaskPattern::TransposableNM, c.spec, d.weight));
  return d;
}

TnmMcfOptions::Pivot pivot_of(const std::string& name) {
  if (name == "first-eligible") return TnmMcfOptions::Pivot::FirstEligible;
  if (name == "best-eligible") return TnmMcfOptions::Pivot::BestEligible;
  if (name == "candidate-list") return TnmMcfOptions::Pivot::CandidateList;
  if (name == "altering-list") return TnmMcfOptions::Pivot::AlteringList;
  return TnmMcfOptions::Pivot::BlockSearch;
}

void run(benchmark::State& state, const Case& c, const std::string& method) {
  Data& d = data_of(c);
  at::Tensor mask;
  TnmGreedyStats gs;
  for (auto _ : state) {
    if (method == "tnm-mcf")
      mask = tnm_mcf_mask(d.weight, {c.spec});
    else if (method.rfind("tnm-mcf:", 0) == 0)  // a pivot-rule variant
      mask = tnm_mcf_mask(d.weight, {c.spec, pivot_of(method.substr(8))});
    else if (method == "tnm-greedy")
      mask = tnm_greedy_mask(d.weight, c.spec, &gs);
    else if (method == "tnm-exhaustive")
      mask = tnm_exhaustive_mask(d.weight, c.spec);
    else
      mask = nm_mask(d.weight, c.spec);
    benchmark::DoNotOptimize(mask.data_ptr());
  }
  const double n = static_cast<double>(d.weight.numel());
  state.counters["weights_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
  const MaskPattern pattern = method == "nm" ? MaskPattern::NM : MaskPattern::TransposableNM;
  MaskCheck chk = check_mask(mask, pattern, c.spec);
  const double ratio = kept_magnitude(d.weight, mask) / d.optimum;
  state.counters["valid"] = chk.valid ? 1 : 0;
  state.counters["kept_vs_opt"] = ratio;
  if (method == "tnm-greedy") {
    state.counters["repaired_blocks"] = static_cast<double>(gs.repaired);
    state.counters["exact_fallback_blocks"] = static_cast<double>(gs.exact_fallback);
  }
  const bool exact = method.rfind("tnm-mcf", 0) == 0 || method == "tnm-exhaustive";
  const bool bad = !chk.valid || (pattern == MaskPattern::TransposableNM && ratio < 0.5) ||
                   (exact && ratio < 1 - 1e-6);
  if (bad) {
    g_failed = true;
    state.SkipWithError(("bad mask: valid=" + std::to_string(chk.valid) + " kept_vs_opt=" +
                         std::to_string(ratio) + " " + chk.first_problem)
                            .c_str());
  }
}

void register_all() {
  const int64_t big = g_smoke ? 256 : 5000;     // 25M weights
  const int64_t huge = g_smoke ? 256 : 8192;    // one 8192 x 8192 matrix
  std::vector<Case> cases;
  for (auto [dist, dn] : {std::pair{Dist::Gaussian, "gaussian"}, std::pair{Dist::HeavyTailed, "heavy-tailed"}}) {
    cases.push_back({std::string("2:4/") + dn, {2, 4}, dist, big, big});
    cases.push_back({std::string("4:8/") + dn, {4, 8}, dist, big, big});
  }
  cases.push_back({"8:16/gaussian-8192", {8, 16}, Dist::Gaussian, huge, huge});
  // NetworkSimplex's pivot rules compared on a smaller 4:8 case (2000 x 2000 = 4M weights).
  const int64_t mid = g_smoke ? 256 : 2000;
  cases.push_back({"4:8/gaussian-2000", {4, 8}, Dist::Gaussian, mid, mid});
  for (const Case& c : cases) {
    std::vector<std::string> methods = {"tnm-mcf", "tnm-greedy", "nm"};
    if (c.name == "4:8/gaussian-2000")
      methods = {"tnm-mcf:block-search", "tnm-mcf:first-eligible", "tnm-mcf:best-eligible", "tnm-mcf:candidate-list",
                 "tnm-mcf:altering-list"};
    if (c.spec.m == 4) methods.push_back("tnm-exhaustive");
    for (const auto& method : methods)
      benchmark::RegisterBenchmark((method + "/" + c.name).c_str(),
                                   [c, method](benchmark::State& s) { run(s, c, method); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(1);  // each run is seconds long; repeat with --benchmark_repetitions
  }
}

}  // namespace

int main(int argc, char** argv) {
  qharness::choose_omp_wait(argv);   // as `qharness run` does (util/omp_wait.hpp)
  benchmark::AddCustomContext("omp_wait", qharness::omp_wait_description());
  int threads = qharness::usable_cpus().cpus;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      g_smoke = true;
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::stoi(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  at::set_num_threads(threads);
  benchmark::AddCustomContext("torch_threads", std::to_string(at::get_num_threads()));
  register_all();
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return g_failed ? 1 : 0;
}
