#include "tasks/nonseparability.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

namespace qharness {

double nonseparability(const std::vector<double>& L, std::size_t rows, std::size_t cols) {
  if (rows == 0 || cols == 0 || L.size() != rows * cols)
    throw std::invalid_argument("nonseparability: the surface must hold rows x cols values");
  // Sums first, one division each: a constant surface gives exact means.
  std::vector<double> r(rows, 0.0), c(cols, 0.0);
  double m = 0, square_sum = 0;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      const double v = L[i * cols + j];
      r[i] += v;
      c[j] += v;
      m += v;
      square_sum += v * v;
    }
  for (auto& v : r) v /= static_cast<double>(cols);
  for (auto& v : c) v /= static_cast<double>(rows);
  m /= static_cast<double>(rows * cols);
  double total = 0, residual = 0;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      const double v = L[i * cols + j];
      total += (v - m) * (v - m);
      const double e = v - r[i] - c[j] + m;
      residual += e * e;
    }
  // Variation at the level of rounding error is no variation.
  return total > 1e-24 * square_sum ? residual / total : 0.0;
}

namespace {

// Centred powers t^k - mean(t^k), k = 1..3, of the axis scaled to t in [-1, 1]: [3, n].
at::Tensor centred_powers(const std::vector<double>& axis) {
  const auto [lo, hi] = std::minmax_element(axis.begin(), axis.end());
  const double mid = 0.5 * (*lo + *hi), half = 0.5 * (*hi - *lo);
  const at::Tensor t = (at::tensor(axis, at::kDouble) - mid) / half;
  at::Tensor p = at::stack({t, t * t, t * t * t});
  return p - p.mean(1, /*keepdim=*/true);
}

}  // namespace

double smooth_interaction(const std::vector<double>& L, const std::vector<double>& axis_a,
                          const std::vector<double>& axis_b) {
  const std::size_t rows = axis_a.size(), cols = axis_b.size();
  if (rows == 0 || cols == 0 || L.size() != rows * cols)
    throw std::invalid_argument("smooth_interaction: the surface must hold axis_a x axis_b values");
  const auto distinct = [](const std::vector<double>& v) {
    return *std::max_element(v.begin(), v.end()) > *std::min_element(v.begin(), v.end());
  };
  if (!distinct(axis_a) || !distinct(axis_b)) return 0.0;
  const auto R = static_cast<std::int64_t>(rows), C = static_cast<std::int64_t>(cols);
  const at::Tensor surface = at::tensor(L, at::kDouble).reshape({R, C});
  const at::Tensor centred = surface - surface.mean();
  const double total = centred.pow(2).sum().item<double>();
  const double square_sum = surface.pow(2).sum().item<double>();
  if (!(total > 1e-24 * square_sum)) return 0.0;   // as nonseparability: a constant surface
  const at::Tensor interaction = centred - centred.mean(1, true) - centred.mean(0, true);
  // Each basis surface p_k(a) q_l(b)^T is centred along both axes, like the interaction.
  const at::Tensor pa = centred_powers(axis_a), pb = centred_powers(axis_b);
  const at::Tensor basis = (pa.unsqueeze(1).unsqueeze(3) * pb.unsqueeze(0).unsqueeze(2)).reshape({9, R * C}).t();
  const at::Tensor coef = std::get<0>(at::linalg_lstsq(basis, interaction.reshape({R * C, 1}), c10::nullopt,
                                                       c10::string_view("gelsd")));
  return basis.matmul(coef).pow(2).sum().item<double>() / total;
}

}  // namespace qharness
