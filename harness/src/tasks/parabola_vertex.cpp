#include "tasks/parabola_vertex.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace qharness {

ParabolaFit fit_parabola(const std::vector<double>& p, const std::vector<double>& loss) {
  if (p.size() != loss.size())
    throw std::invalid_argument("parabola fit: " + std::to_string(p.size()) + " p values but " +
                                std::to_string(loss.size()) + " losses");
  if (p.size() < 3) throw std::invalid_argument("parabola fit: needs at least 3 points, got " + std::to_string(p.size()));
  // Normal equations in the centered, scaled variable t = (p - m) / s, which keeps them well
  // conditioned on narrow grids; solved by Gaussian elimination with partial pivoting.
  const std::size_t n = p.size();
  const auto [lo, hi] = std::minmax_element(p.begin(), p.end());
  const double m = 0.5 * (*lo + *hi), s = *hi > *lo ? 0.5 * (*hi - *lo) : 1.0;
  double M[3][4] = {};
  for (std::size_t i = 0; i < n; ++i) {
    const double t = (p[i] - m) / s;
    const double row[3] = {t * t, t, 1.0};
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) M[r][c] += row[r] * row[c];
      M[r][3] += row[r] * loss[i];
    }
  }
  for (int k = 0; k < 3; ++k) {
    int piv = k;
    for (int r = k + 1; r < 3; ++r)
      if (std::abs(M[r][k]) > std::abs(M[piv][k])) piv = r;
    std::swap(M[k], M[piv]);
    if (std::abs(M[k][k]) < 1e-300) throw std::invalid_argument("parabola fit: the p values need at least 3 distinct points");
    for (int r = 0; r < 3; ++r) {
      if (r == k) continue;
      const double f = M[r][k] / M[k][k];
      for (int c = k; c < 4; ++c) M[r][c] -= f * M[k][c];
    }
  }
  const double A = M[0][3] / M[0][0], B = M[1][3] / M[1][1], C = M[2][3] / M[2][2];
  // Back to p: A t^2 + B t + C with t = (p - m) / s.
  ParabolaFit f;
  f.a = A / (s * s);
  f.b = B / s - 2 * A * m / (s * s);
  f.c = A * m * m / (s * s) - B * m / s + C;
  f.convex = std::isfinite(f.a) && std::isfinite(f.b) && f.a > 0;
  return f;
}

double parabola_vertex_p(const std::vector<double>& p, const std::vector<double>& loss) {
  if (p.empty() || p.size() != loss.size())
    throw std::invalid_argument("p* rule: needs as many losses as p values, and at least one");
  const auto best = std::min_element(loss.begin(), loss.end()) - loss.begin();
  if (p.size() < 3) return p[best];
  ParabolaFit f;
  try {
    f = fit_parabola(p, loss);
  } catch (const std::invalid_argument&) {
    return p[best];   // fewer than 3 distinct p values: no parabola
  }
  if (!f.convex) return p[best];
  const auto [lo, hi] = std::minmax_element(p.begin(), p.end());
  return std::clamp(-f.b / (2 * f.a), *lo, *hi);
}

std::vector<double> linspace(double start, double stop, long count) {
  if (count < 1) throw std::invalid_argument("linspace: count must be >= 1, got " + std::to_string(count));
  if (count == 1) return {start};
  std::vector<double> out(static_cast<std::size_t>(count));
  for (long i = 0; i < count; ++i) out[i] = start + (stop - start) * double(i) / double(count - 1);
  return out;
}

}  // namespace qharness
