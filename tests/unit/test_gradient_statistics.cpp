// The gradient-bias statistics of quant-train (gradient_statistics.hpp) on a tiny MLP with
// synthetic gradient quantizers: an unbiased one (stochastic rounding, clip = max|g|) shows a
// raw bias at the sampling floor sqrt(error / S) that the debiased statistic removes; a
// deterministic one (round to nearest) has no sampling noise, so both statistics agree.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>

#include "models/zoo.hpp"
#include "plugins/quantizers/uniform/uniform_quantizer.hpp"
#include "tasks/gradient_statistics.hpp"

namespace qharness {
namespace {

constexpr int kSamples = 16;

GradientStatistics statistics_with(bool stochastic) {
  at::manual_seed(3);
  auto model = make_model({"mlp", {1, 6, 6}, 4});
  plugins::uniform::UniformQuantizer::Options o;
  o.bits = 3;
  o.stochastic = stochastic;
  std::vector<NamedQuantLayer> layers;
  for (const auto& l : model->quant_layers()) {
    if (l.name == "fc1") continue;   // the first layer's input gradient is never computed
    l.layer->grad_quant.quantizer = std::make_shared<plugins::uniform::UniformQuantizer>(o);
    l.layer->grad_quant.generator = at::detail::createCPUGenerator(11);
    layers.push_back(l);
  }
  const at::Tensor images = at::randn({32, 1, 6, 6});
  const at::Tensor labels = at::randint(0, 4, {32}, at::kLong);
  return measure_gradient_statistics(*model, layers, images, labels, kSamples);
}

TEST(GradientStatistics, DebiasedBiasRemovesTheSamplingFloorOfAnUnbiasedQuantizer) {
  const GradientStatistics s = statistics_with(/*stochastic=*/true);
  ASSERT_EQ(s.layers.size(), 2u);
  ASSERT_EQ(s.debiased_bias.size(), 2u);
  for (std::size_t l = 0; l < s.layers.size(); ++l) {
    // The raw bias of an unbiased quantizer is its sampling floor, sqrt(error / S) ...
    EXPECT_GT(s.bias[l], 0.0) << s.layers[l];
    EXPECT_NEAR(s.bias[l], std::sqrt(s.error[l] / kSamples), 0.25 * s.bias[l]) << s.layers[l];
    // ... which the debiased statistic removes (what is left is the floor's own fluctuation,
    // a small fraction of it for the thousands of entries of a weight gradient).
    EXPECT_LT(s.debiased_bias[l], 0.35 * s.bias[l]) << s.layers[l];
  }
}

TEST(GradientStatistics, DeterministicQuantizerKeepsItsWholeBias) {
  const GradientStatistics s = statistics_with(/*stochastic=*/false);
  for (std::size_t l = 0; l < s.layers.size(); ++l) {
    // Every sample is the same quantization: error = bias^2, nothing to remove. To float32's
    // rounding, not double's: the samples' mean is summed in the gradient's float32 (mean +=
    // d / S); the clang build (build-sanitize/) gives 1.6e-7 relative. A wrong error or bias
    // is off by a factor (an unbiased quantizer's error is S times its bias^2, the test above).
    EXPECT_GT(s.bias[l], 0.0) << s.layers[l];
    EXPECT_NEAR(s.error[l], s.bias[l] * s.bias[l], 1e-5 * s.error[l]) << s.layers[l];
    EXPECT_NEAR(s.debiased_bias[l], s.bias[l], 1e-6 * s.bias[l]) << s.layers[l];
  }
}

TEST(GradientStatistics, DebiasedBiasFormula) {
  // (S bias^2 - error) / (S - 1) under the square root, clamped at 0.
  EXPECT_NEAR(debiased_bias(0.5, 1.0, 5), std::sqrt((5 * 0.25 - 1.0) / 4.0), 1e-15);
  EXPECT_EQ(debiased_bias(0.1, 1.0, 4), 0.0);
  EXPECT_THROW(debiased_bias(0.1, 1.0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace qharness
