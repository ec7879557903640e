// Unit tests of the `coordinate-descent` optimizer plugin (plugins/optimizers/coordinate_descent).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "optimizer_test_problems.hpp"
#include "plugins/optimizers/coordinate_descent/coordinate_descent.hpp"

namespace qharness::plugins {
namespace {

using test_problems::RecordingObjective;
using test_problems::SeededQuadratic;
using test_problems::Vector;
using test_problems::rosenbrock;

TEST(CoordinateDescent, Rosenbrock2DReachesTheMinimumDespiteTheValley) {
  // Coordinate descent zig-zags along the curved valley: thousands of short sweeps, but it
  // gets there.
  CoordinateDescentOptimizer::Options options;
  options.max_iterations = 100000;
  options.f_tolerance = 0.0;
  CoordinateDescentOptimizer optimizer(options);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_NEAR(result.x[0], 1.0, 1e-2);
  EXPECT_NEAR(result.x[1], 1.0, 2e-2);
  EXPECT_LT(result.f, 1e-4);
  EXPECT_TRUE(result.converged) << result.message;
  EXPECT_EQ(result.f, recorder.lowest_value());
  EXPECT_EQ(result.f, rosenbrock(result.x));
}

TEST(CoordinateDescent, SeededQuadraticKnownMinimum) {
  const SeededQuadratic quadratic = SeededQuadratic::make(5, 42, 4.0);
  CoordinateDescentOptimizer optimizer;
  Objective objective;
  objective.value = quadratic;
  const OptimizerResult result = optimizer.minimize(objective, Vector(5, 0.0), {});
  for (std::size_t i = 0; i < 5; ++i) EXPECT_NEAR(result.x[i], quadratic.center[i], 1e-4) << i;
  EXPECT_LT(result.f, 1e-8);
  EXPECT_TRUE(result.converged) << result.message;
}

TEST(CoordinateDescent, SeparableFunctionTakesOneSweepToSolve) {
  // On a separable f one sweep of exact line searches finds the minimum; the second sweep
  // confirms it (no decrease) and stops.
  auto f = [](const Vector& x) { return (x[0] - 3.0) * (x[0] - 3.0) + 2.0 * (x[1] + 1.0) * (x[1] + 1.0); };
  CoordinateDescentOptimizer optimizer;
  Objective objective;
  objective.value = f;
  const OptimizerResult result = optimizer.minimize(objective, {0.0, 0.0}, {});
  EXPECT_NEAR(result.x[0], 3.0, 1e-6);
  EXPECT_NEAR(result.x[1], -1.0, 1e-6);
  EXPECT_LE(result.iterations, 2);
}

TEST(CoordinateDescent, BoundsAreRespectedAndActive) {
  const SeededQuadratic quadratic = SeededQuadratic::make(3, 5, 4.0);
  Bounds bounds;
  bounds.lower = {-0.5, -std::numeric_limits<double>::infinity(), -0.5};
  bounds.upper = {0.5, 0.5, std::numeric_limits<double>::infinity()};
  RecordingObjective recorder;
  CoordinateDescentOptimizer optimizer;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(quadratic), Vector(3, 0.0), bounds);
  for (const Vector& x : recorder.points)
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_GE(x[i], bounds.lower[i]);
      EXPECT_LE(x[i], bounds.upper[i]);
    }
  // The box cuts off the unconstrained minimum: the result is no worse than the start and at
  // least one bound is active.
  EXPECT_LE(result.f, quadratic(Vector(3, 0.0)));
  bool active = false;
  for (std::size_t i = 0; i < 3; ++i)
    active = active || result.x[i] == bounds.lower[i] || result.x[i] == bounds.upper[i];
  bool outside = false;
  for (std::size_t i = 0; i < 3; ++i)
    outside = outside || quadratic.center[i] < bounds.lower[i] || quadratic.center[i] > bounds.upper[i];
  ASSERT_TRUE(outside) << "the seeded centre must lie outside the box for this test";
  EXPECT_TRUE(active);
}

TEST(CoordinateDescent, MaxfevIsExact) {
  CoordinateDescentOptimizer::Options options;
  options.max_function_evaluations = 37;
  CoordinateDescentOptimizer optimizer(options);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_EQ(recorder.evaluations(), 37u);
  EXPECT_EQ(result.message.rfind("maxfev", 0), 0u) << result.message;
  EXPECT_EQ(result.f, recorder.lowest_value());
}

TEST(CoordinateDescent, DeterministicAndExceptionsPassThrough) {
  const SeededQuadratic quadratic = SeededQuadratic::make(4, 9, 10.0);
  RecordingObjective a, b;
  CoordinateDescentOptimizer optimizer;
  const OptimizerResult ra = optimizer.minimize(a.wrap(quadratic), Vector(4, 1.0), {});
  const OptimizerResult rb = optimizer.minimize(b.wrap(quadratic), Vector(4, 1.0), {});
  EXPECT_EQ(ra.x, rb.x);
  EXPECT_EQ(a.points, b.points);

  Objective throwing;
  int calls = 0;
  throwing.value = [&calls](const Vector& x) {
    if (++calls == 5) throw std::runtime_error("stop");
    return rosenbrock(x);
  };
  EXPECT_THROW(optimizer.minimize(throwing, {0.0, 0.0}, {}), std::runtime_error);
}

TEST(CoordinateDescent, RejectsBadOptionsAndBounds) {
  CoordinateDescentOptimizer::Options bad;
  bad.max_iterations = 0;
  EXPECT_THROW(CoordinateDescentOptimizer{bad}, std::invalid_argument);
  bad = {};
  bad.x_tolerance = 0.0;
  EXPECT_THROW(CoordinateDescentOptimizer{bad}, std::invalid_argument);
  bad = {};
  bad.initial_step = -1.0;
  EXPECT_THROW(CoordinateDescentOptimizer{bad}, std::invalid_argument);
  CoordinateDescentOptimizer optimizer;
  Objective objective;
  objective.value = rosenbrock;
  Bounds crossed;
  crossed.lower = {1.0, 0.0};
  crossed.upper = {0.0, 1.0};
  EXPECT_THROW(optimizer.minimize(objective, {0.0, 0.0}, crossed), std::invalid_argument);
}

TEST(CoordinateDescent, ParamSpecsMatchTheOptionDefaults) {
  Params params;
  std::set<std::string> names;
  for (const ParamSpec& spec : CoordinateDescentOptimizer::param_specs()) {
    names.insert(spec.name);
    EXPECT_FALSE(spec.doc.empty());
    params.set(spec.name, spec.default_value);
  }
  EXPECT_EQ(names, (std::set<std::string>{"maxiter", "maxfev", "xtol", "ftol", "initial_step"}));
  const auto o = CoordinateDescentOptimizer::options_from_params(params);
  const CoordinateDescentOptimizer::Options d;
  EXPECT_EQ(o.max_iterations, d.max_iterations);
  EXPECT_EQ(o.max_function_evaluations, d.max_function_evaluations);
  EXPECT_EQ(o.x_tolerance, d.x_tolerance);
  EXPECT_EQ(o.f_tolerance, d.f_tolerance);
  EXPECT_EQ(o.initial_step, d.initial_step);
}

}  // namespace
}  // namespace qharness::plugins
