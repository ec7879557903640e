// The uniform quantizer's fused Lp-error kernel (plugins/quantizers/uniform/lp_error.hpp)
// against a float64 reference built from the fake-quant kernel's output: the same quantized
// values, |q - x| in float32 as the kernel forms it, the power and the sum in float64 by ATen.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "plugins/quantizers/uniform/clip_calibration.hpp"
#include "plugins/quantizers/uniform/fake_quant.hpp"
#include "plugins/quantizers/uniform/lp_error.hpp"

namespace qharness::plugins::uniform {
namespace {

at::Generator seeded(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

LpErrorGrid float_grid(Grid grid, std::int64_t bits, bool is_signed, double clip) {
  return lp_error_grid(grid_parameters(grid, bits, is_signed, at::scalar_tensor(clip, at::kDouble), 0));
}

double reference_sum(const at::Tensor& x, Grid grid, std::int64_t bits, bool is_signed, double clip, double p) {
  const GridParameters g = grid_parameters(grid, bits, is_signed, at::scalar_tensor(clip, at::kDouble), 0);
  const at::Tensor q = fake_quant_kernel(x, g.scale, g.offset, g.spec, at::Tensor());
  return (q - x).abs().to(at::kDouble).pow(p).sum().item<double>();
}

double kernel_sum(const at::Tensor& x, Grid grid, std::int64_t bits, bool is_signed, double clip, double p) {
  const at::Tensor c = x.contiguous();
  return lp_error_sum(c.data_ptr<float>(), c.numel(), float_grid(grid, bits, is_signed, clip), p);
}

struct Case {
  Grid grid;
  std::int64_t bits;
  bool is_signed;
};

TEST(LpError, MatchesAFloat64ReferenceOnEveryGridAndPower) {
  // Gaussian data with a heavy tail, 100003 elements: several chunks and a ragged end.
  const at::Tensor g = at::randn({100003}, seeded(1));
  const at::Tensor x = g * (1.0 + 3.0 * (g.abs() > 2.5).to(at::kFloat));
  const at::Tensor relu = x.clamp_min(0.0);
  const std::vector<Case> cases = {{Grid::Integer, 4, true}, {Grid::Integer, 2, true},  {Grid::Integer, 4, false},
                                   {Grid::Reference, 4, true}, {Grid::Reference, 3, false}, {Grid::Integer, 8, true},
                                   {Grid::Integer, 24, true}};  // 24 bits: the std::nearbyint path
  for (const Case& c : cases)
    for (double p : {1.0, 2.0, 2.5, 3.0, 3.3456, 4.0, 1.0001, 7.9})
      for (double clip : {0.37, 2.1, 9.5}) {
        const at::Tensor& data = c.is_signed ? x : relu;
        const double want = reference_sum(data, c.grid, c.bits, c.is_signed, clip, p);
        const double got = kernel_sum(data, c.grid, c.bits, c.is_signed, clip, p);
        ASSERT_GT(want, 0.0);
        EXPECT_NEAR(got, want, 1e-12 * want)
            << "grid " << int(c.grid) << " bits " << c.bits << " signed " << c.is_signed << " p " << p << " clip " << clip;
      }
}

TEST(LpError, PowersOverTheWholeFloatRangeIncludingSubnormals) {
  // |q - x| = |x| for x far inside the zero bin: the kernel's power of every binade.
  std::vector<float> v;
  for (int k = -149; k <= 20; ++k) v.push_back(std::ldexp(1.37f, k));
  v.push_back(std::numeric_limits<float>::denorm_min());
  v.push_back(0.0f);
  v.push_back(-0.0f);
  LpErrorGrid lg;
  lg.scale = 1e30f;  // every x above rounds to 0: the error is |x|
  lg.lo = -7.0f;
  lg.hi = 7.0f;
  for (double p : {1.0, 1.5, 2.0, 2.75, 4.0, 6.1}) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double want = std::pow(static_cast<double>(std::fabs(v[i])), p);
      const double got = lp_error_sum(&v[i], 1, lg, p);
      if (want < 1e-300) EXPECT_LE(got, 1e-300) << v[i] << " p " << p;  // underflows to 0
      else EXPECT_NEAR(got, want, 1e-12 * want) << v[i] << " p " << p;
    }
  }
}

TEST(LpError, ErrorsBeyondTheDoubleRangeAreInfiniteAndJustBelowItFinite) {
  // |x| = 2^100 (|q - x| = |x|: the grid rounds it to 0): p = 10.235 puts 2^y at y = 1023.5,
  // finite (~1.27e308); p = 10.3 puts it past the largest double: inf, not a clamped value.
  LpErrorGrid lg;
  lg.scale = 1e38f;
  lg.lo = -7.0f;
  lg.hi = 7.0f;
  const float x = 0x1p100f;
  const double near = lp_error_sum(&x, 1, lg, 10.235);
  EXPECT_TRUE(std::isfinite(near));
  EXPECT_NEAR(near, std::pow(2.0, 1023.5), 1e-12 * std::pow(2.0, 1023.5));
  EXPECT_TRUE(std::isinf(lp_error_sum(&x, 1, lg, 10.3)));
}

TEST(LpError, NonFiniteInputGivesANonFiniteSum) {
  LpErrorGrid lg;
  lg.scale = 0.1f;
  lg.lo = -7.0f;
  lg.hi = 7.0f;
  const std::vector<float> inf = {1.0f, std::numeric_limits<float>::infinity(), 2.0f};
  const std::vector<float> nan = {1.0f, std::numeric_limits<float>::quiet_NaN(), 2.0f};
  for (double p : {2.0, 2.5}) {
    EXPECT_FALSE(std::isfinite(lp_error_sum(inf.data(), 3, lg, p))) << p;
    EXPECT_TRUE(std::isnan(lp_error_sum(nan.data(), 3, lg, p))) << p;
  }
}

TEST(LpError, TheSumDoesNotDependOnTheThreadCount) {
  const at::Tensor x = at::randn({300001}, seeded(2));
  const LpErrorGrid lg = float_grid(Grid::Integer, 4, true, 2.0);
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  const double one = lp_error_sum(x.data_ptr<float>(), x.numel(), lg, 2.5);
  at::set_num_threads(2);
  const double two = lp_error_sum(x.data_ptr<float>(), x.numel(), lg, 2.5);
  at::set_num_threads(before);
  EXPECT_EQ(one, two);  // to the bit
}

TEST(LpError, TheZerosErrorIsAddedBackOnAGridWithoutAZeroLevel) {
  // The signed reference grid has no level at 0: each zero costs (s/2)^p, s = 2a/(2^M - 1),
  // which grows with the clip. lp_optimal_clip sets zeros aside and adds that back; leaving it
  // out would push the clip up. Checked against a scan of the float64 reference, zeros included.
  const at::Tensor g = at::randn({20000}, seeded(6));
  const at::Tensor x = at::where(g.abs() < 0.6, at::zeros_like(g), g);  // ~45% zeros
  ASSERT_GT((x == 0).sum().item<double>(), 0.4 * x.numel());
  const double max_abs = x.abs().max().item<double>();
  for (double p : {2.0, 2.5}) {
    const double clip = lp_optimal_clip(x, Grid::Reference, 3, true, p, max_abs);
    double best = 0.0, best_error = 0.0;
    for (int k = 1; k <= 400; ++k) {
      const double c = max_abs * k / 400.0;
      const double e = reference_sum(x, Grid::Reference, 3, true, c, p);
      if (k == 1 || e < best_error) best = c, best_error = e;
    }
    EXPECT_NEAR(clip, best, 0.01 * max_abs) << p;
    EXPECT_LE(reference_sum(x, Grid::Reference, 3, true, clip, p), best_error * (1.0 + 1e-9)) << p;
  }
}

TEST(LpError, TheLpClipOfAPostReluTensorMinimizesTheWholeTensorsError) {
  // Half zeros, which the clip search sets aside: the clip it returns must minimize the Lp error
  // of the whole tensor (checked against clips either side by the float64 reference). On this
  // grid a zero costs nothing; that its error is added back where it does cost is the test
  // above, on the reference grid.
  const at::Tensor x = at::randn({50000}, seeded(4)).clamp_min(0.0);
  for (double p : {2.0, 3.3}) {
    const double max_x = x.max().item<double>();
    const double clip = lp_optimal_clip(x, Grid::Integer, 4, false, p, max_x);
    auto error = [&](double c) { return reference_sum(x, Grid::Integer, 4, false, c, p); };
    EXPECT_LT(clip, 0.9 * max_x) << p;
    EXPECT_LE(error(clip), error(clip * 1.01)) << p;
    EXPECT_LE(error(clip), error(clip * 0.99)) << p;
  }
}

}  // namespace
}  // namespace qharness::plugins::uniform
