#pragma once
// The Hessian of a scalar function of a few variables (the calibration loss as a function of
// clipping values), by two methods, and the summary numbers the `hessian` task records.
//
// * exact_hessian: double backward. f builds a graph from x (a 1-D float64 tensor that
//   requires grad); the gradient is taken with create_graph, then each of its entries is
//   differentiated again (one backward per row). Through a fake quantizer this is the
//   straight-through Hessian: it sees the smooth dependence through the step size only.
// * fd_hessian: central finite differences with a relative step h_i = fd_step * |x_i|
//   (fd_step itself where x_i = 0). Evaluations are shared between the gradient, the diagonal
//   and the off-diagonal terms: f(x), f(x +- h_i e_i), f(x +- h_i e_i +- h_j e_j) for i < j,
//   that is 1 + 2n + 2n(n-1) = 2n^2 + 1 evaluations. On a quantized model it also sees the
//   rounding jumps, and it changes with the step.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace qharness {

struct HessianEstimate {
  std::size_t n = 0;
  std::vector<double> hessian;    // n x n, row-major, symmetrized
  std::vector<double> gradient;   // n
  double value = 0.0;             // f(x)
  std::int64_t evaluations = 0;   // forward evaluations of f
};

HessianEstimate exact_hessian(const std::function<at::Tensor(const at::Tensor& x)>& f, const std::vector<double>& x);
HessianEstimate fd_hessian(const std::function<double(const std::vector<double>&)>& f, const std::vector<double>& x,
                           double fd_step);

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
