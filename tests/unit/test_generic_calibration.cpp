// Unit tests of the harness's generic calibration (harness/src/quant/): minmax exact, lp
// against a brute-force scan of the clip, per-channel as per-tensor on each slice, seeded
// stochastic rounding repeats, aciq's Laplace reference, and calibrate_by_method's choice
// between the plugin's own calibrate_method and the generic one, and its contract check.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/quantizers/uniform/uniform_quantizer.hpp"
#include "qharness/aciq.hpp"
#include "quant/aciq_clip.hpp"
#include "quant/calibrate.hpp"
#include "quant/calibration_method.hpp"
#include "quant/lp_clip.hpp"
#include "quant/minmax_clip.hpp"

namespace qharness {
namespace {

const QuantTarget kWeight{TensorRole::Weight, true, 0};
const QuantTarget kActivation{TensorRole::Activation, false, 1};

at::Generator seeded(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// A quantizer with no calibrate_method: symmetric integer grid k * clip / qmax (unsigned:
// [0, 2^bits - 1]), per tensor or per channel, optionally stochastic. What a plugin author
// writes first.
class PlainQuantizer : public Quantizer {
 public:
  explicit PlainQuantizer(int bits, bool stochastic = false) : bits_(bits), stochastic_(stochastic) {}
  at::Tensor calibrate(const at::Tensor& x, const QuantTarget&) override { return x.abs().max(); }
  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget& t, at::Generator& g) override {
    ++calls;
    const double qmax = t.is_signed ? std::ldexp(1.0, bits_ - 1) - 1 : std::ldexp(1.0, bits_) - 1;
    at::Tensor c = clip.to(x.scalar_type());
    if (c.dim() == 1) {
      std::vector<std::int64_t> shape(x.dim(), 1);
      shape[t.channel_axis] = c.numel();
      c = c.reshape(shape);
    }
    const at::Tensor scale = c / qmax;
    at::Tensor y = (x / scale).clamp(t.is_signed ? -qmax : 0.0, qmax);
    y = stochastic_ ? (y + at::empty_like(y).uniform_(0.0, 1.0, g)).floor().clamp(t.is_signed ? -qmax : 0.0, qmax)
                    : y.round();
    return y * scale;
  }
  int calls = 0;

 private:
  int bits_;
  bool stochastic_;
};

// Laplace(0, b) by inverse CDF.
at::Tensor laplace(std::int64_t n, double b, std::uint64_t seed) {
  const at::Tensor u = at::rand({n}, seeded(seed), at::TensorOptions().dtype(at::kDouble)) - 0.5;
  return (-b * u.sign() * at::log1p(-2.0 * u.abs())).to(at::kFloat);
}

double mean_lp_error(Quantizer& q, const at::Tensor& x, double clip, const QuantTarget& t, double p) {
  at::Generator g = seeded(0);
  const at::Tensor out = q.quantize(x, at::scalar_tensor(clip, at::kFloat), t, g);
  return (out.to(at::kDouble) - x.to(at::kDouble)).abs().pow(p).mean().item<double>();
}

TEST(GenericCalibration, MinMaxIsExactlyTheLargestMagnitude) {
  const at::Tensor x = at::randn({6, 5, 3, 3}, seeded(1));
  EXPECT_TRUE(at::equal(minmax_clip(x, true, false, 0), x.abs().max()));
  EXPECT_EQ(minmax_clip(x, true, false, 0).dim(), 0);
  EXPECT_EQ(minmax_clip(x, true, false, 0).scalar_type(), at::kFloat);
  // Unsigned: max(x), not max|x|.
  EXPECT_TRUE(at::equal(minmax_clip(x, false, false, 1), x.max()));
  // Per channel along axis 0 and along axis 1.
  EXPECT_TRUE(at::equal(minmax_clip(x, true, true, 0), x.abs().amax({1, 2, 3})));
  EXPECT_TRUE(at::equal(minmax_clip(x, true, true, 1), x.abs().amax({0, 2, 3})));
  // An all-zero tensor still gets a clip > 0.
  EXPECT_GT(minmax_clip(at::zeros({4}), true, false, 0).item<double>(), 0.0);
  EXPECT_THROW(minmax_clip(x, true, true, 4), std::invalid_argument);
}

TEST(GenericCalibration, LpFindsTheBruteForceMinimumOfTheQuantizersOwnError) {
  const at::Tensor x = laplace(20000, 1.0, 3);
  PlainQuantizer q(4);
  const double max_abs = x.abs().max().item<double>();
  for (double p : {1.0, 2.0, 3.5}) {
    const double clip = lp_clip(q, x, kWeight, false, p, at::Generator()).item<double>();
    // Brute force: 4000 clips over (0, max|x|].
    double best = INFINITY, best_clip = 0;
    for (int k = 1; k <= 4000; ++k) {
      const double c = max_abs * k / 4000.0;
      const double e = mean_lp_error(q, x, c, kWeight, p);
      if (e < best) best = e, best_clip = c;
    }
    const double found = mean_lp_error(q, x, clip, kWeight, p);
    // Brent finds a local minimum of a staircase-like function: within 0.5% of the scan's best.
    EXPECT_LE(found, best * 1.005) << p;
    EXPECT_NEAR(clip, best_clip, 0.05 * best_clip) << p;
    EXPECT_LT(clip, 0.8 * max_abs) << p;   // 4 bits on a Laplace: clipping pays
  }
  // mse is lp with p = 2, through calibrate_by_method.
  SlotCalibration slot{"plain", false, 4, {}};
  EXPECT_DOUBLE_EQ(calibrate_by_method(q, x, kWeight, calibration_method("mse"), slot).item<double>(),
                   lp_clip(q, x, kWeight, false, 2.0, at::Generator()).item<double>());
}

TEST(GenericCalibration, LpPerChannelIsLpPerTensorOnEachSlice) {
  // Three channels at very different scales, along axis 1 (an activation's channel axis).
  const at::Tensor x = at::stack({laplace(3000, 0.1, 4), laplace(3000, 1.0, 5), laplace(3000, 10.0, 6)}, 1);
  PlainQuantizer q(3);
  const QuantTarget t{TensorRole::Weight, true, 1};
  const at::Tensor per_channel = lp_clip(q, x, t, true, 2.0, at::Generator());
  ASSERT_EQ(per_channel.sizes(), (at::IntArrayRef{3}));
  for (std::int64_t c = 0; c < 3; ++c) {
    const at::Tensor slice = x.select(1, c).contiguous();
    const double alone = lp_clip(q, slice, kWeight, false, 2.0, at::Generator()).item<double>();
    EXPECT_DOUBLE_EQ(per_channel[c].item<double>(), alone) << c;
  }
  EXPECT_LT(per_channel[0].item<double>(), per_channel[1].item<double>());
  EXPECT_LT(per_channel[1].item<double>(), per_channel[2].item<double>());
}

TEST(GenericCalibration, LpWithStochasticRoundingRepeatsAndLeavesTheSlotsStreamAlone) {
  const at::Tensor x = laplace(5000, 1.0, 7);
  PlainQuantizer q(4, /*stochastic=*/true);
  at::Generator slot_stream = seeded(42);
  const double a = lp_clip(q, x, kWeight, false, 2.0, slot_stream).item<double>();
  const double b = lp_clip(q, x, kWeight, false, 2.0, slot_stream).item<double>();
  EXPECT_EQ(a, b);
  // The search drew from copies: the slot's own stream is where it was.
  EXPECT_TRUE(at::equal(at::rand({4}, slot_stream), at::rand({4}, seeded(42))));
}

TEST(GenericCalibration, AciqIsLaplacesClosedFormAndEqualsTheUniformQuantizersOwn) {
  const at::Tensor x = laplace(200000, 0.5, 9);
  // 4 bits, two-sided: alpha* = 5.03 b.
  EXPECT_NEAR(aciq_clip(x, true, false, 0, 4).item<double>(), 5.03 * 0.5, 0.05);
  EXPECT_NEAR(aciq_alpha(4, AciqDistribution::Laplace, true), 5.03, 0.01);
  // The built-in uniform's own aciq (Laplace, integer grid) gives the same bits, per tensor and
  // per channel, signed and unsigned.
  plugins::uniform::UniformQuantizer::Options o;
  o.bits = 4;
  const at::Tensor w = x.reshape({8, -1});
  for (bool per_channel : {false, true}) {
    o.per_channel = per_channel;
    plugins::uniform::UniformQuantizer u(o);
    for (const QuantTarget& t : {kWeight, QuantTarget{TensorRole::Activation, false, 0}}) {
      const at::Tensor own = u.calibrate_method(w, t, calibration_method("aciq"));
      ASSERT_TRUE(own.defined());
      EXPECT_TRUE(at::equal(own, aciq_clip(w, t.is_signed, per_channel, 0, 4))) << per_channel << t.is_signed;
    }
  }
}

// A plugin whose calibrate_method answers minmax with a fixed clip of its own and leaves the
// rest to the harness; or, with `bad_shape`, breaks the contract.
class OwnMinMax : public PlainQuantizer {
 public:
  explicit OwnMinMax(bool bad_shape = false) : PlainQuantizer(4), bad_shape_(bad_shape) {}
  at::Tensor calibrate_method(const at::Tensor&, const QuantTarget&, const CalibrationMethod& m) override {
    if (m.kind != CalibrationMethod::Kind::MinMax) return at::Tensor();
    return bad_shape_ ? at::ones({2}) : at::scalar_tensor(0.25);
  }

 private:
  bool bad_shape_;
};

TEST(GenericCalibration, ThePluginsOwnMethodWinsAndIsChecked) {
  const at::Tensor x = laplace(1000, 1.0, 11);
  const SlotCalibration slot{"own", false, 4, {}};
  OwnMinMax own;
  EXPECT_DOUBLE_EQ(calibrate_by_method(own, x, kWeight, calibration_method("minmax"), slot).item<double>(), 0.25);
  EXPECT_EQ(own.calls, 0);   // no quantize() needed
  const double lp = calibrate_by_method(own, x, kWeight, calibration_method("lp", 3.0), slot).item<double>();
  EXPECT_GT(own.calls, 0);   // the harness's lp, through quantize()
  PlainQuantizer plain(4);
  EXPECT_DOUBLE_EQ(lp, lp_clip(plain, x, kWeight, false, 3.0, at::Generator()).item<double>());

  OwnMinMax bad(/*bad_shape=*/true);
  try {
    calibrate_by_method(bad, x, kWeight, calibration_method("minmax"), slot);
    FAIL() << "a 2-entry clip for a per-tensor slot was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("quantizer 'own': calibrate_method(minmax)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(calibration_method("percentile"), std::invalid_argument);
}

}  // namespace
}  // namespace qharness
