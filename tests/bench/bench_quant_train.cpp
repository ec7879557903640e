// One training step of lenet5 and resnet20 on a Fashion-MNIST-shaped batch: FP32, and 4-bit
// (SAWB INT4 weights and activations, luq FP4 neural gradients, first and last layer FP32), and
// 4-bit with SMP 2, side by side in one run. The ratio 4-bit / FP32 is docs/performance.md's.
//   build/bin/qharness_bench_quant_train [--threads T] --benchmark_min_time=2
//   (T: torch threads, default all cores)
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/optim/sgd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "util/allocator.hpp"
#include "models/memory_format.hpp"
#include "models/one_channel_conv.hpp"
#include "models/zoo.hpp"
#include "plugins/quantizers/luq/gradient_quantizer.hpp"
#include "plugins/quantizers/uniform/uniform_quantizer.hpp"
#include "util/omp_wait.hpp"
#include "util/usable_cpus.hpp"

namespace {

using namespace qharness;

int g_threads = qharness::usable_cpus().cpus;

enum class Mode { Fp32, Luq, LuqSmp2 };

void quantize_model(QModel& model, Mode mode) {
  if (mode == Mode::Fp32) return;
  auto layers = model.quant_layers();
  plugins::uniform::UniformQuantizer::Options sawb;
  sawb.bits = 4;
  sawb.calibration.method = plugins::uniform::Calibration::Sawb;
  gradquant::Options luq{gradquant::Format::Luq, 4, mode == Mode::LuqSmp2 ? 2 : 1};
  std::uint64_t seed = 0;
  for (std::size_t i = 1; i + 1 < layers.size(); ++i) {  // first and last stay FP32
    QuantLayer& l = *layers[i].layer;
    l.weight_quant.quantizer = std::make_shared<plugins::uniform::UniformQuantizer>(sawb);
    l.input_quant.quantizer = std::make_shared<plugins::uniform::UniformQuantizer>(sawb);
    l.grad_quant.quantizer = std::make_shared<gradquant::GradientQuantizer>(luq);
    for (QuantSlot* s : {&l.weight_quant, &l.input_quant, &l.grad_quant})
      s->generator = at::make_generator<at::CPUGeneratorImpl>(++seed);
  }
}

// cl: convolution weights and the batch in channels-last memory (models/memory_format.hpp).
void train_step(benchmark::State& state, const char* arch, Mode mode, bool cl = false) {
  at::set_num_threads(g_threads);
  at::manual_seed(0);
  auto model = make_model(ModelSpec{arch, {1, 28, 28}, 10});
  quantize_model(*model, mode);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  const std::int64_t batch = 128;
  at::Tensor x = at::randn({batch, 1, 28, 28});
  at::Tensor y = at::randint(0, 10, {batch}, at::kLong);
  if (cl) {
    use_channels_last(*model);
    x = channels_last(x);
  }
  model->train();
  double first = 0, last = 0;
  for (auto _ : state) {
    opt.zero_grad();
    at::Tensor loss = at::cross_entropy_loss(model->forward(x), y);
    loss.backward();
    opt.step();
    last = loss.item<double>();
    if (first == 0) first = last;
    benchmark::DoNotOptimize(last);
  }
  state.counters["images/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
  // What the timed steps computed: the smoke run checks that they are numbers (NaN would pass
  // on timing alone).
  state.counters["loss_first"] = first;
  state.counters["loss_last"] = last;
}

BENCHMARK_CAPTURE(train_step, lenet5_fp32, "lenet5", Mode::Fp32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, lenet5_luq, "lenet5", Mode::Luq)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, lenet5_luq_smp2, "lenet5", Mode::LuqSmp2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, resnet20_fp32, "resnet20", Mode::Fp32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, resnet20_luq, "resnet20", Mode::Luq)->Unit(benchmark::kMillisecond)->UseRealTime();
// The same in channels-last memory: faster in FP32, not in 4-bit (docs/performance.md, "Channels-last").
BENCHMARK_CAPTURE(train_step, resnet20_fp32_cl, "resnet20", Mode::Fp32, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, resnet20_luq_cl, "resnet20", Mode::Luq, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, lenet5_fp32_cl, "lenet5", Mode::Fp32, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, resnet20_luq_smp2, "resnet20", Mode::LuqSmp2)->Unit(benchmark::kMillisecond)->UseRealTime();
// The weight and bias gradients of a first layer on grayscale images, side by side: ATen's
// (oneDNN, what at::conv2d's backward runs) and ours (models/one_channel_conv.hpp), for lenet5's
// (1 -> 6, 5x5, padding 2) and resnet20's (1 -> 16, 3x3, padding 1), batch 128, 28x28.
void first_conv_weight_gradient(benchmark::State& state, std::int64_t out, std::int64_t kernel, bool ours) {
  at::set_num_threads(g_threads);
  at::manual_seed(0);
  const std::int64_t pad = kernel / 2;
  at::Tensor x = at::randn({128, 1, 28, 28}), w = at::randn({out, 1, kernel, kernel});
  at::Tensor g = at::randn({128, out, 28 + 2 * pad - kernel + 1, 28 + 2 * pad - kernel + 1});
  at::Tensor gw = at::empty_like(w), gb = at::empty({out});
  const std::vector<std::int64_t> bias_sizes{out};
  for (auto _ : state) {
    if (ours) {
      one_input_channel_weight_gradient(x, g, pad, gw, gb);
    } else {
      auto r = at::convolution_backward(g, x, w, at::OptionalIntArrayRef(bias_sizes), {1, 1}, {pad, pad}, {1, 1}, false,
                                        {0, 0}, 1, {false, true, true});
      gw = std::get<1>(r);
    }
    benchmark::DoNotOptimize(gw.data_ptr<float>());
  }
  // Ours against ATen's on the same data (the smoke run checks it is small).
  at::Tensor ref = std::get<1>(at::convolution_backward(g, x, w, at::OptionalIntArrayRef(bias_sizes), {1, 1}, {pad, pad},
                                                         {1, 1}, false, {0, 0}, 1, {false, true, true}));
  one_input_channel_weight_gradient(x, g, pad, gw, gb);
  state.counters["rel_diff_vs_aten"] = ((gw - ref).norm() / ref.norm()).item<double>();
}
BENCHMARK_CAPTURE(first_conv_weight_gradient, lenet5_aten, 6, 5, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(first_conv_weight_gradient, lenet5_ours, 6, 5, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(first_conv_weight_gradient, resnet20_aten, 16, 3, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(first_conv_weight_gradient, resnet20_ours, 16, 3, true)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  qharness::choose_omp_wait(argv);   // as `qharness run` does (util/omp_wait.hpp)
  benchmark::AddCustomContext("omp_wait", qharness::omp_wait_description());
  // As the driver does (QHARNESS_GLIBC_MALLOC=default measures glibc's own behaviour).
  benchmark::AddCustomContext("allocator", qharness::describe(qharness::keep_freed_memory_in_process()));
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      g_threads = std::stoi(argv[++i]);
    else
      rest.push_back(argv[i]);
  }
  benchmark::AddCustomContext("torch_threads", std::to_string(g_threads));
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
