// Unit tests of the harness's bias correction (harness/src/quant/bias_correction.hpp): each
// channel's mean restored, the within-channel differences kept, and the wrapper around any
// quantizer leaves calibration to the quantizer it wraps.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "plugins/quantizers/uniform/uniform_quantizer.hpp"
#include "quant/bias_correction.hpp"
#include "quant/calibration_method.hpp"

namespace qharness {
namespace {

using plugins::uniform::Grid;
using plugins::uniform::UniformQuantizer;

const QuantTarget kWeight{TensorRole::Weight, true, 0};

at::Generator seeded(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

std::shared_ptr<UniformQuantizer> two_bit_reference() {
  UniformQuantizer::Options o;
  o.bits = 2;
  o.grid = Grid::Reference;   // no zero level: a visible mean shift
  return std::make_shared<UniformQuantizer>(o);
}

TEST(BiasCorrection, RestoresEachChannelsMean) {
  const at::Tensor w = at::randn({8, 5, 3, 3}, seeded(2)) + 0.05;
  auto q = two_bit_reference();
  at::Generator gen = seeded(0);
  const at::Tensor wq = q->quantize(w, q->calibrate(w, kWeight), kWeight, gen);
  const at::Tensor corrected = bias_corrected(w, wq, 0);
  const at::Tensor want = w.mean({1, 2, 3});
  EXPECT_TRUE(at::allclose(corrected.mean({1, 2, 3}), want, 1e-5, 1e-6));
  EXPECT_FALSE(at::allclose(wq.mean({1, 2, 3}), want, 1e-5, 1e-6));
  // Within a channel the correction is one constant: differences between entries are kept.
  EXPECT_TRUE(at::allclose(corrected - corrected.flatten(1).select(1, 0).view({8, 1, 1, 1}),
                           wq - wq.flatten(1).select(1, 0).view({8, 1, 1, 1}), 1e-5, 1e-6));
  EXPECT_THROW(bias_corrected(w, wq.flatten(1), 0), std::invalid_argument);
  EXPECT_THROW(bias_corrected(w, wq, 4), std::invalid_argument);
}

TEST(BiasCorrection, TheWrapperCorrectsQuantizeAndForwardsCalibration) {
  const at::Tensor w = at::randn({6, 10}, seeded(3)) + 0.05;
  auto inner = two_bit_reference();
  BiasCorrectedQuantizer wrapped(inner);
  const at::Tensor clip = inner->calibrate(w, kWeight);
  EXPECT_TRUE(at::equal(wrapped.calibrate(w, kWeight), clip));
  for (const char* m : {"minmax", "mse", "aciq"})
    EXPECT_TRUE(at::equal(wrapped.calibrate_method(w, kWeight, calibration_method(m)),
                          inner->calibrate_method(w, kWeight, calibration_method(m))))
        << m;
  at::Generator g1 = seeded(0), g2 = seeded(0);
  EXPECT_TRUE(at::equal(wrapped.quantize(w, clip, kWeight, g1),
                        bias_corrected(w, inner->quantize(w, clip, kWeight, g2), 0)));
  EXPECT_THROW(BiasCorrectedQuantizer(nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace qharness
