// SAWB's clip (the `sawb` quantizer's calibration): c1 sqrt(E[x^2]) - c2 E|x|.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "plugins/quantizers/uniform/clip_calibration.hpp"

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
      const double formula = std::min(
          12.1 * d.pow(2).mean().sqrt().item<double>() - 12.2 * d.abs().mean().item<double>(), max);
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

TEST(Sawb, ClipIsCappedAtMaxAbs) {
  // Two values: sqrt(E x^2) = E|x| = 1, so the formula gives -0.1: the floor; a constant tensor
  // of 5s gives (12.1 - 12.2) * 5 < 0 as well; spread data gives less than max|x|.
  at::Tensor x = at::tensor({-1.0f, 1.0f});
  EXPECT_GT(sawb_clip(x), 0.0);
  at::Tensor y = at::tensor({0.0f, 0.0f, 0.0f, 10.0f});
  EXPECT_LE(sawb_clip(y), 10.0);
}

}  // namespace
}  // namespace qharness::plugins::uniform
