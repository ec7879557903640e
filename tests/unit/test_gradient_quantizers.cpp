// The neural-gradient quantizers of LUQ and its ablations, and the shift-and-add product.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "plugins/quantizers/luq/gradient_quantizer.hpp"
#include "plugins/quantizers/luq/shift_add_matmul.hpp"

namespace qharness::gradquant {
namespace {

Options opts(Format f, int bits = 4, int samples = 1) { return Options{f, bits, samples}; }

// Test values: one in every binade of the 4-bit code book [alpha/64, alpha], a few exactly on
// it, and some in the underflow range below alpha/64.
std::vector<float> probe_values() {
  return {0.9f, 0.7f, 0.3f, 0.2f, 0.1f, 0.06f, 0.03f, 0.02f, 0.0156f, 0.5f, 0.125f,
          0.01f, 0.005f, 0.001f, -0.4f, -0.012f};
}

TEST(GradientQuantizers, CodeBookIsATrue4BitCodeBook) {
  auto book = codebook(opts(Format::Luq), 1.0);
  EXPECT_EQ(book.size(), 15u);  // 0 and +-2^-k, k = 0..6
  EXPECT_DOUBLE_EQ(book.back(), 1.0);
  EXPECT_DOUBLE_EQ(underflow_threshold(opts(Format::Luq), 1.0), 1.0 / 64);
  EXPECT_EQ(codebook(opts(Format::Int4Sr), 1.0).size(), 15u);
  EXPECT_EQ(codebook(opts(Format::Luq, 3), 1.0).size(), 7u);  // 0 and +-{1, 1/2, 1/4}
}

TEST(GradientQuantizers, LuqIsUnbiasedInEveryBinadeAndInTheUnderflowRange) {
  const auto values = probe_values();
  const std::int64_t n = 10000, v = static_cast<std::int64_t>(values.size());
  at::Tensor x = at::tensor(values).repeat({n, 1});  // [n, v]
  at::Tensor q = quantize(x, 1.0, opts(Format::Luq), 1234).to(at::kDouble);
  at::Tensor mean = q.mean(0), se = q.std(0) / std::sqrt(double(n));
  for (std::int64_t j = 0; j < v; ++j) {
    const double target = values[j], m = mean[j].item<double>(), s = se[j].item<double>();
    EXPECT_LE(std::abs(m - target), 3 * s + 1e-7) << "value " << target << ": mean " << m << " se " << s;
  }
}

TEST(GradientQuantizers, Int4SrIsUnbiasedAndFp4SrIsBiasedBelowTheThreshold) {
  const std::int64_t n = 10000;
  at::Tensor x = at::tensor(std::vector<float>{0.33f, 0.05f, 0.01f, 0.002f}).repeat({n, 1});
  at::Tensor q = quantize(x, 1.0, opts(Format::Int4Sr), 5).to(at::kDouble);
  at::Tensor mean = q.mean(0), se = q.std(0) / std::sqrt(double(n));
  for (int j = 0; j < 4; ++j)
    EXPECT_LE(std::abs(mean[j].item<double>() - x[0][j].item<double>()), 3 * se[j].item<double>() + 1e-7);
  at::Tensor sr = quantize(x, 1.0, opts(Format::Fp4Sr), 5);
  EXPECT_EQ(sr.select(1, 2).abs().sum().item<double>(), 0.0);  // 0.01 < 1/64: flushed
  EXPECT_EQ(sr.select(1, 3).abs().sum().item<double>(), 0.0);
}

TEST(GradientQuantizers, EveryOutputLiesOnTheCodeBook) {
  at::Tensor g = at::randn({4096}, at::TensorOptions().dtype(at::kFloat)).pow(3);  // heavy tails
  const double alpha = g.abs().max().item<double>();
  for (Format f : {Format::Luq, Format::Fp4Rdn, Format::Fp4Sr, Format::Int4Sr}) {
    for (int bits : {3, 4}) {
      auto book = codebook(opts(f, bits), alpha);
      std::set<float> allowed(book.begin(), book.end());
      at::Tensor q = quantize(g, alpha, opts(f, bits), 99).contiguous();
      const float* p = q.data_ptr<float>();
      for (std::int64_t i = 0; i < q.numel(); ++i)
        ASSERT_TRUE(allowed.count(p[i])) << "format " << int(f) << " bits " << bits << ": " << p[i];
    }
  }
}

TEST(GradientQuantizers, Fp4RdnBiasMatchesTheory) {
  // x log-uniform over a binade [lo, 2 lo): E[x] = lo / ln 2. Nearest rounding sends
  // x < 1.5 lo (a share log2(1.5) of the binade) to lo and the rest to 2 lo, so
  // E[q] = lo (log2(1.5) + 2 (1 - log2(1.5))) and the relative bias is E[q] ln 2 / lo - 1.
  const double lo = 0.125, l15 = std::log2(1.5);
  const double theory = (l15 + 2 * (1 - l15)) * std::log(2.0) - 1;  // -1.92 %
  at::Tensor u = at::rand({1 << 20}, at::TensorOptions().dtype(at::kDouble));
  at::Tensor x = (lo * at::pow(2.0, u)).to(at::kFloat);
  at::Tensor q = quantize(x, 1.0, opts(Format::Fp4Rdn), 0).to(at::kDouble);
  const double measured = q.mean().item<double>() / x.to(at::kDouble).mean().item<double>() - 1;
  EXPECT_NEAR(measured, theory, 1e-3) << "theory " << theory;
  EXPECT_LT(measured, -0.015);
  // LUQ on the same data: no bias.
  at::Tensor ql = quantize(x, 1.0, opts(Format::Luq), 0).to(at::kDouble);
  EXPECT_NEAR(ql.mean().item<double>() / x.to(at::kDouble).mean().item<double>() - 1, 0.0, 1e-3);
}

TEST(GradientQuantizers, SmpAveragingCutsTheVariance) {
  at::Tensor x = at::full({200000}, 0.3f);
  const double v1 = quantize(x, 1.0, opts(Format::Luq, 4, 1), 3).to(at::kDouble).var().item<double>();
  const double v4 = quantize(x, 1.0, opts(Format::Luq, 4, 4), 3).to(at::kDouble).var().item<double>();
  EXPECT_NEAR(v4 / v1, 0.25, 0.02);
}

TEST(GradientQuantizers, ZeroAndAllNegativeTensors) {
  at::Tensor z = at::zeros({100});
  EXPECT_TRUE(quantize(z, 0.0, opts(Format::Luq), 1).equal(z));
  at::Tensor neg = -at::rand({50000}) - 0.001;
  const double alpha = neg.abs().max().item<double>();
  at::Tensor q = quantize(neg, alpha, opts(Format::Luq), 8);
  EXPECT_LE(q.max().item<double>(), 0.0);
  EXPECT_NEAR(q.to(at::kDouble).mean().item<double>(), neg.to(at::kDouble).mean().item<double>(), 5e-3);
}

TEST(GradientQuantizers, ScaleIsMaxAbsInOnePassAndANaNSticks) {
  at::Tensor g = at::randn({100003});
  g[4321] = -7.5f;
  EXPECT_EQ(max_abs(g), 7.5);
  EXPECT_EQ(max_abs(g), g.abs().max().item<double>());
  g[99999] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(max_abs(g)));
  g[0] = std::numeric_limits<float>::quiet_NaN();  // first element: the reduction's start
  EXPECT_TRUE(std::isnan(max_abs(g)));
}

TEST(GradientQuantizers, SameSeedSameResultForAnyThreadCount) {
  at::Tensor g = at::randn({100000});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  at::Tensor a = quantize(g, 2.0, opts(Format::Luq, 4, 2), 77);
  at::set_num_threads(2);
  at::Tensor b = quantize(g, 2.0, opts(Format::Luq, 4, 2), 77);
  at::set_num_threads(threads);
  EXPECT_TRUE(a.equal(b));
  EXPECT_FALSE(a.equal(quantize(g, 2.0, opts(Format::Luq, 4, 2), 78)));
}

TEST(ShiftAddMatmul, EqualsTheFloatProductOfTheQuantizedTensorsExactly) {
  at::manual_seed(0);
  at::Tensor a = at::randint(-8, 8, {33, 70}, at::kChar);
  at::Tensor g = at::randn({70, 45});
  const double alpha = g.abs().max().item<double>();
  Fp4Tensor b = encode_fp4(quantize(g, alpha, opts(Format::Luq), 11), alpha);
  at::Tensor b_values = decode_fp4(b);
  // Unscaled: integers times powers of two, summed exactly by float32 GEMM at this size.
  at::Tensor acc = shift_add_matmul_accumulator(a, b);
  at::Tensor reference = at::matmul(a.to(at::kFloat), b_values / static_cast<float>(alpha)) * std::ldexp(1.0, b.levels);
  EXPECT_TRUE(acc.to(at::kFloat).equal(reference));
  // Scaled: the product of the real values.
  at::Tensor real = at::matmul(a.to(at::kDouble) * 0.05, b_values.to(at::kDouble));
  EXPECT_TRUE(at::allclose(shift_add_matmul(a, 0.05, b), real, 1e-12, 1e-12));
  EXPECT_THROW(encode_fp4(at::tensor({0.3f}), 1.0), std::invalid_argument);  // not on the code book
}

}  // namespace
}  // namespace qharness::gradquant
