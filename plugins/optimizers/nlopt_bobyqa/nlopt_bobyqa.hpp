#pragma once
// BOBYQA (M. J. D. Powell, "The BOBYQA algorithm for bound constrained optimization without
// derivatives", 2009) through NLopt's C++ API (nlopt::opt with nlopt::LN_BOBYQA): a
// derivative-free trust-region method that models f by a quadratic interpolating 2n + 1
// points, with native box bounds (every evaluated point lies within them).
//
// NLopt's BOBYQA needs at least 2 variables; a 1-variable problem is solved by adding an
// inert second variable (f does not depend on it and it is never passed to the objective).
// Unbounded variables are allowed. The initial trust-region radius is `initial_step`
// (NLopt's default heuristic when 0). Stops on maxfev (NLopt's maxeval: exact, never
// exceeded), xtol_rel or ftol_rel; OptimizerResult::message starts with that word. The result
// is the best point evaluated. Deterministic: BOBYQA draws no random numbers.
#include <cstdint>
#include <vector>

#include "qharness/optimizer.hpp"
#include "qharness/params.hpp"

namespace qharness::plugins {

class NloptBobyqaOptimizer : public Optimizer {
 public:
  struct Options {
    // YAML `maxfev`. Maximum number of evaluations of f (NLopt's maxeval), 0 = unlimited.
    std::int64_t max_function_evaluations = 10000;
    // YAML `xtol`. NLopt's xtol_rel: stop when a step changes every x_i by less than
    // xtol * |x_i|. >= 0; at least one of xtol, ftol and maxfev must be set.
    double x_tolerance = 1e-8;
    // YAML `ftol`. NLopt's ftol_rel: stop when a step changes f by less than ftol * |f|. >= 0.
    double f_tolerance = 1e-12;
    // YAML `initial_step`. Initial trust-region radius (NLopt's initial step); 0 = NLopt's
    // heuristic from the bounds and x0. >= 0.
    double initial_step = 0.0;
  };

  static std::vector<ParamSpec> param_specs();
  static Options options_from_params(const Params& params);

  NloptBobyqaOptimizer();
  explicit NloptBobyqaOptimizer(const Options& options);  // throws std::invalid_argument

  const Options& options() const { return options_; }

  // Throws std::invalid_argument on malformed bounds, std::runtime_error when NLopt fails.
  // Exceptions of the objective pass through unchanged.
  OptimizerResult minimize(const Objective& objective, const std::vector<double>& x0,
                           const Bounds& bounds) override;

 private:
  Options options_;
};

}  // namespace qharness::plugins
