// Unit tests of the `uniform` quantizer plugin (plugins/quantizers/uniform): grids,
// calibration methods (their own and the harness's through calibrate_method), rounding modes,
// gradients through quantize().
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/quantizers/uniform/clip_calibration.hpp"
#include "plugins/quantizers/uniform/uniform_quantizer.hpp"

namespace qharness::plugins::uniform {
namespace {

const QuantTarget kWeight{TensorRole::Weight, true, 0};
const QuantTarget kActivation{TensorRole::Activation, false, 1};

UniformQuantizer make(std::int64_t bits, Grid grid = Grid::Integer,
                      Calibration method = Calibration::MinMax, bool per_channel = false,
                      bool stochastic = false) {
  UniformQuantizer::Options o;
  o.bits = bits;
  o.grid = grid;
  o.calibration.method = method;
  o.per_channel = per_channel;
  o.stochastic = stochastic;
  return UniformQuantizer(o);
}

std::vector<double> values(const at::Tensor& t) {
  const at::Tensor d = t.detach().to(at::kDouble).contiguous().view({-1});
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

at::Generator seeded(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

TEST(UniformQuantizer, IntegerGridSignedHasZeroAndSymmetricLevels) {
  UniformQuantizer q = make(3);  // levels k / 3 * clip, |k| <= 3
  at::Generator gen = seeded(0);
  const at::Tensor x = at::tensor({-2.0f, -0.5f, -0.1f, 0.0f, 0.2f, 0.6f, 1.0f});
  const auto out = values(q.quantize(x, at::scalar_tensor(1.5f), kWeight, gen));
  // step 0.5: -2 -> -1.5 (clamped), -0.5 -> -0.5, -0.1 -> 0, 0 -> 0, 0.2 -> 0, 0.6 -> 0.5, 1 -> 1.
  const std::vector<double> expected = {-1.5, -0.5, 0.0, 0.0, 0.0, 0.5, 1.0};
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], expected[i], 1e-6) << i;
}

TEST(UniformQuantizer, ReferenceGridHasNoZeroLevel) {
  UniformQuantizer q = make(2, Grid::Reference);  // 4 levels over [-1, 1]: -1, -1/3, 1/3, 1
  at::Generator gen = seeded(0);
  const at::Tensor x = at::linspace(-1.5, 1.5, 301, at::kFloat);
  const auto out = values(q.quantize(x, at::scalar_tensor(1.0f), kWeight, gen));
  std::set<long> levels;
  for (double v : out) levels.insert(std::lround(v * 3.0));
  EXPECT_EQ(levels, (std::set<long>{-3, -1, 1, 3}));
  // Zero itself goes to a non-zero level.
  EXPECT_NE(values(q.quantize(at::zeros({1}), at::scalar_tensor(1.0f), kWeight, gen))[0], 0.0);
}

TEST(UniformQuantizer, UnsignedActivationsUseAllLevelsFromZero) {
  UniformQuantizer q = make(2);  // unsigned: levels k / 3 * clip, k in 0..3
  at::Generator gen = seeded(0);
  const at::Tensor x = at::tensor({-1.0f, 0.1f, 0.4f, 0.7f, 2.0f}).view({1, 5});
  const auto out = values(q.quantize(x, at::scalar_tensor(0.9f), {TensorRole::Activation, false, 1}, gen));
  const std::vector<double> expected = {0.0, 0.0, 0.3, 0.6, 0.9};
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], expected[i], 1e-6) << i;
}

TEST(UniformQuantizer, PerChannelEqualsPerTensorOnEachSlice) {
  UniformQuantizer per_channel = make(4, Grid::Integer, Calibration::MinMax, true);
  UniformQuantizer per_tensor = make(4);
  at::Generator gen = seeded(0);
  const at::Tensor w = at::randn({6, 3, 3, 3}, seeded(1)) * at::arange(1, 7).view({6, 1, 1, 1});
  const at::Tensor clip = per_channel.calibrate(w, kWeight);
  ASSERT_EQ(clip.sizes(), at::IntArrayRef({6}));
  const at::Tensor q = per_channel.quantize(w, clip, kWeight, gen);
  for (std::int64_t c = 0; c < 6; ++c) {
    EXPECT_FLOAT_EQ(clip[c].item<float>(), w[c].abs().max().item<float>());
    const at::Tensor slice_clip = per_tensor.calibrate(w[c], kWeight);
    EXPECT_TRUE(at::equal(q[c], per_tensor.quantize(w[c].contiguous(), slice_clip, kWeight, gen))) << c;
  }
}

TEST(UniformQuantizer, StochasticRoundingIsUnbiasedAndSeeded) {
  UniformQuantizer q = make(4, Grid::Integer, Calibration::MinMax, false, true);
  const at::Tensor x = at::full({200000}, 0.3f);  // step 1/7: between levels 2/7 and 3/7
  at::Generator a = seeded(5), b = seeded(5);
  at::manual_seed(123);  // the global generator must not matter
  const at::Tensor qa = q.quantize(x, at::scalar_tensor(1.0f), kWeight, a);
  at::manual_seed(456);
  const at::Tensor qb = q.quantize(x, at::scalar_tensor(1.0f), kWeight, b);
  EXPECT_TRUE(at::equal(qa, qb));
  std::set<long> levels;
  for (double v : values(qa.slice(0, 0, 1000))) levels.insert(std::lround(v * 7.0));
  EXPECT_EQ(levels, (std::set<long>{2, 3}));
  // Unbiased: each value is 2/7 + Bernoulli(0.1) / 7 (0.3 = 2/7 + 0.1/7), so the mean of n of
  // them has standard error sqrt(0.1 * 0.9 / n) / 7 (9.6e-5 here); allow 4 of them.
  const double p_up = 0.3 * 7.0 - 2.0;
  const double standard_error = std::sqrt(p_up * (1.0 - p_up) / static_cast<double>(x.numel())) / 7.0;
  EXPECT_NEAR(qa.to(at::kDouble).mean().item<double>(), 0.3, 4.0 * standard_error);
}

TEST(UniformQuantizer, GradientsFlowToXAndClipWhenRequired) {
  UniformQuantizer q = make(4);
  at::Generator gen = seeded(0);
  const at::Tensor x = at::tensor({-3.0f, 0.3f, 0.77f, 2.5f}).requires_grad_(true);
  const at::Tensor clip = at::scalar_tensor(1.0, at::kDouble).requires_grad_(true);
  const at::Tensor out = q.quantize(x, clip, kWeight, gen);
  EXPECT_TRUE(out.requires_grad());
  out.sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 1, 1, 0}));
  ASSERT_TRUE(clip.grad().defined());
  // Clamped entries contribute -1 and +1; inside (r - y)/7 each.
  const double inside = (std::nearbyint(0.3 * 7) - 0.3 * 7 + std::nearbyint(0.77 * 7) - 0.77 * 7) / 7;
  EXPECT_NEAR(clip.grad().item<double>(), inside, 1e-6);
  // No gradient wanted: the fast kernel gives the same values.
  at::NoGradGuard no_grad;
  EXPECT_TRUE(at::equal(q.quantize(x.detach(), clip.detach(), kWeight, gen), out.detach()));
}

TEST(UniformQuantizer, Bits32IsTheIdentityAndBadInputIsNamed) {
  at::Generator gen = seeded(0);
  const at::Tensor x = at::randn({10});
  EXPECT_TRUE(at::equal(make(32).quantize(x, at::scalar_tensor(0.1f), kWeight, gen), x));
  try {
    make(4, Grid::Integer, Calibration::MinMax, true).quantize(at::randn({4, 3}), at::ones({3}), kWeight, gen);
    FAIL() << "expected a shape error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("per-channel clip must have shape [4]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make(1).calibrate(x, kWeight), std::invalid_argument);  // 1-bit signed integer grid
  EXPECT_NO_THROW(make(1, Grid::Reference).calibrate(x, kWeight));
  UniformQuantizer::Options bad;
  bad.calibration.p = 0.5;
  EXPECT_THROW(UniformQuantizer{bad}, std::invalid_argument);
}

TEST(ClipCalibration, MinMaxAndPercentile) {
  const at::Tensor x = at::arange(-1000, 1001, at::kFloat);  // |x| up to 1000
  EXPECT_FLOAT_EQ(make(4).calibrate(x, kWeight).item<float>(), 1000.0f);
  EXPECT_FLOAT_EQ(make(4).calibrate(x.view({1, -1}), kActivation).item<float>(), 1000.0f);
  UniformQuantizer::Options o;
  o.calibration.method = Calibration::Percentile;
  o.calibration.percentile = 90.0;
  // |x| takes 0 once and 1..1000 twice: the 1801st smallest of 2001 is 900.
  EXPECT_FLOAT_EQ(UniformQuantizer(o).calibrate(x, kWeight).item<float>(), 900.0f);
  // Unsigned: negatives count as 0; the 90th percentile of x is 800.
  EXPECT_FLOAT_EQ(UniformQuantizer(o).calibrate(x.view({1, -1}), kActivation).item<float>(), 800.0f);
}

TEST(ClipCalibration, LpClipIsALocalMinimumOfTheLpErrorAndBeatsMinMax) {
  const at::Tensor x = at::randn({20000}, seeded(3));
  for (double p : {1.0, 2.0, 3.5}) {
    const double max_abs = x.abs().max().item<double>();
    const double clip = lp_optimal_clip(x, Grid::Integer, 4, true, p, max_abs);
    auto error = [&](double c) {
      UniformQuantizer q = make(4);
      at::Generator gen = seeded(0);
      const at::Tensor out = q.quantize(x, at::scalar_tensor(c, at::kFloat), kWeight, gen);
      return (out - x).abs().pow(p).to(at::kDouble).mean().item<double>();
    };
    EXPECT_LT(clip, 0.8 * max_abs) << p;  // 4 bits on a Gaussian: clipping pays
    EXPECT_LT(error(clip), error(max_abs)) << p;
    EXPECT_LE(error(clip), error(clip * 1.02) + 1e-12) << p;
    EXPECT_LE(error(clip), error(clip * 0.98) + 1e-12) << p;
  }
  // Larger p weighs the outliers more: the clip grows with p.
  const double c2 = lp_optimal_clip(x, Grid::Integer, 4, true, 2.0, x.abs().max().item<double>());
  const double c4 = lp_optimal_clip(x, Grid::Integer, 4, true, 4.0, x.abs().max().item<double>());
  EXPECT_LT(c2, c4);
  // mse is lp with p = 2.
  UniformQuantizer::Options o;
  o.calibration.method = Calibration::Mse;
  EXPECT_NEAR(UniformQuantizer(o).calibrate(x, kWeight).item<double>(), c2, 1e-6 * c2);
}

TEST(ClipCalibration, AciqConstantsMatchBannerEtAl) {
  // Banner, Nahshan, Soudry (NeurIPS 2019), section 4.1: alpha* = 2.83b, 3.89b, 5.03b for
  // Laplace(b) and 1.71 sigma, 2.15 sigma, 2.55 sigma for N(0, sigma^2) at 2, 3, 4 bits.
  const std::vector<double> laplace = {2.83, 3.89, 5.03};
  const std::vector<double> gauss = {1.71, 2.15, 2.55};
  for (int m = 2; m <= 4; ++m) {
    EXPECT_NEAR(aciq_alpha(m, AciqDistribution::Laplace, true), laplace[m - 2], 0.01) << m;
    EXPECT_NEAR(aciq_alpha(m, AciqDistribution::Gaussian, true), gauss[m - 2], 0.01) << m;
  }
  // More bits: less rounding noise, so a wider clip.
  EXPECT_LT(aciq_alpha(4, AciqDistribution::Laplace, false), aciq_alpha(8, AciqDistribution::Laplace, false));
}

TEST(ClipCalibration, AciqOnALaplaceSample) {
  // Laplace(0, b = 0.5) by inverse CDF; 4-bit ACIQ clip ~ 5.03 * 0.5.
  const at::Tensor u = at::rand({200000}, seeded(9), at::TensorOptions().dtype(at::kDouble)) - 0.5;
  const at::Tensor x = (-0.5 * u.sign() * at::log1p(-2.0 * u.abs())).to(at::kFloat);
  UniformQuantizer::Options o;
  o.bits = 4;
  o.calibration.method = Calibration::Aciq;
  EXPECT_NEAR(UniformQuantizer(o).calibrate(x, kWeight).item<double>(), 5.03 * 0.5, 0.05);
}

TEST(ClipCalibration, CalibrateMethodIsCalibrateWithThatMethod) {
  // The harness's methods (ptq) through calibrate_method give the same bits as a quantizer
  // configured with `calibration: <method>`: ptq's clips did not change when the contract moved
  // calibration out of the plugin's options.
  const at::Tensor w = at::randn({6, 40}, seeded(12)) * 0.3;
  const at::Tensor a = at::relu(at::randn({16, 6}, seeded(13)));
  const std::pair<Calibration, CalibrationMethod> methods[] = {
      {Calibration::MinMax, {CalibrationMethod::Kind::MinMax, 2.0}},
      {Calibration::Mse, {CalibrationMethod::Kind::Mse, 2.0}},
      {Calibration::Lp, {CalibrationMethod::Kind::Lp, 3.5}},
      {Calibration::Aciq, {CalibrationMethod::Kind::Aciq, 2.0}},
  };
  for (Grid grid : {Grid::Integer, Grid::Reference})
    for (bool per_channel : {false, true})
      for (const auto& [own, harness] : methods) {
        UniformQuantizer configured = make(4, grid, own, per_channel);
        UniformQuantizer::Options o = configured.options();
        o.calibration.p = 3.5;
        configured = UniformQuantizer(o);
        UniformQuantizer other = make(4, grid, Calibration::Percentile, per_channel);
        EXPECT_TRUE(at::equal(other.calibrate_method(w, kWeight, harness), configured.calibrate(w, kWeight)));
        EXPECT_TRUE(at::equal(other.calibrate_method(a, kActivation, harness), configured.calibrate(a, kActivation)));
      }
}

TEST(UniformQuantizer, ParamSpecsAreParsed) {
  Params p;
  p.set("bits", std::int64_t{3});
  p.set("granularity", std::string("per-channel"));
  p.set("rounding", std::string("stochastic"));
  for (const ParamSpec& spec : UniformQuantizer::param_specs()) p.set(spec.name, spec.default_value);
  UniformQuantizer::Options o = UniformQuantizer::options_from_params(p);
  EXPECT_EQ(o.bits, 3);
  EXPECT_TRUE(o.per_channel);
  EXPECT_TRUE(o.stochastic);
  EXPECT_EQ(o.grid, Grid::Integer);
  EXPECT_EQ(o.calibration.method, Calibration::MinMax);
  p.set("grid", std::string("reference"));
  p.set("calibration", std::string("aciq"));
  p.set("aciq_distribution", std::string("gaussian"));
  o = UniformQuantizer::options_from_params(p);
  EXPECT_EQ(o.grid, Grid::Reference);
  EXPECT_EQ(o.calibration.method, Calibration::Aciq);
  EXPECT_EQ(o.calibration.distribution, AciqDistribution::Gaussian);
}

}  // namespace
}  // namespace qharness::plugins::uniform
