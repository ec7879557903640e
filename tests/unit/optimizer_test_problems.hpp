#pragma once
// Test problems shared by the optimizer plugins' unit tests: Rosenbrock, a seeded rotated
// quadratic with a known minimum, and an objective wrapper that records every evaluation.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "qharness/optimizer.hpp"

namespace qharness::test_problems {

using Vector = std::vector<double>;
using Matrix = std::vector<Vector>;

// sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2; minimum 0 at (1, ..., 1).
inline double rosenbrock(const Vector& x) {
  double f = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    const double valley = x[i + 1] - x[i] * x[i];
    f += 100.0 * valley * valley + (1.0 - x[i]) * (1.0 - x[i]);
  }
  return f;
}

inline double rosenbrock_with_gradient(const Vector& x, Vector& g) {
  g.assign(x.size(), 0.0);
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    const double valley = x[i + 1] - x[i] * x[i];
    g[i] += -400.0 * x[i] * valley - 2.0 * (1.0 - x[i]);
    g[i + 1] += 200.0 * valley;
  }
  return rosenbrock(x);
}

// f(x) = (x - c)^T A (x - c), A = Q diag(lambda) Q^T with a random rotation Q and eigenvalues
// in [1, max_eigenvalue] (both ends attained): minimum 0 at the seeded centre c.
struct SeededQuadratic {
  Matrix a;
  Vector center;

  static SeededQuadratic make(std::size_t n, std::uint64_t seed, double max_eigenvalue) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> gaussian(0.0, 1.0);
    Matrix q(n, Vector(n));
    for (auto& row : q)
      for (double& v : row) v = gaussian(rng);
    for (std::size_t i = 0; i < n; ++i) {  // Gram-Schmidt
      for (std::size_t j = 0; j < i; ++j) {
        double dot = 0.0;
        for (std::size_t k = 0; k < n; ++k) dot += q[i][k] * q[j][k];
        for (std::size_t k = 0; k < n; ++k) q[i][k] -= dot * q[j][k];
      }
      double norm = 0.0;
      for (double v : q[i]) norm += v * v;
      for (double& v : q[i]) v /= std::sqrt(norm);
    }
    std::uniform_real_distribution<double> eigenvalue(1.0, max_eigenvalue);
    Vector lambda(n);
    for (double& l : lambda) l = eigenvalue(rng);
    lambda.front() = 1.0;
    lambda.back() = max_eigenvalue;
    std::uniform_real_distribution<double> coordinate(-2.0, 2.0);
    SeededQuadratic s;
    s.center.resize(n);
    for (double& c : s.center) c = coordinate(rng);
    s.a.assign(n, Vector(n, 0.0));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < n; ++k) s.a[i][j] += q[k][i] * lambda[k] * q[k][j];
    return s;
  }

  double operator()(const Vector& x) const {
    double f = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i)
      for (std::size_t j = 0; j < x.size(); ++j)
        f += (x[i] - center[i]) * a[i][j] * (x[j] - center[j]);
    return f;
  }

  double with_gradient(const Vector& x, Vector& g) const {
    g.assign(x.size(), 0.0);
    for (std::size_t i = 0; i < x.size(); ++i)
      for (std::size_t j = 0; j < x.size(); ++j) g[i] += 2.0 * a[i][j] * (x[j] - center[j]);
    return (*this)(x);
  }
};

// Records every point the optimizer asks for.
struct RecordingObjective {
  std::vector<Vector> points;
  std::vector<double> values;

  template <class F>
  Objective wrap(F f) {
    Objective objective;
    objective.value = [this, f](const Vector& x) {
      const double value = f(x);
      points.push_back(x);
      values.push_back(value);
      return value;
    };
    return objective;
  }
  std::size_t evaluations() const { return points.size(); }
  double lowest_value() const { return *std::min_element(values.begin(), values.end()); }
};

}  // namespace qharness::test_problems
