// Unit tests of the `nlopt-bobyqa` optimizer plugin (plugins/optimizers/nlopt_bobyqa); built
// when NLopt is installed (QHARNESS_HAVE_NLOPT).
#ifdef QHARNESS_HAVE_NLOPT
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "optimizer_test_problems.hpp"
#include "plugins/optimizers/nlopt_bobyqa/nlopt_bobyqa.hpp"

namespace qharness::plugins {
namespace {

using test_problems::RecordingObjective;
using test_problems::SeededQuadratic;
using test_problems::Vector;
using test_problems::rosenbrock;

TEST(NloptBobyqa, Rosenbrock2D) {
  NloptBobyqaOptimizer optimizer;
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_NEAR(result.x[0], 1.0, 1e-4);
  EXPECT_NEAR(result.x[1], 1.0, 2e-4);
  EXPECT_LT(result.f, 1e-8);
  EXPECT_TRUE(result.converged) << result.message;
  EXPECT_EQ(result.f, recorder.lowest_value());
}

TEST(NloptBobyqa, SeededQuadraticKnownMinimum) {
  const SeededQuadratic quadratic = SeededQuadratic::make(6, 20240611, 100.0);
  NloptBobyqaOptimizer optimizer;
  Objective objective;
  objective.value = quadratic;
  const OptimizerResult result = optimizer.minimize(objective, Vector(6, 0.0), {});
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(result.x[i], quadratic.center[i], 1e-4) << i;
  EXPECT_LT(result.f, 1e-8);
}

TEST(NloptBobyqa, OneVariableProblem) {
  NloptBobyqaOptimizer optimizer;
  RecordingObjective recorder;
  const OptimizerResult result =
      optimizer.minimize(recorder.wrap([](const Vector& x) { return (x[0] - 0.7) * (x[0] - 0.7); }),
                         {0.0}, {});
  ASSERT_EQ(result.x.size(), 1u);
  for (const Vector& x : recorder.points) EXPECT_EQ(x.size(), 1u);
  EXPECT_NEAR(result.x[0], 0.7, 1e-5);
}

TEST(NloptBobyqa, BoundsAreRespectedAndActive) {
  const SeededQuadratic quadratic = SeededQuadratic::make(3, 5, 4.0);
  Bounds bounds;
  bounds.lower = Vector(3, -0.5);
  bounds.upper = Vector(3, 0.5);
  RecordingObjective recorder;
  NloptBobyqaOptimizer optimizer;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(quadratic), Vector(3, 0.0), bounds);
  for (const Vector& x : recorder.points)
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_GE(x[i], -0.5);
      EXPECT_LE(x[i], 0.5);
    }
  EXPECT_LE(result.f, quadratic(Vector(3, 0.0)));
  bool active = false;
  for (double xi : result.x) active = active || std::abs(std::abs(xi) - 0.5) < 1e-9;
  EXPECT_TRUE(active);
}

TEST(NloptBobyqa, MaxfevIsExactAndExceptionsPassThrough) {
  NloptBobyqaOptimizer::Options options;
  options.max_function_evaluations = 20;
  NloptBobyqaOptimizer optimizer(options);
  RecordingObjective recorder;
  const OptimizerResult result = optimizer.minimize(recorder.wrap(rosenbrock), {-1.2, 1.0}, {});
  EXPECT_EQ(recorder.evaluations(), 20u);
  EXPECT_EQ(result.message.rfind("maxfev", 0), 0u) << result.message;
  EXPECT_FALSE(result.converged);

  Objective throwing;
  int calls = 0;
  throwing.value = [&calls](const Vector& x) {
    if (++calls == 7) throw std::domain_error("non-finite loss");
    return rosenbrock(x);
  };
  NloptBobyqaOptimizer plain;
  EXPECT_THROW(plain.minimize(throwing, {-1.2, 1.0}, {}), std::domain_error);
}

TEST(NloptBobyqa, RejectsOptionsThatNeverStop) {
  NloptBobyqaOptimizer::Options options;
  options.max_function_evaluations = 0;
  options.x_tolerance = 0.0;
  options.f_tolerance = 0.0;
  EXPECT_THROW(NloptBobyqaOptimizer{options}, std::invalid_argument);
}

}  // namespace
}  // namespace qharness::plugins
#endif  // QHARNESS_HAVE_NLOPT
