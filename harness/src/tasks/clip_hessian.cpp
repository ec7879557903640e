#include "tasks/clip_hessian.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "data/portable_random.hpp"

namespace qharness {
namespace {

void symmetrize(HessianEstimate& h) {
  for (std::size_t i = 0; i < h.n; ++i)
    for (std::size_t j = i + 1; j < h.n; ++j) {
      const double m = 0.5 * (h.hessian[i * h.n + j] + h.hessian[j * h.n + i]);
      h.hessian[i * h.n + j] = h.hessian[j * h.n + i] = m;
    }
}

}  // namespace

HessianEstimate exact_hessian(const std::function<at::Tensor(const at::Tensor& x)>& f, const std::vector<double>& x0) {
  HessianEstimate h;
  h.n = x0.size();
  h.hessian.assign(h.n * h.n, 0.0);
  h.gradient.assign(h.n, 0.0);
  at::AutoGradMode grad_on(true);
  const at::Tensor x = at::tensor(x0, at::kDouble).requires_grad_(true);
  const at::Tensor y = f(x);
  if (y.numel() != 1) throw std::logic_error("exact_hessian: f must return a scalar");
  h.value = y.item<double>();
  h.evaluations = 1;
  if (!y.requires_grad()) return h;   // f does not depend on x: all zero
  const at::Tensor g = torch::autograd::grad({y}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true,
                                             /*allow_unused=*/true)[0];
  if (!g.defined()) return h;
  const at::Tensor gd = g.detach().to(at::kDouble).contiguous();
  for (std::size_t i = 0; i < h.n; ++i) h.gradient[i] = gd[static_cast<std::int64_t>(i)].item<double>();
  if (!g.requires_grad()) return h;   // f is linear in x: zero Hessian
  for (std::size_t i = 0; i < h.n; ++i) {
    const at::Tensor row = torch::autograd::grad({g[static_cast<std::int64_t>(i)]}, {x}, {}, /*retain_graph=*/true,
                                                 /*create_graph=*/false, /*allow_unused=*/true)[0];
    if (!row.defined()) continue;
    const at::Tensor r = row.to(at::kDouble).contiguous();
    for (std::size_t j = 0; j < h.n; ++j) h.hessian[i * h.n + j] = r[static_cast<std::int64_t>(j)].item<double>();
  }
  symmetrize(h);
  return h;
}

HessianEstimate fd_hessian(const std::function<double(const std::vector<double>&)>& f, const std::vector<double>& x0,
                           double fd_step) {
  if (!(fd_step > 0)) throw std::invalid_argument("fd_step must be > 0");
  HessianEstimate h;
  const std::size_t n = h.n = x0.size();
  h.hessian.assign(n * n, 0.0);
  h.gradient.assign(n, 0.0);
  std::vector<double> step(n);
  for (std::size_t i = 0; i < n; ++i) step[i] = x0[i] != 0 ? fd_step * std::abs(x0[i]) : fd_step;
  // f at x + si h_i e_i + sj h_j e_j.
  auto at_offset = [&](std::size_t i, double si, std::size_t j, double sj) {
    std::vector<double> x = x0;
    x[i] += si * step[i];
    if (j < n) x[j] += sj * step[j];
    ++h.evaluations;
    return f(x);
  };
  h.value = f(x0);
  ++h.evaluations;
  std::vector<double> plus(n), minus(n);
  for (std::size_t i = 0; i < n; ++i) {
    plus[i] = at_offset(i, +1, n, 0);
    minus[i] = at_offset(i, -1, n, 0);
    h.gradient[i] = (plus[i] - minus[i]) / (2 * step[i]);
    h.hessian[i * n + i] = (plus[i] - 2 * h.value + minus[i]) / (step[i] * step[i]);
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double pp = at_offset(i, +1, j, +1), pm = at_offset(i, +1, j, -1);
      const double mp = at_offset(i, -1, j, +1), mm = at_offset(i, -1, j, -1);
      h.hessian[i * n + j] = h.hessian[j * n + i] = (pp - pm - mp + mm) / (4 * step[i] * step[j]);
    }
  return h;
}

std::size_t quadratic_coefficients(std::size_t n) { return 1 + n + n * (n + 1) / 2; }

HessianEstimate quadfit_hessian(const std::function<double(const std::vector<double>&)>& f, const std::vector<double>& x0,
                                double radius, std::size_t samples, std::uint64_t seed) {
  const std::size_t n = x0.size();
  const std::size_t p = quadratic_coefficients(n);
  if (!(radius > 0 && radius < 1)) throw std::invalid_argument("quadfit: radius must be in (0, 1)");
  if (samples < p)
    throw std::invalid_argument("quadfit: " + std::to_string(samples) + " samples for " + std::to_string(p) +
                                " coefficients of a quadratic in " + std::to_string(n) +
                                " variables; set samples >= " + std::to_string(p));
  // Half-width of the box per variable; the fit runs in u = d / scale in [-1, 1]^n, where
  // every coefficient has the same order of magnitude (a well-conditioned design).
  std::vector<double> scale(n);
  for (std::size_t i = 0; i < n; ++i) scale[i] = radius * (x0[i] != 0 ? std::abs(x0[i]) : 1.0);
  const std::size_t rows = samples + 1;   // the random points and x0 itself (u = 0)
  std::vector<double> design(rows * p, 0.0), y(rows, 0.0);
  PortableRandom rng(seed);
  HessianEstimate h;
  h.n = n;
  std::vector<double> u(n, 0.0), x(n);
  for (std::size_t r = 0; r < rows; ++r) {
    if (r > 0)
      for (double& v : u) v = 2.0 * rng.uniform() - 1.0;
    for (std::size_t i = 0; i < n; ++i) x[i] = x0[i] + scale[i] * u[i];
    y[r] = f(x);
    ++h.evaluations;
    if (r == 0) h.value = y[0];
    // Columns: 1, u_i, then u_i u_j for i <= j (row-major upper triangle).
    double* row = &design[r * p];
    std::size_t c = 0;
    row[c++] = 1.0;
    for (std::size_t i = 0; i < n; ++i) row[c++] = u[i];
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i; j < n; ++j) row[c++] = u[i] * u[j];
  }
  const auto R = static_cast<std::int64_t>(rows), P = static_cast<std::int64_t>(p);
  const at::Tensor A = at::tensor(design, at::kDouble).reshape({R, P});
  const at::Tensor b = at::tensor(y, at::kDouble).reshape({R, 1});
  // gelsd (SVD): the minimum-norm solution even if the random design were rank-deficient.
  const at::Tensor coef = std::get<0>(at::linalg_lstsq(A, b, c10::nullopt, std::string("gelsd"))).reshape({P}).contiguous();
  const double* q = coef.data_ptr<double>();
  h.gradient.assign(n, 0.0);
  h.hessian.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) h.gradient[i] = q[1 + i] / scale[i];
  std::size_t c = 1 + n;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i; j < n; ++j, ++c) {
      // d^2/du_i^2 of q u_i^2 is 2q; d^2/du_i du_j of q u_i u_j is q.
      const double second = (i == j ? 2.0 : 1.0) * q[c] / (scale[i] * scale[j]);
      h.hessian[i * n + j] = h.hessian[j * n + i] = second;
    }
  const at::Tensor residual = A.matmul(coef.reshape({P, 1})) - b;
  const double ss_res = residual.pow(2).sum().item<double>();
  const double ss_tot = (b - b.mean()).pow(2).sum().item<double>();
  h.fit_r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  return h;
}

HessianEstimate relative_hessian(const HessianEstimate& h, const std::vector<double>& x) {
  if (x.size() != h.n) throw std::logic_error("relative_hessian: the point has the wrong size");
  HessianEstimate r = h;
  for (std::size_t i = 0; i < h.n; ++i) {
    r.gradient[i] = h.gradient[i] * x[i];
    for (std::size_t j = 0; j < h.n; ++j) r.hessian[i * h.n + j] = h.hessian[i * h.n + j] * x[i] * x[j];
  }
  return r;
}

HessianSummary summarize_hessian(const HessianEstimate& h) {
  const std::size_t n = h.n;
  HessianSummary s;
  if (n == 0) return s;
  const at::Tensor H = at::tensor(h.hessian, at::kDouble).reshape({static_cast<std::int64_t>(n), static_cast<std::int64_t>(n)});
  const at::Tensor ev = at::linalg_eigvalsh(H).contiguous();
  s.eigenvalues.assign(ev.data_ptr<double>(), ev.data_ptr<double>() + n);
  s.top_eigenvalue = s.eigenvalues.back();
  double max_abs = 0, min_abs = std::numeric_limits<double>::infinity();
  for (double l : s.eigenvalues) {
    max_abs = std::max(max_abs, std::abs(l));
    min_abs = std::min(min_abs, std::abs(l));
  }
  s.condition_number = min_abs > 0 ? max_abs / min_abs : std::numeric_limits<double>::infinity();
  auto at_ij = [&](std::size_t i, std::size_t j) { return h.hessian[i * n + j]; };
  double diag2 = 0, off2 = 0, coupling_sum = 0;
  std::size_t pairs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    s.trace += at_ij(i, i);
    diag2 += at_ij(i, i) * at_ij(i, i);
    for (std::size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      off2 += at_ij(i, j) * at_ij(i, j);
      const double d = std::sqrt(std::abs(at_ij(i, i) * at_ij(j, j)));
      if (d > 0) {
        coupling_sum += std::abs(at_ij(i, j)) / d;
        ++pairs;
      }
    }
  }
  s.offdiag_ratio = diag2 > 0 ? std::sqrt(off2 / diag2) : (off2 > 0 ? std::numeric_limits<double>::infinity() : 0.0);
  s.coupling = pairs ? coupling_sum / static_cast<double>(pairs) : 0.0;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const double det = at_ij(i, i) * at_ij(i + 1, i + 1) - at_ij(i, i + 1) * at_ij(i + 1, i);
    const double g2 = h.gradient[i] * h.gradient[i] + h.gradient[i + 1] * h.gradient[i + 1];
    s.gaussian_curvature.push_back(det / ((1 + g2) * (1 + g2)));
  }
  return s;
}

}  // namespace qharness
