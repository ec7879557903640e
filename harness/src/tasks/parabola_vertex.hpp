#pragma once
// LAPQ's p* rule (Nahshan et al., section 4): fit loss(p) ~ a p^2 + b p + c by least squares
// over the p grid and take the vertex -b / (2a), clamped to the grid's range. When the fit is
// not convex (a <= 0, or fewer than three points) the vertex is a maximum or undefined, so the
// grid point with the lowest loss is taken instead.
#include <vector>

namespace qharness {

struct ParabolaFit {
  double a = 0, b = 0, c = 0;   // loss(p) ~ a p^2 + b p + c
  bool convex = false;          // a > 0
};

// Least-squares fit; throws std::invalid_argument when the sizes differ or fewer than 3 points.
ParabolaFit fit_parabola(const std::vector<double>& p, const std::vector<double>& loss);

// p* as described above. Throws std::invalid_argument on empty or mismatched input.
double parabola_vertex_p(const std::vector<double>& p, const std::vector<double>& loss);

// linspace(start, stop, count): count >= 1 points, start..stop inclusive (count 1: start).
std::vector<double> linspace(double start, double stop, long count);

}  // namespace qharness
