// Unit tests of the `ceres` optimizer plugin (plugins/optimizers/ceres).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "optimizer_test_problems.hpp"
#include "plugins/optimizers/ceres/ceres_lbfgs.hpp"

namespace qharness::plugins {
namespace {

using test_problems::RecordingObjective;
using test_problems::SeededQuadratic;
using test_problems::Vector;
using test_problems::rosenbrock;
using test_problems::rosenbrock_with_gradient;

CeresOptimizer make(CeresOptimizer::Gradient gradient) {
  CeresOptimizer::Options options;
  options.gradient = gradient;
  options.max_iterations = 500;
  return CeresOptimizer(options);
}

TEST(Ceres, Rosenbrock2DNumericGradient) {
  CeresOptimizer optimizer = make(CeresOptimizer::Gradient::Numeric);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_NEAR(result.x[0], 1.0, 1e-3);
  EXPECT_NEAR(result.x[1], 1.0, 2e-3);
  EXPECT_LT(result.f, 1e-6);
  // Central differences end at their precision limit: a line search that finds no lower f.
  EXPECT_FALSE(result.converged) << result.message;
  EXPECT_EQ(result.message.rfind("stalled: the line search found no lower f", 0), 0u) << result.message;
  EXPECT_EQ(result.f, recorder.lowest_value());
}

TEST(Ceres, Rosenbrock2DAnalyticGradientUsesTheObjectivesGradient) {
  CeresOptimizer optimizer = make(CeresOptimizer::Gradient::Analytic);
  int value_calls = 0, gradient_calls = 0;
  Objective objective;
  objective.value = [&](const Vector& x) { ++value_calls; return rosenbrock(x); };
  objective.value_and_gradient = [&](const Vector& x, Vector& g) {
    ++gradient_calls;
    return rosenbrock_with_gradient(x, g);
  };
  const OptimizerResult result = optimizer.minimize(objective, {-1.2, 1.0}, {});
  EXPECT_NEAR(result.x[0], 1.0, 1e-4);
  EXPECT_NEAR(result.x[1], 1.0, 2e-4);
  EXPECT_LT(result.f, 1e-8);
  EXPECT_TRUE(result.converged) << result.message;
  EXPECT_GT(gradient_calls, 10);
  // With the gradient given, no finite differences: far fewer evaluations than 2n per step.
  EXPECT_LT(value_calls, gradient_calls);
}

TEST(Ceres, SeededQuadraticKnownMinimumBothGradients) {
  const SeededQuadratic quadratic = SeededQuadratic::make(6, 20240611, 100.0);
  for (auto gradient : {CeresOptimizer::Gradient::Numeric, CeresOptimizer::Gradient::Analytic}) {
    CeresOptimizer optimizer = make(gradient);
    Objective objective;
    objective.value = quadratic;
    objective.value_and_gradient = [&](const Vector& x, Vector& g) { return quadratic.with_gradient(x, g); };
    const OptimizerResult result = optimizer.minimize(objective, Vector(6, 0.0), {});
    for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(result.x[i], quadratic.center[i], 1e-4) << i;
    EXPECT_LT(result.f, 1e-8);
  }
}

TEST(Ceres, BoundsAreRespectedAndTheConstrainedMinimumFound) {
  // f = (x0 - 3)^2 + (x1 + 2)^2 + (x2 - 0.25)^2 over [-1, 1] x [-1, inf) x (-inf, 0]:
  // minimum at (1, -1, 0) on three different kinds of bound.
  auto f = [](const Vector& x) {
    return (x[0] - 3.0) * (x[0] - 3.0) + (x[1] + 2.0) * (x[1] + 2.0) + (x[2] - 0.25) * (x[2] - 0.25);
  };
  const double inf = std::numeric_limits<double>::infinity();
  Bounds bounds;
  bounds.lower = {-1.0, -1.0, -inf};
  bounds.upper = {1.0, inf, 0.0};
  RecordingObjective recorder;
  CeresOptimizer optimizer = make(CeresOptimizer::Gradient::Numeric);
  const OptimizerResult result = optimizer.minimize(recorder.wrap(f), {0.0, 0.0, -0.5}, bounds);
  for (const Vector& x : recorder.points)
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_GE(x[i], bounds.lower[i]);
      EXPECT_LE(x[i], bounds.upper[i]);
    }
  EXPECT_NEAR(result.x[0], 1.0, 1e-3);
  EXPECT_NEAR(result.x[1], -1.0, 1e-3);
  EXPECT_NEAR(result.x[2], 0.0, 1e-3);
}

TEST(Ceres, StartOnABoundStillMoves) {
  // The MINUIT transform's derivative vanishes on the bound; the start is nudged inside.
  auto f = [](const Vector& x) { return (x[0] - 0.5) * (x[0] - 0.5); };
  Bounds bounds;
  bounds.lower = {0.0};
  bounds.upper = {1.0};
  CeresOptimizer optimizer = make(CeresOptimizer::Gradient::Numeric);
  Objective objective;
  objective.value = f;
  const OptimizerResult result = optimizer.minimize(objective, {0.0}, bounds);
  EXPECT_NEAR(result.x[0], 0.5, 1e-4);
}

TEST(Ceres, AnalyticWithoutGradientIsRefused) {
  CeresOptimizer optimizer = make(CeresOptimizer::Gradient::Analytic);
  Objective objective;
  objective.value = rosenbrock;
  try {
    optimizer.minimize(objective, {0.0, 0.0}, {});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gradient: numeric"), std::string::npos) << e.what();
  }
}

TEST(Ceres, ObjectiveExceptionsPassThroughUnchanged) {
  CeresOptimizer optimizer = make(CeresOptimizer::Gradient::Numeric);
  Objective objective;
  int calls = 0;
  objective.value = [&calls](const Vector& x) {
    if (++calls == 12) throw std::domain_error("non-finite loss");
    return rosenbrock(x);
  };
  EXPECT_THROW(optimizer.minimize(objective, {-1.2, 1.0}, {}), std::domain_error);
  EXPECT_EQ(calls, 12);  // nothing evaluated after the failure
}

// A gradient that is not f's derivative (LAPQ's straight-through clip gradient can be one):
// along its descent direction f rises at every step, Ceres' Wolfe line search shrinks the
// bracket until it gives up and Ceres takes a zero step, which it calls "Parameter tolerance
// reached" (CONVERGENCE). The plugin must say that the line search failed instead.
TEST(Ceres, FailedLineSearchIsReportedNotCalledConvergence) {
  CeresOptimizer optimizer = make(CeresOptimizer::Gradient::Analytic);
  auto f = [](const Vector& x) { return (x[0] - 1.0) * (x[0] - 1.0) + (x[1] + 2.0) * (x[1] + 2.0); };
  Objective objective;
  objective.value = f;
  objective.value_and_gradient = [&](const Vector& x, Vector& g) {
    g = {-2.0 * (x[0] - 1.0), -2.0 * (x[1] + 2.0)};  // the true gradient's opposite
    return f(x);
  };
  const OptimizerResult result = optimizer.minimize(objective, {0.0, 0.0}, {});
  EXPECT_FALSE(result.converged) << result.message;
  EXPECT_EQ(result.message.rfind("failed: the line search found no f below f(x0)", 0), 0u) << result.message;
  EXPECT_EQ(result.x, (Vector{0.0, 0.0}));   // the start: no evaluated point was lower
  EXPECT_EQ(result.f, 5.0);
}

TEST(Ceres, Deterministic) {
  const SeededQuadratic quadratic = SeededQuadratic::make(4, 3, 50.0);
  RecordingObjective a, b;
  CeresOptimizer optimizer = make(CeresOptimizer::Gradient::Numeric);
  const OptimizerResult ra = optimizer.minimize(a.wrap(quadratic), Vector(4, 1.0), {});
  const OptimizerResult rb = optimizer.minimize(b.wrap(quadratic), Vector(4, 1.0), {});
  EXPECT_EQ(ra.x, rb.x);
  EXPECT_EQ(a.points, b.points);
}

TEST(Ceres, ParamSpecsAndRanges) {
  Params params;
  std::set<std::string> names;
  for (const ParamSpec& spec : CeresOptimizer::param_specs()) {
    names.insert(spec.name);
    params.set(spec.name, spec.default_value);
  }
  EXPECT_EQ(names, (std::set<std::string>{"gradient", "maxiter", "ftol", "gtol", "xtol",
                                          "lbfgs_rank", "fd_step"}));
  const auto o = CeresOptimizer::options_from_params(params);
  EXPECT_EQ(o.gradient, CeresOptimizer::Gradient::Numeric);
  EXPECT_EQ(o.max_iterations, CeresOptimizer::Options{}.max_iterations);
  params.set("gradient", std::string("analytic"));
  EXPECT_EQ(CeresOptimizer::options_from_params(params).gradient, CeresOptimizer::Gradient::Analytic);
  CeresOptimizer::Options bad;
  bad.lbfgs_rank = 0;
  EXPECT_THROW(CeresOptimizer{bad}, std::invalid_argument);
  bad = {};
  bad.fd_step = 0.0;
  EXPECT_THROW(CeresOptimizer{bad}, std::invalid_argument);
}

}  // namespace
}  // namespace qharness::plugins
