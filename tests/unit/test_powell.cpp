// Unit tests of the `powell` optimizer plugin (plugins/optimizers/powell).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/optimizers/powell/powell.hpp"
#include "optimizer_test_problems.hpp"

namespace qharness::plugins {
namespace {

using Vector = std::vector<double>;
using Matrix = std::vector<Vector>;  // row-major

constexpr double kInf = std::numeric_limits<double>::infinity();

// Rosenbrock and the recording objective are the ones every optimizer's tests share.
using test_problems::RecordingObjective;
using test_problems::rosenbrock;

// A random rotation: Gram-Schmidt orthonormalization of a Gaussian matrix.
Matrix random_rotation(std::size_t n, std::mt19937_64& rng) {
  std::normal_distribution<double> gaussian(0.0, 1.0);
  Matrix q(n, Vector(n));
  for (auto& row : q)
    for (double& v : row) v = gaussian(rng);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      double dot = 0.0;
      for (std::size_t k = 0; k < n; ++k) dot += q[i][k] * q[j][k];
      for (std::size_t k = 0; k < n; ++k) q[i][k] -= dot * q[j][k];
    }
    double norm = 0.0;
    for (double v : q[i]) norm += v * v;
    norm = std::sqrt(norm);
    for (double& v : q[i]) v /= norm;
  }
  return q;
}

// f(x) = (x - c)^T A (x - c) with A = Q diag(lambda) Q^T: a seeded, rotated, ill-conditioned
// convex quadratic (eigenvalues spread over [1, 100], condition number exactly 100).
struct RotatedQuadratic {
  Matrix a;
  Vector center;

  static RotatedQuadratic make(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    const Matrix q = random_rotation(n, rng);
    std::uniform_real_distribution<double> eigenvalue(1.0, 100.0);
    Vector lambda(n);
    for (double& l : lambda) l = eigenvalue(rng);
    lambda.front() = 1.0;
    lambda.back() = 100.0;
    std::uniform_real_distribution<double> coordinate(-2.0, 2.0);
    RotatedQuadratic quadratic;
    quadratic.center.resize(n);
    for (double& c : quadratic.center) c = coordinate(rng);
    quadratic.a.assign(n, Vector(n, 0.0));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < n; ++k) quadratic.a[i][j] += q[k][i] * lambda[k] * q[k][j];
    return quadratic;
  }

  double operator()(const Vector& x) const {
    const std::size_t n = x.size();
    double f = 0.0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        f += (x[i] - center[i]) * a[i][j] * (x[j] - center[j]);
    return f;
  }
};

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(Powell, Rosenbrock2DFromTheClassicStart) {
  RecordingObjective recorder;
  PowellOptimizer optimizer;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  ASSERT_EQ(result.x.size(), 2u);
  EXPECT_NEAR(result.x[0], 1.0, 1e-3);
  EXPECT_NEAR(result.x[1], 1.0, 1e-3);
  EXPECT_LT(result.f, 1e-6);
  EXPECT_TRUE(result.converged) << result.message;
  // The reported f is f(x), and the best of everything evaluated.
  EXPECT_EQ(result.f, rosenbrock(result.x));
  EXPECT_EQ(result.f, recorder.lowest_value());
}

TEST(Powell, Rosenbrock5D) {
  PowellOptimizer optimizer;
  // The classic start (-1.2, 1) extended to 5-D. Rosenbrock in 4 to 7 dimensions also has a
  // local minimum (f ~ 3.93 in 5-D, near (-0.96, 0.94, 0.88, 0.78, 0.61)) that a local method
  // reaches from some starts; from this one Powell must find the global one.
  const Vector x0 = {-1.2, 1.0, -1.2, 1.0, -1.2};
  Objective objective;
  objective.value = rosenbrock;
  const OptimizerResult result = optimizer.minimize(objective, x0, {});
  ASSERT_EQ(result.x.size(), 5u);
  for (double xi : result.x) EXPECT_NEAR(xi, 1.0, 1e-3);
  EXPECT_LT(result.f, 1e-6);
  EXPECT_TRUE(result.converged) << result.message;
  // f keeps falling by large factors per iteration down to ~1e-11, so the relative ftol test
  // does not fire; the run ends on xtol once x stalls at the line searches' resolution.
  EXPECT_TRUE(starts_with(result.message, "xtol")) << result.message;
}

TEST(Powell, RotatedIllConditionedQuadratic6D) {
  const RotatedQuadratic quadratic = RotatedQuadratic::make(6, 20240611);
  PowellOptimizer optimizer;
  Objective objective;
  objective.value = quadratic;
  const OptimizerResult result = optimizer.minimize(objective, Vector(6, 0.0), {});
  ASSERT_EQ(result.x.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(result.x[i], quadratic.center[i], 1e-3) << i;
  EXPECT_LT(result.f, 1e-6);
  EXPECT_TRUE(result.converged) << result.message;
}

TEST(Powell, BoundsExcludingTheMinimumAreRespectedAndActive) {
  // Unconstrained minimum near (3, -2, -0.5, 0.7); the box [-1, 1] x [-1, 1] x [0, inf) x R
  // excludes it. The gradient at the corner (1, -1, 0) points out of the box in the first
  // three coordinates, so the constrained minimum is that corner, with the free coordinate
  // at 0.7 - 0.1 * x0 / 2 = 0.65.
  auto f = [](const Vector& x) {
    return (x[0] - 3.0) * (x[0] - 3.0) + (x[1] + 2.0) * (x[1] + 2.0) +
           (x[2] + 0.5) * (x[2] + 0.5) + 0.2 * (x[0] - x[1]) * (x[0] - x[1]) +
           0.3 * (x[0] + x[2]) * (x[0] + x[2]) + (x[3] - 0.7) * (x[3] - 0.7) + 0.1 * x[3] * x[0];
  };
  Bounds bounds;
  bounds.lower = {-1.0, -1.0, 0.0, -kInf};
  bounds.upper = {1.0, 1.0, kInf, kInf};
  RecordingObjective recorder;
  PowellOptimizer optimizer;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(f), {0.2, 0.3, 2.0, 0.0}, bounds);

  ASSERT_GT(recorder.evaluations(), 0u);
  for (const Vector& x : recorder.points) {
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_GE(x[i], bounds.lower[i]) << "coordinate " << i;
      EXPECT_LE(x[i], bounds.upper[i]) << "coordinate " << i;
    }
  }
  // On the active bounds exactly, not merely near them.
  EXPECT_EQ(result.x[0], 1.0);
  EXPECT_EQ(result.x[1], -1.0);
  EXPECT_EQ(result.x[2], 0.0);
  EXPECT_NEAR(result.x[3], 0.65, 1e-3);
  EXPECT_TRUE(result.converged) << result.message;
  EXPECT_EQ(result.f, recorder.lowest_value());
}

TEST(Powell, OneSidedBoundStopsTheBracketing) {
  // A positive parameter (a clip value, say) whose unconstrained optimum is negative: the
  // bracketing runs into the lower bound and must stop there.
  auto f = [](const Vector& x) { return (x[0] + 3.0) * (x[0] + 3.0); };
  Bounds bounds;
  bounds.lower = {1e-3};
  RecordingObjective recorder;
  PowellOptimizer optimizer;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(f), {5.0}, bounds);
  for (const Vector& x : recorder.points) EXPECT_GE(x[0], 1e-3);
  EXPECT_EQ(result.x[0], 1e-3);
  EXPECT_TRUE(result.converged) << result.message;
}

TEST(Powell, MaxfevIsNeverExceeded) {
  PowellOptimizer::Options options;
  options.max_function_evaluations = 50;
  PowellOptimizer optimizer(options);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_LE(recorder.evaluations(), 50u);
  EXPECT_EQ(recorder.evaluations(), 50u);  // Rosenbrock needs more: it stops at the cap
  EXPECT_TRUE(starts_with(result.message, "maxfev")) << result.message;
  EXPECT_FALSE(result.converged);
  // The best point seen, which is better than the start.
  EXPECT_EQ(result.f, recorder.lowest_value());
  EXPECT_EQ(result.f, rosenbrock(result.x));
  EXPECT_LT(result.f, rosenbrock({-1.2, 1.0}));
}

TEST(Powell, MaxfevOfOneReturnsTheStart) {
  PowellOptimizer::Options options;
  options.max_function_evaluations = 1;
  PowellOptimizer optimizer(options);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_EQ(recorder.evaluations(), 1u);
  EXPECT_EQ(result.x, (Vector{-1.2, 1.0}));
  EXPECT_TRUE(starts_with(result.message, "maxfev")) << result.message;
}

TEST(Powell, MaxiterOfOneStopsAfterOneIteration) {
  PowellOptimizer::Options options;
  options.max_iterations = 1;
  PowellOptimizer optimizer(options);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_EQ(result.iterations, 1);
  EXPECT_TRUE(starts_with(result.message, "maxiter")) << result.message;
  EXPECT_FALSE(result.converged);
  EXPECT_LT(result.f, rosenbrock({-1.2, 1.0}));

  // One iteration is only the first sweep: the default run goes on from there.
  PowellOptimizer unlimited;
  RecordingObjective unlimited_recorder;
  const OptimizerResult full =
      unlimited.minimize(unlimited_recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_GT(full.iterations, 1);
  EXPECT_GT(unlimited_recorder.evaluations(), recorder.evaluations());
  // ... and its first sweep is the same sequence of evaluations.
  for (std::size_t i = 0; i < recorder.evaluations(); ++i)
    EXPECT_EQ(unlimited_recorder.points[i], recorder.points[i]) << "evaluation " << i;
}

// LAPQ on resnet20 optimizes ~40 clips within bounds on both sides, where every line search
// costs 10-15 evaluations. The default budget (maxfev unlimited) must let the requested sweeps
// finish there: every coordinate is searched, so every one leaves its start.
TEST(Powell, DefaultBudgetFinishesEverySweepAtDimension40) {
  const std::size_t n = 40;
  Vector x0(n);
  for (std::size_t i = 0; i < n; ++i) x0[i] = i % 2 == 0 ? -1.2 : 1.0;
  const Bounds box{Vector(n, -2.0), Vector(n, 2.0)};
  PowellOptimizer::Options options;  // the default budget
  options.max_iterations = 2;
  PowellOptimizer optimizer(options);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), x0, box);
  EXPECT_EQ(result.iterations, 2);
  EXPECT_TRUE(starts_with(result.message, "maxiter")) << result.message;
  // Far more evaluations than the 300 that cut the first sweep short (below).
  EXPECT_GT(recorder.evaluations(), 600u);
  for (std::size_t i = 0; i < n; ++i) EXPECT_NE(result.x[i], x0[i]) << "x[" << i << "] never moved";
}

// A budget that stops a sweep midway says so, and the coordinates after that point stay put.
TEST(Powell, MaxfevThatStopsASweepMidwaySaysWhere) {
  const std::size_t n = 40;
  Vector x0(n);
  for (std::size_t i = 0; i < n; ++i) x0[i] = i % 2 == 0 ? -1.2 : 1.0;
  const Bounds box{Vector(n, -2.0), Vector(n, 2.0)};
  PowellOptimizer::Options options;
  options.max_iterations = 2;
  options.max_function_evaluations = 300;
  PowellOptimizer optimizer(options);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), x0, box);
  EXPECT_EQ(recorder.evaluations(), 300u);
  EXPECT_EQ(result.iterations, 0);
  EXPECT_TRUE(starts_with(result.message, "maxfev")) << result.message;
  EXPECT_NE(result.message.find("in the middle of iteration 1, after "), std::string::npos) << result.message;
  EXPECT_NE(result.message.find(" of 40 line searches"), std::string::npos) << result.message;
  // The first sweep searches the axes in order: the last coordinates were never searched.
  EXPECT_EQ(result.x.back(), x0.back());
  EXPECT_NE(result.x.front(), x0.front());
}

TEST(Powell, SameProblemTwiceGivesBitIdenticalResults) {
  const RotatedQuadratic quadratic = RotatedQuadratic::make(6, 7);
  Bounds bounds;
  bounds.lower = Vector(6, -1.5);
  bounds.upper = {kInf, 1.0, kInf, 1.0, kInf, kInf};
  auto run = [&](RecordingObjective& recorder) {
    PowellOptimizer optimizer;
    return optimizer.minimize(recorder.wrap(quadratic), Vector(6, 0.5), bounds);
  };
  RecordingObjective first_recorder;
  RecordingObjective second_recorder;
  const OptimizerResult first = run(first_recorder);
  const OptimizerResult second = run(second_recorder);
  EXPECT_EQ(first.x, second.x);  // exact comparison of doubles
  EXPECT_EQ(first.f, second.f);
  EXPECT_EQ(first.iterations, second.iterations);
  EXPECT_EQ(first.converged, second.converged);
  EXPECT_EQ(first.message, second.message);
  EXPECT_EQ(first_recorder.points, second_recorder.points);
}

TEST(Powell, MinimumAtTheStartReturnsTheStart) {
  const Vector x0 = {0.3, -1.7, 2.5};
  auto f = [&x0](const Vector& x) {
    double sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double weight = static_cast<double>(i + 1);  // a different curvature per axis
      sum += weight * (x[i] - x0[i]) * (x[i] - x0[i]);
    }
    return sum;
  };
  RecordingObjective recorder;
  PowellOptimizer optimizer;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(f), x0, {});
  EXPECT_EQ(result.x, x0);
  EXPECT_EQ(result.f, 0.0);
  EXPECT_TRUE(result.converged) << result.message;
  EXPECT_EQ(result.iterations, 1);
}

TEST(Powell, NeverReturnsWorseThanTheStartOnANonConvexFunction) {
  // Many local minima along every axis; x0 sits in one of them. Whatever the line searches
  // find, the result is no worse than x0 and is the best evaluated point.
  auto f = [](const Vector& x) {
    double sum = 0.0;
    for (double xi : x) sum += xi * xi / 40.0 - std::cos(3.0 * xi);
    return sum;
  };
  const Vector x0 = {2.09, -4.18};
  RecordingObjective recorder;
  PowellOptimizer optimizer;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(f), x0, {});
  EXPECT_LE(result.f, f(x0));
  EXPECT_EQ(result.f, recorder.lowest_value());
}

TEST(Powell, FlatFunctionTerminates) {
  // f is constant: the bracketing must not expand forever and x must not move.
  PowellOptimizer optimizer;
  Objective objective;
  objective.value = [](const Vector&) { return 4.0; };
  const OptimizerResult result = optimizer.minimize(objective, {1.0, 2.0}, {});
  EXPECT_EQ(result.x, (Vector{1.0, 2.0}));
  EXPECT_TRUE(result.converged) << result.message;
}

TEST(Powell, UnboundedBelowStopsAtAFiniteCap) {
  // f decreases without bound along x0: every line search gives up after its bracketing
  // cap; the run must still end (here by maxiter) with a finite, improved point.
  PowellOptimizer::Options options;
  options.max_iterations = 3;
  PowellOptimizer optimizer(options);
  Objective objective;
  objective.value = [](const Vector& x) { return -x[0] + x[1] * x[1]; };
  const OptimizerResult result = optimizer.minimize(objective, {0.0, 1.0}, {});
  EXPECT_TRUE(std::isfinite(result.f));
  EXPECT_LT(result.f, 1.0);
  EXPECT_FALSE(result.converged);
}

TEST(Powell, ParamSpecsMatchTheOptionDefaults) {
  const std::vector<ParamSpec> specs = PowellOptimizer::param_specs();
  std::set<std::string> names;
  Params params;
  for (const ParamSpec& spec : specs) {
    EXPECT_TRUE(names.insert(spec.name).second) << "duplicate option " << spec.name;
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
    EXPECT_FALSE(spec.required) << spec.name;
    params.set(spec.name, spec.default_value);
  }
  EXPECT_EQ(names, (std::set<std::string>{"maxiter", "maxfev", "xtol", "ftol", "initial_step"}));

  const PowellOptimizer::Options from_defaults = PowellOptimizer::options_from_params(params);
  const PowellOptimizer::Options defaults;
  EXPECT_EQ(from_defaults.max_iterations, defaults.max_iterations);
  EXPECT_EQ(from_defaults.max_function_evaluations, defaults.max_function_evaluations);
  EXPECT_EQ(from_defaults.x_tolerance, defaults.x_tolerance);
  EXPECT_EQ(from_defaults.f_tolerance, defaults.f_tolerance);
  EXPECT_EQ(from_defaults.initial_step, defaults.initial_step);
  EXPECT_EQ(defaults.max_iterations, 1000);
  EXPECT_EQ(defaults.max_function_evaluations, 0);
  EXPECT_EQ(defaults.x_tolerance, 1e-4);
  EXPECT_EQ(defaults.f_tolerance, 1e-6);

  // A YAML integer given for a float option is accepted (Params::get_double converts).
  params.set("initial_step", std::int64_t{2});
  EXPECT_EQ(PowellOptimizer::options_from_params(params).initial_step, 2.0);
}

TEST(Powell, RejectsOutOfRangeOptions) {
  using Options = PowellOptimizer::Options;
  auto build_with = [](auto change) {
    Options options;
    change(options);
    PowellOptimizer optimizer(options);
  };
  EXPECT_THROW(build_with([](Options& o) { o.max_iterations = 0; }), std::invalid_argument);
  EXPECT_THROW(build_with([](Options& o) { o.max_function_evaluations = -1; }),
               std::invalid_argument);
  EXPECT_THROW(build_with([](Options& o) { o.x_tolerance = 0.0; }), std::invalid_argument);
  EXPECT_THROW(build_with([](Options& o) { o.f_tolerance = std::nan(""); }), std::invalid_argument);
  EXPECT_THROW(build_with([](Options& o) { o.initial_step = -1.0; }), std::invalid_argument);
  EXPECT_THROW(build_with([](Options& o) { o.initial_step = kInf; }), std::invalid_argument);
  EXPECT_NO_THROW(build_with([](Options& o) { o.f_tolerance = 0.0; }));
}

TEST(Powell, RejectsMalformedBounds) {
  PowellOptimizer optimizer;
  Objective objective;
  objective.value = rosenbrock;
  Bounds wrong_size;
  wrong_size.lower = {0.0};
  EXPECT_THROW(optimizer.minimize(objective, {0.0, 0.0}, wrong_size), std::invalid_argument);
  Bounds crossed;
  crossed.lower = {0.0, 1.0};
  crossed.upper = {1.0, 0.0};
  EXPECT_THROW(optimizer.minimize(objective, {0.0, 0.0}, crossed), std::invalid_argument);
}

TEST(Powell, ObjectiveExceptionsPassThrough) {
  // The driver stops a run by throwing from the objective (NaN/Inf loss); the optimizer must
  // not swallow it.
  PowellOptimizer optimizer;
  Objective objective;
  int calls = 0;
  objective.value = [&calls](const Vector& x) {
    if (++calls == 7) throw std::runtime_error("stop");
    return rosenbrock(x);
  };
  EXPECT_THROW(optimizer.minimize(objective, {-1.2, 1.0}, {}), std::runtime_error);
}

}  // namespace
}  // namespace qharness::plugins
