// IncrementalForward (models/incremental_forward.hpp): the no-grad forward that restarts at
// the first stage whose quantization changed gives the full forward's output bit for bit, on
// lenet5 and resnet20, over a sequence of clip changes like the searches make (one clip, two,
// all, back again, nothing), weight changes in place, a stochastic quantizer, a memory budget
// too small for some stages, and a new input, in NCHW and in channels-last memory (which the
// evaluation tasks use by default); and it does restart late (fewer stages run).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <random>

#include "models/incremental_forward.hpp"
#include "models/memory_format.hpp"
#include "models/zoo.hpp"
#include "plugins/quantizers/uniform/uniform_quantizer.hpp"

namespace qharness {
namespace {

using plugins::uniform::UniformQuantizer;

struct Quantized {
  std::shared_ptr<QModel> model;
  at::Tensor x;
  std::vector<QuantSlot*> slots;   // in layer order, weight before input
};

Quantized quantized(const char* arch, bool stochastic = false, bool nhwc = false) {
  at::manual_seed(3);
  Quantized q;
  const bool cifar = std::string(arch) == "resnet20";
  q.model = make_model(ModelSpec{arch, cifar ? ImageShape{3, 16, 16} : ImageShape{1, 28, 28}, 10});
  q.model->eval();
  for (auto& p : q.model->parameters()) p.requires_grad_(false);
  if (nhwc) use_channels_last(*q.model);
  q.x = cifar ? at::randn({6, 3, 16, 16}) : at::randn({6, 1, 28, 28});
  UniformQuantizer::Options o;
  o.bits = 3;
  o.stochastic = stochastic;
  auto quantizer = std::make_shared<UniformQuantizer>(o);
  for (const auto& l : q.model->quant_layers()) {
    l.layer->weight_quant.quantizer = quantizer;
    l.layer->weight_quant.calibrate(l.layer->weight_param());
    q.slots.push_back(&l.layer->weight_quant);
    l.layer->input_quant.quantizer = quantizer;
    l.layer->input_quant.clip = at::scalar_tensor(2.0);
    q.slots.push_back(&l.layer->input_quant);
  }
  return q;
}

at::Tensor full(QModel& m, const at::Tensor& x) {
  at::NoGradGuard no_grad;
  return m.forward(x);
}

void scale_clip(QuantSlot& s, double f) { s.clip = s.clip * f; }

void expect_same_bits(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  ASSERT_TRUE(a.sizes().equals(b.sizes())) << what;
  EXPECT_TRUE(at::equal(a, b)) << what << ": max |diff| " << (a - b).abs().max().item<double>();
}

void check_a_search_sequence(const char* arch, bool nhwc = false) {
  Quantized q = quantized(arch, false, nhwc);
  IncrementalForward inc(*q.model, {});
  const std::size_t n = q.slots.size();
  std::mt19937 rng(7);
  std::vector<std::string> steps;
  for (int step = 0; step < 40; ++step) {
    const int kind = step % 5;
    std::string what;
    if (kind == 0) {                                   // one clip, anywhere (a line search)
      const std::size_t i = rng() % n;
      scale_clip(*q.slots[i], 0.8 + 0.05 * (rng() % 9));
      what = "one clip (" + std::to_string(i) + ")";
    } else if (kind == 1) {                            // two clips (a Hessian's pair)
      scale_clip(*q.slots[rng() % n], 1.1);
      scale_clip(*q.slots[rng() % n], 0.9);
      what = "two clips";
    } else if (kind == 2) {                            // the last clip only
      scale_clip(*q.slots[n - 1], 0.95);
      what = "the last clip";
    } else if (kind == 3) {                            // nothing
      what = "nothing";
    } else {                                           // every clip (a calibration)
      for (QuantSlot* s : q.slots) scale_clip(*s, 1.02);
      what = "every clip";
    }
    expect_same_bits(inc(q.x), full(*q.model, q.x), std::string(arch) + " step " + std::to_string(step) + ": " + what);
  }
  EXPECT_LT(inc.stats().stages_run, inc.stats().stages_total * 3 / 4) << "restarts should skip stages";
}

TEST(IncrementalForward, SameBitsAsTheFullForwardOverASearchOnLenet5) { check_a_search_sequence("lenet5"); }
TEST(IncrementalForward, SameBitsAsTheFullForwardOverASearchOnResnet20) { check_a_search_sequence("resnet20"); }
TEST(IncrementalForward, SameBitsInChannelsLastOnResnet20) {
  check_a_search_sequence("resnet20", /*nhwc=*/true);
  // ...and the activations it caches were channels-last indeed (the format was not lost on the way).
  Quantized q = quantized("resnet20", false, true);
  at::NoGradGuard no_grad;
  const at::Tensor y = q.model->stages().front().run(q.x);
  EXPECT_TRUE(y.dim() != 4 || y.is_contiguous(at::MemoryFormat::ChannelsLast));
}

TEST(IncrementalForward, ChangingTheLastClipRunsOnlyTheLastStage) {
  Quantized q = quantized("resnet20");
  IncrementalForward inc(*q.model, {});
  inc(q.x);
  // The slots' generators are made on first use, so the second call still sees a change (a
  // generator where there was none) and runs everything; from then on only what changed.
  inc(q.x);
  const std::int64_t before = inc.stats().stages_run;
  scale_clip(*q.slots.back(), 0.9);
  expect_same_bits(inc(q.x), full(*q.model, q.x), "last clip");
  EXPECT_EQ(inc.stats().stages_run - before, 1);
  inc(q.x);   // nothing changed: no stage runs
  EXPECT_EQ(inc.stats().stages_run - before, 1);
}

TEST(IncrementalForward, SeesWeightsChangedInPlaceAndANewInput) {
  Quantized q = quantized("lenet5");
  IncrementalForward inc(*q.model, {});
  inc(q.x);
  {
    at::NoGradGuard no_grad;
    q.model->find_layer("conv2").layer->bias_param().add_(0.25);
  }
  expect_same_bits(inc(q.x), full(*q.model, q.x), "bias changed in place");
  q.model->find_layer("fc1").layer->weight_quant.quantizer = nullptr;   // a slot turned off
  expect_same_bits(inc(q.x), full(*q.model, q.x), "slot off");
  at::Tensor y = q.x.clone();
  expect_same_bits(inc(y), full(*q.model, y), "another input");
  y.mul_(0.5);
  expect_same_bits(inc(y), full(*q.model, y), "the input changed in place");
}

TEST(IncrementalForward, StochasticRoundingDrawsAsTheFullForwardDoes) {
  // Two identical models with stochastic rounding: one evaluated incrementally, one fully; the
  // slots' generators advance the same way, so every output is the same.
  Quantized a = quantized("lenet5", true), b = quantized("lenet5", true);
  IncrementalForward inc(*a.model, {});
  for (int step = 0; step < 6; ++step) {
    if (step % 2) {
      scale_clip(*a.slots.back(), 0.9);
      scale_clip(*b.slots.back(), 0.9);
    }
    expect_same_bits(inc(a.x), full(*b.model, b.x), "stochastic step " + std::to_string(step));
  }
}

TEST(IncrementalForward, ABudgetTooSmallForSomeStagesStillGivesTheSameBits) {
  Quantized q = quantized("resnet20");
  const std::int64_t one_block = 6 * 16 * 16 * 16 * 4;   // the first blocks' input bytes
  for (std::int64_t budget : {std::int64_t{0}, one_block, 3 * one_block}) {
    IncrementalForward inc(*q.model, {budget});
    for (int step = 0; step < 6; ++step) {
      scale_clip(*q.slots[q.slots.size() - 1 - step], 0.9);
      expect_same_bits(inc(q.x), full(*q.model, q.x), "budget " + std::to_string(budget));
    }
    if (budget == 0) EXPECT_EQ(inc.stats().stages_run, inc.stats().stages_total);
  }
}

TEST(IncrementalForward, ModelStagesComposeToForward) {
  for (const char* arch : {"lenet5", "resnet20", "mlp"}) {
    Quantized q = quantized(arch);
    at::NoGradGuard no_grad;
    at::Tensor h = q.x;
    std::size_t layers = 0;
    for (const ModelStage& s : q.model->stages()) {
      h = s.run(h);
      layers += s.layers.size();
    }
    expect_same_bits(h, q.model->forward(q.x), arch);
    EXPECT_EQ(layers, q.model->quant_layers().size()) << arch;
  }
}

}  // namespace
}  // namespace qharness
