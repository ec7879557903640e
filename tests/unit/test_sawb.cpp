// SAWB's clip (the `sawb` quantizer's calibration): c1 sqrt(E[x^2]) - c2 E|x|.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

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
