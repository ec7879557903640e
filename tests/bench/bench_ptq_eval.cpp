// The ptq task's hot loop: one calibration-loss evaluation of a W4A4 model (uniform 4-bit
// weights and activations with fixed clips, every layer quantized but the network's input,
// no grad, eval mode: what LAPQ's optimizer calls) against one FP32 forward + loss of the same
// 512-image batch, 2 threads, lenet5 (Fashion-MNIST shape) and resnet20 (CIFAR-10 shape).
// The ratio W4A4 / FP32 is docs/performance.md's number (target <= 1.3):
//   build/bin/qharness_bench_ptq_eval --benchmark_min_time=2
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "models/zoo.hpp"
#include "plugins/quantizers/uniform/uniform_quantizer.hpp"

namespace {

using namespace qharness;

struct Setup {
  std::shared_ptr<QModel> model;
  at::Tensor x, y;
};

Setup make_setup(const char* arch, bool quantized) {
  at::set_num_threads(2);
  at::manual_seed(0);
  const bool cifar = std::string(arch) == "resnet20";
  Setup s;
  s.model = make_model(ModelSpec{arch, cifar ? ImageShape{3, 32, 32} : ImageShape{1, 28, 28}, 10});
  s.model->eval();
  for (auto& p : s.model->parameters()) p.requires_grad_(false);
  s.x = cifar ? at::randn({512, 3, 32, 32}) : at::randn({512, 1, 28, 28});
  s.y = at::randint(0, 10, {512}, at::kLong);
  if (!quantized) return s;
  plugins::uniform::UniformQuantizer::Options o;
  o.bits = 4;
  o.calibration.method = plugins::uniform::Calibration::MinMax;
  auto layers = s.model->quant_layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    QuantLayer& l = *layers[i].layer;
    l.weight_quant.quantizer = std::make_shared<plugins::uniform::UniformQuantizer>(o);
    if (i > 0) l.input_quant.quantizer = std::make_shared<plugins::uniform::UniformQuantizer>(o);
  }
  // Fixed clips, as during the search: calibrate once on the batch (a dynamic clip would add a
  // max-reduction per tensor that the ptq task does not do).
  {
    at::NoGradGuard no_grad;
    for (auto& l : layers) l.layer->weight_quant.calibrate(l.layer->weight_param());
    for (auto& l : layers)
      if (l.layer->input_quant.active()) l.layer->input_quant.clip = at::tensor(4.0f);
    s.model->forward(s.x);   // warm-up
  }
  return s;
}

void calib_loss(benchmark::State& state, const char* arch, bool quantized) {
  Setup s = make_setup(arch, quantized);
  double loss = 0;
  for (auto _ : state) {
    at::NoGradGuard no_grad;
    loss = at::cross_entropy_loss(s.model->forward(s.x), s.y).item<double>();
    benchmark::DoNotOptimize(loss);
  }
  state.counters["images/s"] = benchmark::Counter(512.0, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["loss"] = loss;   // the smoke run checks that it is a number
}

BENCHMARK_CAPTURE(calib_loss, lenet5_fp32, "lenet5", false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, lenet5_w4a4, "lenet5", true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, resnet20_fp32, "resnet20", false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(calib_loss, resnet20_w4a4, "resnet20", true)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
