// The Hessian machinery of the `hessian` and `landscape` tasks: exact (double backward) and
// finite-difference Hessians agree with a known Hessian on a smooth function, fd uses 2n^2+1
// evaluations, double backward goes through the uniform quantizer's straight-through clip
// path, and the recorded summaries (spectrum, coupling, curvature, nonseparability) are right
// on matrices and surfaces where they are known.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "tasks/clip_hessian.hpp"
#include "tasks/nonseparability.hpp"
#include "plugins/quantizers/uniform/uniform_quantizer.hpp"

namespace qharness {
namespace {

// f(x) = x0^2 x1 + 3 x1^2 + sin(x0 x2) + exp(x2 / 2), its gradient and Hessian.
template <class T, class Sin, class Exp>
T smooth(const T& x0, const T& x1, const T& x2, Sin sin_, Exp exp_) {
  return x0 * x0 * x1 + 3.0 * x1 * x1 + sin_(x0 * x2) + exp_(0.5 * x2);
}
const std::vector<double> kPoint = {0.7, 1.3, -0.4};

std::vector<double> known_hessian(const std::vector<double>& x) {
  const double a = x[0], b = x[1], c = x[2], s = std::sin(a * c), co = std::cos(a * c);
  const double h00 = 2 * b - c * c * s, h01 = 2 * a, h02 = co - a * c * s;
  const double h11 = 6, h12 = 0, h22 = -a * a * s + 0.25 * std::exp(0.5 * c);
  return {h00, h01, h02, h01, h11, h12, h02, h12, h22};
}

std::vector<double> known_gradient(const std::vector<double>& x) {
  const double a = x[0], b = x[1], c = x[2];
  return {2 * a * b + c * std::cos(a * c), a * a + 6 * b, a * std::cos(a * c) + 0.5 * std::exp(0.5 * c)};
}

HessianEstimate exact_on_smooth() {
  return exact_hessian(
      [](const at::Tensor& x) {
        return smooth(x[0], x[1], x[2], [](const at::Tensor& t) { return at::sin(t); },
                      [](const at::Tensor& t) { return at::exp(t); });
      },
      kPoint);
}

HessianEstimate fd_on_smooth(double step) {
  return fd_hessian(
      [](const std::vector<double>& x) {
        return smooth(x[0], x[1], x[2], [](double t) { return std::sin(t); }, [](double t) { return std::exp(t); });
      },
      kPoint, step);
}

TEST(ClipHessian, ExactByDoubleBackwardEqualsTheKnownHessian) {
  const HessianEstimate h = exact_on_smooth();
  const auto H = known_hessian(kPoint), g = known_gradient(kPoint);
  ASSERT_EQ(h.n, 3u);
  for (std::size_t k = 0; k < 9; ++k) EXPECT_NEAR(h.hessian[k], H[k], 1e-12) << k;
  for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(h.gradient[k], g[k], 1e-12) << k;
  EXPECT_EQ(h.evaluations, 1);
}

TEST(ClipHessian, FiniteDifferencesAgreeWithExactAndUseTwoNSquaredPlusOneEvaluations) {
  const HessianEstimate exact = exact_on_smooth();
  const HessianEstimate fd = fd_on_smooth(1e-3);
  EXPECT_EQ(fd.evaluations, 2 * 3 * 3 + 1);
  EXPECT_DOUBLE_EQ(fd.value, exact.value);
  for (std::size_t k = 0; k < 9; ++k) EXPECT_NEAR(fd.hessian[k], exact.hessian[k], 1e-4) << k;
  for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(fd.gradient[k], exact.gradient[k], 1e-5) << k;
  // Central differences: the error shrinks like the step squared.
  const HessianEstimate coarse = fd_on_smooth(1e-2);
  double err_fine = 0, err_coarse = 0;
  for (std::size_t k = 0; k < 9; ++k) {
    err_fine = std::max(err_fine, std::abs(fd.hessian[k] - exact.hessian[k]));
    err_coarse = std::max(err_coarse, std::abs(coarse.hessian[k] - exact.hessian[k]));
  }
  EXPECT_LT(err_fine, err_coarse / 20);
}

// L(c1, c2) = sum (Q_c2(w * Q_c1(x)) - t)^2 through two uniform quantizers. With the rounding
// straight-through, each output is linear in the clips (zero second derivative), so the
// exact Hessian is 2 J^T J with J = d out / d clips from first-order autograd.
TEST(ClipHessian, DoubleBackwardGoesThroughTheUniformQuantizersClipPath) {
  using plugins::uniform::UniformQuantizer;
  UniformQuantizer::Options o;
  o.bits = 3;
  UniformQuantizer q(o);
  at::Generator gen = at::detail::createCPUGenerator(0);
  const QuantTarget signed_t{TensorRole::Weight, true, 0}, unsigned_t{TensorRole::Activation, false, 1};
  const at::Tensor x = at::linspace(-1.3, 1.7, 16, at::kFloat);
  const at::Tensor w = at::linspace(0.5, 2.0, 16, at::kFloat);
  const at::Tensor t = at::linspace(0.0, 1.0, 16, at::kFloat);
  auto outputs = [&](const at::Tensor& c) {
    const at::Tensor h = q.quantize(x, c[0].to(at::kFloat), signed_t, gen);
    return q.quantize(at::relu(w * h).view({1, 16}), c[1].to(at::kFloat), unsigned_t, gen).view({16});
  };
  const std::vector<double> c0 = {1.1, 1.9};
  const HessianEstimate h = exact_hessian([&](const at::Tensor& c) { return (outputs(c) - t).pow(2).sum(); }, c0);

  at::AutoGradMode grad_on(true);
  const at::Tensor c = at::tensor(c0, at::kDouble).requires_grad_(true);
  const at::Tensor out = outputs(c);
  std::vector<double> expected(4, 0.0);
  for (std::int64_t k = 0; k < 16; ++k) {
    const at::Tensor j = torch::autograd::grad({out[k]}, {c}, {}, true, false, true)[0];
    const double j0 = j[0].item<double>(), j1 = j[1].item<double>();
    expected[0] += 2 * j0 * j0;
    expected[1] += 2 * j0 * j1;
    expected[2] += 2 * j1 * j0;
    expected[3] += 2 * j1 * j1;
  }
  for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(h.hessian[k], expected[k], 1e-5 * (1 + std::abs(expected[k]))) << k;
  EXPECT_GT(h.hessian[0], 0);
  EXPECT_GT(h.hessian[3], 0);
  EXPECT_NE(h.hessian[1], 0);   // the two clips are coupled through the second layer
}

TEST(ClipHessian, SummaryOfAKnownMatrix) {
  HessianEstimate h;
  h.n = 2;
  h.hessian = {2, 1, 1, 2};
  h.gradient = {1, 0};
  const HessianSummary s = summarize_hessian(h);
  ASSERT_EQ(s.eigenvalues.size(), 2u);
  EXPECT_NEAR(s.eigenvalues[0], 1, 1e-12);
  EXPECT_NEAR(s.eigenvalues[1], 3, 1e-12);
  EXPECT_NEAR(s.trace, 4, 1e-12);
  EXPECT_NEAR(s.top_eigenvalue, 3, 1e-12);
  EXPECT_NEAR(s.condition_number, 3, 1e-12);
  EXPECT_NEAR(s.offdiag_ratio, std::sqrt(2.0) / std::sqrt(8.0), 1e-12);
  EXPECT_NEAR(s.coupling, 0.5, 1e-12);
  ASSERT_EQ(s.gaussian_curvature.size(), 1u);
  EXPECT_NEAR(s.gaussian_curvature[0], 3.0 / 4.0, 1e-12);   // det 3 / (1 + 1)^2
  h.hessian = {2, 0, 0, 0};
  EXPECT_TRUE(std::isinf(summarize_hessian(h).condition_number));
  EXPECT_EQ(summarize_hessian(h).coupling, 0.0);
}

// A known quadratic c + g^T (x - x0) + (x - x0)^T H (x - x0) / 2 around clip-like values of
// different scales (0.05 to 8): the fit recovers H and g to rounding, r2 = 1.
TEST(ClipHessian, QuadfitRecoversAKnownQuadraticsHessian) {
  const std::vector<double> x0 = {0.05, 1.5, 8.0};
  const std::vector<double> H = {400.0, -3.0, 0.5, -3.0, 2.0, 0.25, 0.5, 0.25, 0.04};
  const std::vector<double> g = {1.0, -0.5, 0.02};
  const double c = 0.7;
  auto quadratic = [&](const std::vector<double>& x) {
    double f = c;
    for (std::size_t i = 0; i < 3; ++i) {
      const double di = x[i] - x0[i];
      f += g[i] * di;
      for (std::size_t j = 0; j < 3; ++j) f += 0.5 * di * H[i * 3 + j] * (x[j] - x0[j]);
    }
    return f;
  };
  const std::size_t samples = 2 * quadratic_coefficients(3);
  const HessianEstimate h = quadfit_hessian(quadratic, x0, 0.2, samples, 7);
  ASSERT_EQ(h.n, 3u);
  EXPECT_EQ(quadratic_coefficients(3), 10u);
  EXPECT_EQ(h.evaluations, static_cast<std::int64_t>(samples + 1));
  EXPECT_NEAR(h.value, c, 1e-14);
  for (std::size_t k = 0; k < 9; ++k) EXPECT_NEAR(h.hessian[k], H[k], 1e-8 * (1 + std::abs(H[k]))) << k;
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(h.gradient[i], g[i], 1e-9) << i;
  EXPECT_NEAR(h.fit_r2, 1.0, 1e-12);
  // Same seed, same points: same bits.
  EXPECT_EQ(quadfit_hessian(quadratic, x0, 0.2, samples, 7).hessian, h.hessian);
}

// On a function a quadratic does not explain (rounding steps), r2 says so; the fitted
// curvature is the neighbourhood's average, not the zero of every flat step.
TEST(ClipHessian, QuadfitOnAStaircaseReportsAnImperfectFit) {
  auto staircase = [](const std::vector<double>& x) {
    const double a = std::round(x[0] * 4.0) / 4.0, b = std::round(x[1] * 4.0) / 4.0;
    return a * a + b * b;
  };
  const HessianEstimate h = quadfit_hessian(staircase, {1.0, 2.0}, 0.3, 200, 1);
  EXPECT_LT(h.fit_r2, 0.999);
  EXPECT_GT(h.fit_r2, 0.5);
  EXPECT_NEAR(h.hessian[0], 2.0, 1.0);   // the smooth part's curvature, 2
  EXPECT_NEAR(h.hessian[3], 2.0, 1.0);
}

TEST(ClipHessian, QuadfitRefusesTooFewSamplesAndABadRadius) {
  auto f = [](const std::vector<double>& x) { return x[0] * x[1]; };
  EXPECT_THROW(quadfit_hessian(f, {1.0, 1.0}, 0.1, quadratic_coefficients(2) - 1, 0), std::invalid_argument);
  EXPECT_THROW(quadfit_hessian(f, {1.0, 1.0}, 1.0, 100, 0), std::invalid_argument);
  EXPECT_THROW(quadfit_hessian(f, {1.0, 1.0}, 0.0, 100, 0), std::invalid_argument);
}

// Relative coordinates: H_ij x_i x_j and g_i x_i. Rescaling a variable (x_i -> s x_i, so
// H_ii -> H_ii / s^2) leaves them unchanged, and the summary with them.
TEST(ClipHessian, RelativeHessianIsScaleFree) {
  HessianEstimate h;
  h.n = 2;
  h.hessian = {2, 1, 1, 2};
  h.gradient = {1, 3};
  const HessianEstimate r = relative_hessian(h, {0.5, 4.0});
  EXPECT_EQ(r.hessian, (std::vector<double>{0.5, 2.0, 2.0, 32.0}));
  EXPECT_EQ(r.gradient, (std::vector<double>{0.5, 12.0}));
  HessianEstimate scaled = h;   // variable 1 measured in units 10x smaller: x1 -> 10 x1
  scaled.hessian = {2, 0.1, 0.1, 0.02};
  scaled.gradient = {1, 0.3};
  const HessianEstimate rs = relative_hessian(scaled, {0.5, 40.0});
  for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(rs.hessian[k], r.hessian[k], 1e-12) << k;
  const HessianSummary a = summarize_hessian(r), b = summarize_hessian(rs);
  EXPECT_NEAR(a.top_eigenvalue, b.top_eigenvalue, 1e-10);
  EXPECT_NEAR(a.condition_number, b.condition_number, 1e-8);
  EXPECT_NEAR(a.offdiag_ratio, b.offdiag_ratio, 1e-12);
  // ... whereas the raw H's condition number changes with the units; coupling does not.
  EXPECT_GT(std::abs(summarize_hessian(h).condition_number - summarize_hessian(scaled).condition_number), 1.0);
  EXPECT_NEAR(summarize_hessian(h).coupling, summarize_hessian(scaled).coupling, 1e-12);
}

TEST(Nonseparability, ZeroForAdditiveSurfacesOneForPureInteraction) {
  const std::size_t n = 7;
  std::vector<double> additive, interaction, mixed, flat(n * n, 2.5);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double a = static_cast<double>(i) - 3, b = static_cast<double>(j) - 3;
      additive.push_back(a * a + std::exp(0.3 * b));
      interaction.push_back(a * b);
      mixed.push_back(a * a + b * b + a * b);
    }
  EXPECT_NEAR(nonseparability(additive, n, n), 0.0, 1e-12);
  EXPECT_NEAR(nonseparability(interaction, n, n), 1.0, 1e-12);
  const double m = nonseparability(mixed, n, n);
  EXPECT_GT(m, 0.05);
  EXPECT_LT(m, 0.95);
  EXPECT_EQ(nonseparability(flat, n, n), 0.0);
  EXPECT_THROW(nonseparability(flat, n, n + 1), std::invalid_argument);
}

// The smooth share of the interaction: all of it for a*b (and a^2 b^3, inside the basis), none
// of it for a checkerboard of rounding-like jumps added to an additive surface, although both
// have a large nonseparability.
TEST(Nonseparability, SmoothInteractionSeparatesCouplingFromRoughness) {
  const std::size_t n = 9;
  std::vector<double> axis(n), bilinear, cubic, rough;
  for (std::size_t i = 0; i < n; ++i) axis[i] = 0.5 + 0.125 * static_cast<double>(i);   // clips 0.5..1.5
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double a = axis[i], b = axis[j];
      bilinear.push_back(a * b + a * a);
      cubic.push_back(a * a * b * b * b);
      rough.push_back(0.1 * (a + b) + ((i + j) % 2 == 0 ? 0.1 : -0.1));
    }
  EXPECT_GT(nonseparability(bilinear, n, n), 0.01);
  EXPECT_NEAR(smooth_interaction(bilinear, axis, axis), nonseparability(bilinear, n, n), 1e-12);
  EXPECT_NEAR(smooth_interaction(cubic, axis, axis), nonseparability(cubic, n, n), 1e-12);
  EXPECT_GT(nonseparability(rough, n, n), 0.3);
  EXPECT_LT(smooth_interaction(rough, axis, axis), 0.01 * nonseparability(rough, n, n));
  // A rectangular block of rows (a surface split across trials) works the same way.
  const std::vector<double> rows(axis.begin(), axis.begin() + 4);
  const std::vector<double> block(bilinear.begin(), bilinear.begin() + 4 * n);
  EXPECT_NEAR(smooth_interaction(block, rows, axis), nonseparability(block, 4, n), 1e-12);
  EXPECT_THROW(smooth_interaction(block, axis, axis), std::invalid_argument);
}

}  // namespace
}  // namespace qharness
