// Fake-quantization throughput: the uniform quantizer's kernel against ATen's
// fake_quantize_per_{tensor,channel}_affine, the composed round/clamp ops, and clone() (one
// read and one write of the tensor: the memory-bandwidth bound any fake-quant pass meets).
// And the Lp error that the lp/mse calibrations minimize (lp_error.hpp): the fused kernel
// against the ATen composition it replaced (fake quant, q - x, abs, float32 pow, sum in
// double), on the tensor after a ReLU (half zeros, like a conv's input), one evaluation
// (BM_LpError*) and a whole Brent search for the clip (BM_LpClip*), at p = 2 and p = 3.3.
//
//   build-quant/bin/qharness_bench_fake_quant [--elements=N] [--threads=T] [benchmark flags]
//
// The tensor is [N/4096, 64, 8, 8] float32 (default N = 16 Mi), per-channel along axis 1
// (runs of 64 elements per channel), 4-bit signed integer grid, round to nearest.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <boost/math/tools/minima.hpp>

#include "plugins/quantizers/uniform/clip_calibration.hpp"
#include "plugins/quantizers/uniform/fake_quant.hpp"
#include "plugins/quantizers/uniform/lp_error.hpp"
#include "util/omp_wait.hpp"
#include "util/usable_cpus.hpp"

namespace {

using qharness::plugins::uniform::FakeQuantSpec;
using qharness::plugins::uniform::fake_quant_composed;
using qharness::plugins::uniform::fake_quant_kernel;
using qharness::plugins::uniform::Grid;
using qharness::plugins::uniform::GridParameters;
using qharness::plugins::uniform::grid_parameters;
using qharness::plugins::uniform::lp_error_grid;
using qharness::plugins::uniform::lp_error_sum;
using qharness::plugins::uniform::lp_optimal_clip;

std::int64_t g_elements = std::int64_t{1} << 24;
constexpr std::int64_t kChannels = 64;
constexpr double kQmax = 7.0;  // 4-bit signed, symmetric

struct Inputs {
  at::Tensor x;
  at::Tensor scale;          // 0-d float
  at::Tensor channel_scale;  // [64] float
  at::Tensor zero_points;    // [64] int32 (ATen per-channel API)
};

const Inputs& inputs() {
  static const Inputs in = [] {
    Inputs v;
    at::manual_seed(0);
    const std::int64_t batch = std::max<std::int64_t>(1, g_elements / (kChannels * 64));
    v.x = at::randn({batch, kChannels, 8, 8});
    v.scale = at::scalar_tensor(3.0 / kQmax, at::kFloat);
    v.channel_scale = at::linspace(1.0, 4.0, kChannels) / kQmax;
    v.zero_points = at::zeros({kChannels}, at::kInt);
    return v;
  }();
  return in;
}

void set_bytes(benchmark::State& state, const at::Tensor& x) {
  // One read and one write per element.
  state.SetBytesProcessed(state.iterations() * x.numel() * 2 * static_cast<std::int64_t>(sizeof(float)));
}

void BM_Clone(benchmark::State& state) {
  const at::Tensor& x = inputs().x;
  for (auto _ : state) benchmark::DoNotOptimize(x.clone());
  set_bytes(state, x);
}

void BM_AtenPerTensor(benchmark::State& state) {
  const at::Tensor& x = inputs().x;
  const double scale = inputs().scale.item<double>();
  for (auto _ : state)
    benchmark::DoNotOptimize(at::fake_quantize_per_tensor_affine(x, scale, 0, -7, 7));
  set_bytes(state, x);
}

void BM_AtenPerChannel(benchmark::State& state) {
  const Inputs& in = inputs();
  for (auto _ : state)
    benchmark::DoNotOptimize(
        at::fake_quantize_per_channel_affine(in.x, in.channel_scale, in.zero_points, 1, -7, 7));
  set_bytes(state, in.x);
}

void BM_ComposedPerTensor(benchmark::State& state) {
  const Inputs& in = inputs();
  const FakeQuantSpec spec{-kQmax, kQmax, 1};
  at::NoGradGuard no_grad;
  for (auto _ : state)
    benchmark::DoNotOptimize(fake_quant_composed(in.x, in.scale, at::Tensor(), spec, at::Tensor()));
  set_bytes(state, in.x);
}

// What the timed kernel computes, checked once: the largest |kernel - composed| (0: the same
// bits, as tests/unit/test_fake_quant_kernel.cpp requires) and the share of elements that the
// 4-bit grid moved (a kernel that returned its input would show 0).
void set_checks(benchmark::State& state, const at::Tensor& scale) {
  const Inputs& in = inputs();
  const FakeQuantSpec spec{-kQmax, kQmax, 1};
  at::NoGradGuard no_grad;
  const at::Tensor ours = fake_quant_kernel(in.x, scale, at::Tensor(), spec, at::Tensor());
  const at::Tensor composed = fake_quant_composed(in.x, scale, at::Tensor(), spec, at::Tensor());
  state.counters["max_diff_vs_composed"] = (ours - composed).abs().max().item<double>();
  state.counters["changed_share"] = (ours != in.x).to(at::kDouble).mean().item<double>();
}

void BM_OursPerTensor(benchmark::State& state) {
  const Inputs& in = inputs();
  const FakeQuantSpec spec{-kQmax, kQmax, 1};
  for (auto _ : state)
    benchmark::DoNotOptimize(fake_quant_kernel(in.x, in.scale, at::Tensor(), spec, at::Tensor()));
  set_bytes(state, in.x);
  set_checks(state, in.scale);
}

void BM_OursPerChannel(benchmark::State& state) {
  const Inputs& in = inputs();
  const FakeQuantSpec spec{-kQmax, kQmax, 1};
  for (auto _ : state)
    benchmark::DoNotOptimize(
        fake_quant_kernel(in.x, in.channel_scale, at::Tensor(), spec, at::Tensor()));
  set_bytes(state, in.x);
  set_checks(state, in.channel_scale);
}

// ---- The Lp error of the lp/mse calibrations ---------------------------------------------

const at::Tensor& relu_x() {
  static const at::Tensor r = inputs().x.clamp_min(0.0).contiguous();
  return r;
}

// A 4-bit unsigned grid at `clip`, as a tensor parameter set and as the kernel's float grid.
GridParameters unsigned_grid(double clip) {
  return grid_parameters(Grid::Integer, 4, false, at::scalar_tensor(clip, at::kDouble), 0);
}

// The composition lp_error.hpp replaced: mean |Q(x) - x|^p with a float32 pow.
double composed_lp_error(const at::Tensor& x, double clip, double p) {
  const GridParameters g = unsigned_grid(clip);
  at::Tensor e = (fake_quant_kernel(x, g.scale, g.offset, g.spec, at::Tensor()) - x).abs_();
  if (p != 1.0) e.pow_(p);
  return e.sum(at::kDouble).item<double>() / static_cast<double>(x.numel());
}

double fused_lp_error(const at::Tensor& x, double clip, double p) {
  return lp_error_sum(x.data_ptr<float>(), x.numel(), lp_error_grid(unsigned_grid(clip)), p) /
         static_cast<double>(x.numel());
}

constexpr double kLpClip = 1.7;  // about the 4-bit Lp-optimal clip of ReLU(N(0, 1))

double p_of(const benchmark::State& state) { return static_cast<double>(state.range(0)) / 10.0; }

void BM_LpErrorComposed(benchmark::State& state) {
  const double p = p_of(state);
  for (auto _ : state) benchmark::DoNotOptimize(composed_lp_error(relu_x(), kLpClip, p));
  state.SetBytesProcessed(state.iterations() * relu_x().numel() * static_cast<std::int64_t>(sizeof(float)));
}

void BM_LpErrorFused(benchmark::State& state) {
  const double p = p_of(state);
  for (auto _ : state) benchmark::DoNotOptimize(fused_lp_error(relu_x(), kLpClip, p));
  state.SetBytesProcessed(state.iterations() * relu_x().numel() * static_cast<std::int64_t>(sizeof(float)));
  // The two agree up to float32 pow's rounding (~1e-7 relative; the fused one is exact to ~1e-14).
  const double a = composed_lp_error(relu_x(), kLpClip, p), b = fused_lp_error(relu_x(), kLpClip, p);
  state.counters["rel_diff_vs_composed"] = std::abs(a - b) / a;
}

// The whole clip search: Brent (as clip_calibration.cpp runs it) on the composed error,
// against lp_optimal_clip (the fused kernel on the nonzero entries).
void BM_LpClipComposed(benchmark::State& state) {
  const double p = p_of(state), max_x = relu_x().max().item<double>();
  for (auto _ : state) {
    std::uintmax_t iterations = 100;
    benchmark::DoNotOptimize(boost::math::tools::brent_find_minima(
        [&](double c) { return composed_lp_error(relu_x(), c, p); }, 1e-6 * max_x, max_x, 20, iterations));
  }
}

void BM_LpClipFused(benchmark::State& state) {
  const double p = p_of(state), max_x = relu_x().max().item<double>();
  for (auto _ : state) benchmark::DoNotOptimize(lp_optimal_clip(relu_x(), Grid::Integer, 4, false, p, max_x));
  std::uintmax_t iterations = 100;
  const double composed = boost::math::tools::brent_find_minima(
      [&](double c) { return composed_lp_error(relu_x(), c, p); }, 1e-6 * max_x, max_x, 20, iterations).first;
  state.counters["clip_rel_diff_vs_composed"] =
      std::abs(lp_optimal_clip(relu_x(), Grid::Integer, 4, false, p, max_x) - composed) / composed;
}

BENCHMARK(BM_Clone)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AtenPerTensor)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AtenPerChannel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ComposedPerTensor)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OursPerTensor)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OursPerChannel)->Unit(benchmark::kMillisecond)->UseRealTime();
// Argument: 10 p (20: p = 2, the mse calibration's multiplication path; 33: p = 3.3, the series).
BENCHMARK(BM_LpErrorComposed)->Arg(20)->Arg(33)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LpErrorFused)->Arg(20)->Arg(33)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LpClipComposed)->Arg(20)->Arg(33)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LpClipFused)->Arg(20)->Arg(33)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  qharness::choose_omp_wait(argv);   // as `qharness run` does (util/omp_wait.hpp)
  benchmark::AddCustomContext("omp_wait", qharness::omp_wait_description());
  // Our own flags first; the rest goes to Google Benchmark.
  int threads = 2;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--elements=", 0) == 0) g_elements = std::atoll(arg.c_str() + 11);
    else if (arg.rfind("--threads=", 0) == 0) threads = std::atoi(arg.c_str() + 10);
    else rest.push_back(argv[i]);
  }
  if (g_elements < 1 || threads < 1) {
    std::cerr << "--elements and --threads must be >= 1\n";
    return 2;
  }
  at::set_num_threads(threads);
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  std::cout << "tensor: " << inputs().x.numel() << " float32 elements, threads: "
            << at::get_num_threads() << "\n";
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
