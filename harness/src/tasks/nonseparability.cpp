#include "tasks/nonseparability.hpp"

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

}  // namespace qharness
