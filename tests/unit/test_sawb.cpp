// SAWB's clip (the `sawb` quantizer's calibration): c1 sqrt(E[x^2]) - c2 E|x|.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "plugins/quantizers/uniform/clip_calibration.hpp"
#include "plugins/quantizers/uniform/uniform_quantizer.hpp"

namespace qharness::plugins::uniform {
namespace {

double sawb_clip(const at::Tensor& x) {
  CalibrationOptions o;
  o.method = Calibration::Sawb;
  return calibrate_clip(x, Grid::Integer, 4, true, false, 0, o).item<double>();
}

TEST(Sawb, ClipFollowsTheFormulaForGaussianAndLaplaceData) {
  at::manual_seed(3);
  // Gaussian(0, s): sqrt(E x^2) = s, E|x| = s sqrt(2/pi).
  const double s = 0.7;
  at::Tensor g = at::randn({1 << 20}, at::kDouble) * s;
  EXPECT_NEAR(sawb_clip(g.to(at::kFloat)), (12.1 - 12.2 * std::sqrt(2.0 / M_PI)) * s, 0.02 * s);
  // Laplace(0, b): sqrt(E x^2) = sqrt(2) b, E|x| = b.
  const double b = 0.3;
  at::Tensor u = at::rand({1 << 20}, at::kDouble) - 0.5;
  at::Tensor l = -b * at::sign(u) * at::log1p(-2 * u.abs());
  EXPECT_NEAR(sawb_clip(l.to(at::kFloat)), (12.1 * std::sqrt(2.0) - 12.2) * b, 0.02 * b);
}

TEST(Sawb, FusedStatisticsEqualTheFloat64FormulaPerTensorAndPerChannelForAnyThreadCount) {
  // The clip comes from one fused pass (8 lanes, fixed chunks); it must agree with the formula
  // evaluated on a float64 copy, for lengths that are not multiples of the lanes or chunks,
  // signed and unsigned, per tensor and per channel, and not depend on the thread count.
  at::manual_seed(5);
  CalibrationOptions o;
  o.method = Calibration::Sawb;
  for (std::int64_t n : {1, 7, 8, 9, 1000, (1 << 15) + 3, 3 * (1 << 15) + 17}) {
    for (bool is_signed : {true, false}) {
      at::Tensor x = at::randn({n}) * 0.1 + (is_signed ? 0.0 : 0.05);
      if (!is_signed) x = x.clamp_min(0);
      const at::Tensor d = x.to(at::kDouble);
      const double max = (is_signed ? d.abs() : d).max().item<double>();
      const double sawb = 12.1 * d.pow(2).mean().sqrt().item<double>() - 12.2 * d.abs().mean().item<double>();
      const double formula = std::min(sawb > 0 ? sawb : max, max);   // <= 0: max|x| (n = 1)
      const double clip = calibrate_clip(x, Grid::Integer, 4, is_signed, false, 0, o).item<double>();
      EXPECT_NEAR(clip, std::max(formula, 1e-12), 1e-6 * std::abs(formula) + 1e-12) << "n " << n;
    }
  }
  at::Tensor w = at::randn({6, 5, 3, 3}) * at::arange(1, 7).reshape({6, 1, 1, 1});
  const at::Tensor rows = w.to(at::kDouble).reshape({6, -1});
  const at::Tensor expected =
      at::minimum(12.1 * rows.pow(2).mean(1).sqrt() - 12.2 * rows.abs().mean(1), rows.abs().amax(1));
  EXPECT_TRUE(at::allclose(calibrate_clip(w, Grid::Integer, 4, true, true, 0, o).to(at::kDouble), expected, 1e-6));
  at::Tensor big = at::randn({5 * (1 << 15) + 11});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const at::Tensor one = calibrate_clip(big, Grid::Integer, 4, true, false, 0, o);
  at::set_num_threads(2);
  const at::Tensor two = calibrate_clip(big, Grid::Integer, 4, true, false, 0, o);
  at::set_num_threads(threads);
  EXPECT_TRUE(one.equal(two));
}

double sawb_clip_on(const at::Tensor& x, Grid grid, bool is_signed) {
  CalibrationOptions o;
  o.method = Calibration::Sawb;
  return calibrate_clip(x, grid, 4, is_signed, false, 0, o).item<double>();
}

TEST(Sawb, ClipIsCappedAtMaxAbsExceptOnTheLuqGrid) {
  // One non-zero of four: sqrt(E x^2) = 5, E|x| = 2.5, so SAWB's clip is 12.1 * 5 - 12.2 * 2.5
  // = 30, above max|x| = 10: capped on the harness's grids, not on the LUQ reference code's.
  at::Tensor y = at::tensor({0.0f, 0.0f, 0.0f, 10.0f});
  EXPECT_DOUBLE_EQ(sawb_clip(y), 10.0);
  EXPECT_NEAR(sawb_clip_on(y, Grid::LuqSawb, true), 30.0, 1e-5);
}

TEST(Sawb, NonPositiveClipFallsBackToMaxAbsInsteadOfZeroingTheTensor) {
  // +-1: sqrt(E x^2) = E|x| = 1, the formula gives 12.1 - 12.2 = -0.1; a constant tensor of 5s
  // gives -0.5. Both fall back to max|x|, which represents them exactly.
  EXPECT_DOUBLE_EQ(sawb_clip(at::tensor({-1.0f, 1.0f, 1.0f, -1.0f})), 1.0);
  EXPECT_DOUBLE_EQ(sawb_clip_on(at::full({6}, 5.0f), Grid::Integer, false), 5.0);
  EXPECT_DOUBLE_EQ(sawb_clip_on(at::full({6}, 5.0f), Grid::LuqSawb, false), 5.0);
  // The quantized tensor is the tensor, not zeros.
  UniformQuantizer::Options o;
  o.bits = 4;
  o.calibration.method = Calibration::Sawb;
  UniformQuantizer q(o);
  at::Generator gen = at::detail::createCPUGenerator(0);
  const QuantTarget w{TensorRole::Weight, true, 0};
  const at::Tensor x = at::tensor({-2.0f, 2.0f, 2.0f, -2.0f, 2.0f});
  EXPECT_TRUE(q.quantize(x, q.calibrate(x, w), w, gen).equal(x));
}

// The LUQ reference code's SAWB grid: signed 2^M + 1 levels k a / 2^(M-1), |k| <= 2^(M-1) (17
// at 4 bits); unsigned [0, 2a] in 2^M - 1 steps of 2a / 15.
TEST(Sawb, LuqGridHas17SignedLevelsAndAnUnsignedRangeOfTwiceTheClip) {
  const double a = 0.8;
  const at::Tensor clip = at::scalar_tensor(a, at::kFloat);
  const at::Tensor x = at::linspace(-2.0, 2.0, 4001, at::kFloat);
  UniformQuantizer::Options o;
  o.bits = 4;
  o.grid = Grid::LuqSawb;
  UniformQuantizer q(o);
  at::Generator gen = at::detail::createCPUGenerator(0);
  const at::Tensor s = std::get<0>(at::_unique(q.quantize(x, clip, {TensorRole::Weight, true, 0}, gen))).to(at::kDouble);
  ASSERT_EQ(s.numel(), 17);
  const at::Tensor expected_signed = at::arange(-8, 9, at::kDouble) * (a / 8);
  EXPECT_TRUE(at::allclose(std::get<0>(s.sort()), expected_signed, 0, 1e-6));
  const at::Tensor u = std::get<0>(at::_unique(
      q.quantize(x.clamp_min(0).view({1, -1}), clip, {TensorRole::Activation, false, 1}, gen))).to(at::kDouble);
  ASSERT_EQ(u.numel(), 16);
  const at::Tensor expected_unsigned = at::arange(0, 16, at::kDouble) * (2 * a / 15);
  EXPECT_TRUE(at::allclose(std::get<0>(u.sort()), expected_unsigned, 0, 1e-6));
}

}  // namespace
}  // namespace qharness::plugins::uniform
