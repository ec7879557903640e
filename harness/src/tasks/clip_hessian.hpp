#pragma once
// The Hessian of a scalar function of a few variables (the calibration loss as a function of
// clipping values), by two methods, and the summary numbers the `hessian` task records.
//
// * exact_hessian: double backward. f builds a graph from x (a 1-D float64 tensor that
//   requires grad); the gradient is taken with create_graph, then each of its entries is
//   differentiated again (one backward per row). Through a fake quantizer this is the
//   straight-through Hessian: it sees the smooth dependence through the step size only.
//   Over activation clips, d^2 q / da^2 = 0 inside the clipping range, so this is a
//   Gauss-Newton matrix J^T H_CE J: positive semidefinite, and scaled by the grid (the
//   clip's straight-through derivative is about x/a - round(x/a * qmax)/qmax).
// * fd_hessian: central finite differences with a relative step h_i = fd_step * |x_i|
//   (fd_step itself where x_i = 0). Evaluations are shared between the gradient, the diagonal
//   and the off-diagonal terms: f(x), f(x +- h_i e_i), f(x +- h_i e_i +- h_j e_j) for i < j,
//   that is 1 + 2n + 2n(n-1) = 2n^2 + 1 evaluations. On a quantized model it also sees the
//   rounding jumps, and it changes with the step.
// * quadfit_hessian: the Hessian of the full quadratic c + g^T d + d^T H d / 2 fitted by least
//   squares to f(x + d) at `samples` random points, d_i = radius * |x_i| * u_i with u uniform
//   in [-1, 1]^n (seeded), plus x itself: samples + 1 evaluations of f alone (no straight-
//   through estimator, no derivative). It averages the rounding jumps over a neighbourhood of
//   relative size `radius` instead of resolving them; fit_r2 says how much of f's variation
//   there a quadratic explains.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace qharness {

struct HessianEstimate {
  std::size_t n = 0;
  std::vector<double> hessian;    // n x n, row-major, symmetrized
  std::vector<double> gradient;   // n
  double value = 0.0;             // f(x)
  std::int64_t evaluations = 0;   // forward evaluations of f
  // quadfit: the coefficient of determination of the fit, 1 - SS_res / SS_tot over the sampled
  // values (1 when f is constant there); NaN for the other methods.
  double fit_r2 = std::numeric_limits<double>::quiet_NaN();
};

HessianEstimate exact_hessian(const std::function<at::Tensor(const at::Tensor& x)>& f, const std::vector<double>& x);
HessianEstimate fd_hessian(const std::function<double(const std::vector<double>&)>& f, const std::vector<double>& x,
                           double fd_step);

// The number of coefficients of a full quadratic in n variables: 1 + n + n(n + 1)/2; quadfit
// needs at least this many samples.
std::size_t quadratic_coefficients(std::size_t n);
// Throws std::invalid_argument when radius is not in (0, 1) or samples < quadratic_coefficients(n)
// (radius < 1 keeps every clip of the same sign as x_i, so clips stay > 0).
HessianEstimate quadfit_hessian(const std::function<double(const std::vector<double>&)>& f,
                                const std::vector<double>& x, double radius, std::size_t samples,
                                std::uint64_t seed);

// The Hessian and gradient in relative (log-clip) coordinates u_i = log x_i, without the
// first-order term: H_ij x_i x_j and g_i x_i. A relative change of every clip is what the
// scale-free metrics compare: unlike H itself they do not change when a clip's scale does
// (a layer with activations ten times larger has a Hessian a hundred times smaller in its
// clip). The exact second derivative in u adds diag(g_i x_i), which vanishes at a stationary
// point; it is left out so that the matrix is H's congruent image and keeps its inertia.
HessianEstimate relative_hessian(const HessianEstimate& h, const std::vector<double>& x);

// What the hessian task records about a Hessian H with gradient g.
struct HessianSummary {
  std::vector<double> eigenvalues;   // ascending
  double trace = 0.0;
  double top_eigenvalue = 0.0;       // the largest (algebraic) eigenvalue
  double condition_number = 0.0;     // max|lambda| / min|lambda| (+inf when singular)
  double offdiag_ratio = 0.0;        // ||offdiag(H)||_F / ||diag(H)||_2 (0 when n = 1)
  double coupling = 0.0;             // mean over i != j of |H_ij| / sqrt(|H_ii H_jj|), pairs with a
                                     // zero diagonal left out (0 when no pair is left)
  // For each adjacent pair (i, i+1): the Gaussian curvature of the graph of f restricted to
  // those two variables, det(H2) / (1 + ||g2||^2)^2.
  std::vector<double> gaussian_curvature;
};

HessianSummary summarize_hessian(const HessianEstimate& h);

}  // namespace qharness
