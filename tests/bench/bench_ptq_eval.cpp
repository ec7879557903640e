// The ptq task's hot loop: one calibration-loss evaluation of a W4A4 model (uniform 4-bit
// weights and activations with fixed clips, every layer quantized but the network's input,
// no grad, eval mode: what LAPQ's optimizer calls) against one FP32 forward + loss of the same
// 512-image batch, 2 threads, lenet5 (Fashion-MNIST shape) and resnet20 (CIFAR-10 shape).
// The ratio W4A4 / FP32 is docs/performance.md's number (target <= 1.3):
//   build/bin/qharness_bench_ptq_eval --benchmark_min_time=2
// Beside them, where python3-torch scripted tests/torchscript/uniform_quant.py at build time,
// the same W4A4 evaluation with the `torchscript` quantizer running that module (the built-in
// uniform grid written in Python): the ratio scripted / built-in is the README's (target <= 1.5).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "models/memory_format.hpp"
#include "models/zoo.hpp"
#include "util/allocator.hpp"
#include "plugins/quantizers/uniform/uniform_quantizer.hpp"
#ifdef QHARNESS_BENCH_UNIFORM_PT
#include "torchscript/torchscript_quantizer.hpp"
#include "util/omp_wait.hpp"
#include "util/usable_cpus.hpp"
#endif

namespace {

using namespace qharness;

struct Setup {
  std::shared_ptr<QModel> model;
  at::Tensor x, y;
};

enum class Quant { None, Builtin, Scripted };

std::shared_ptr<Quantizer> w4_quantizer(Quant kind) {
#ifdef QHARNESS_BENCH_UNIFORM_PT
  if (kind == Quant::Scripted) {
    Params p;
    p.set("module", std::string(QHARNESS_BENCH_UNIFORM_PT));
    p.set("bits", std::int64_t{4});
    p.set("granularity", std::string("per-tensor"));
    p.set("rounding", std::string("nearest"));
    return std::make_shared<torchscript::TorchScriptQuantizer>(p);
  }
#endif
  (void)kind;
  plugins::uniform::UniformQuantizer::Options o;
  o.bits = 4;
  o.calibration.method = plugins::uniform::Calibration::MinMax;
  return std::make_shared<plugins::uniform::UniformQuantizer>(o);
}

Setup make_setup(const char* arch, Quant quant, bool cl = false) {
  at::set_num_threads(2);
  at::manual_seed(0);
  const bool cifar = std::string(arch) == "resnet20";
  Setup s;
  s.model = make_model(ModelSpec{arch, cifar ? ImageShape{3, 32, 32} : ImageShape{1, 28, 28}, 10});
  s.model->eval();
  for (auto& p : s.model->parameters()) p.requires_grad_(false);
  s.x = cifar ? at::randn({512, 3, 32, 32}) : at::randn({512, 1, 28, 28});
  s.y = at::randint(0, 10, {512}, at::kLong);
  if (cl) {   // convolution weights and the batch in channels-last memory (models/memory_format.hpp)
    use_channels_last(*s.model);
    s.x = channels_last(s.x);
  }
  if (quant == Quant::None) return s;
  auto layers = s.model->quant_layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    QuantLayer& l = *layers[i].layer;
    l.weight_quant.quantizer = w4_quantizer(quant);
    if (i > 0) l.input_quant.quantizer = w4_quantizer(quant);
  }
  // Fixed clips, as during the search: calibrate once on the batch (a dynamic clip would add a
  // max-reduction per tensor that the ptq task does not do).
  {
    at::NoGradGuard no_grad;
    for (auto& l : layers) l.layer->weight_quant.calibrate(l.layer->weight_param());
    for (auto& l : layers)
      if (l.layer->input_quant.active()) l.layer->input_quant.clip = at::tensor(4.0f);
    s.model->forward(s.x);   // warm-up (twice: TorchScript's executor optimizes on its first runs)
    s.model->forward(s.x);
  }
  return s;
}

void calib_loss(benchmark::State& state, const char* arch, Quant quant, bool cl = false) {
  Setup s = make_setup(arch, quant, cl);
  double loss = 0;
  for (auto _ : state) {
    at::NoGradGuard no_grad;
    loss = at::cross_entropy_loss(s.model->forward(s.x), s.y).item<double>();
    benchmark::DoNotOptimize(loss);
  }
  state.counters["images/s"] = benchmark::Counter(512.0, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["loss"] = loss;   // the smoke run checks that it is a number
}

BENCHMARK_CAPTURE(calib_loss, lenet5_fp32, "lenet5", Quant::None)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, lenet5_w4a4, "lenet5", Quant::Builtin)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, resnet20_fp32, "resnet20", Quant::None)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, resnet20_w4a4, "resnet20", Quant::Builtin)->Unit(benchmark::kMillisecond)->UseRealTime();
// The same in channels-last memory: faster in FP32, not W4A4 (docs/performance.md, "Channels-last").
BENCHMARK_CAPTURE(calib_loss, resnet20_fp32_cl, "resnet20", Quant::None, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, resnet20_w4a4_cl, "resnet20", Quant::Builtin, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, lenet5_fp32_cl, "lenet5", Quant::None, true)->Unit(benchmark::kMillisecond)->UseRealTime();
#ifdef QHARNESS_BENCH_UNIFORM_PT
BENCHMARK_CAPTURE(calib_loss, lenet5_w4a4_scripted, "lenet5", Quant::Scripted)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, resnet20_w4a4_scripted, "resnet20", Quant::Scripted)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

}  // namespace

int main(int argc, char** argv) {
  qharness::choose_omp_wait(argv);   // as `qharness run` does (util/omp_wait.hpp)
  benchmark::AddCustomContext("omp_wait", qharness::omp_wait_description());
  // As the driver does (QHARNESS_GLIBC_MALLOC=default measures glibc's own behaviour).
  benchmark::AddCustomContext("allocator", qharness::describe(qharness::keep_freed_memory_in_process()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
