#pragma once
// L-BFGS with a Wolfe line search, by Ceres Solver (ceres::GradientProblemSolver), for smooth
// f: R^n -> R within optional box bounds.
//
// The gradient comes from the objective (`gradient: analytic`, Objective::value_and_gradient:
// in LAPQ autograd through the quantizer's straight-through estimator) or from central
// differences (`gradient: numeric`, 2n extra evaluations of f per gradient).
//
// Box bounds. GradientProblemSolver is unconstrained, so bounded variables are optimized
// through MINUIT's transformations (F. James, "MINUIT Reference Manual", section 1.3.1), which
// map an unconstrained z onto the feasible interval:
//   both bounds:   x = l + (u - l) (sin z + 1) / 2
//   lower only:    x = l - 1 + sqrt(z^2 + 1)
//   upper only:    x = u + 1 - sqrt(z^2 + 1)
// so every point handed to the objective lies within the box (clamped against rounding).
// The gradient follows by the chain rule (dx/dz); central differences are taken in z. The
// transformations' derivative vanishes on the bounds, so a start exactly on a bound is first
// moved inside by 1e-6 of the interval (or of max(1, |bound|) for a one-sided bound): a
// variable can approach a bound arbitrarily closely but converges slowly onto it.
//
// The result is the best point evaluated (including finite-difference points), so it is never
// worse than x0. Deterministic: same options, objective and x0 -> same bits.
//
// A failed line search. When f rises at every step the Wolfe search tries along the
// gradient's descent direction, Ceres returns a zero step and reports "Parameter tolerance
// reached" as CONVERGENCE. Here that is `converged = false` with the message "failed: ..."
// (in the first iteration: the result is x0) or "stalled: ..." (later). It happens with a
// gradient that is not f's derivative (LAPQ's straight-through clip gradient, where f is
// piecewise smooth with jumps) and at a numeric gradient's precision limit near a minimum.
#include <cstdint>
#include <string>
#include <vector>

#include "qharness/optimizer.hpp"
#include "qharness/params.hpp"

namespace qharness::plugins {

class CeresOptimizer : public Optimizer {
 public:
  enum class Gradient { Numeric, Analytic };

  struct Options {
    // YAML `gradient`: numeric (central differences) or analytic (the objective's own).
    Gradient gradient = Gradient::Numeric;
    // YAML `maxiter`. Maximum number of L-BFGS iterations (Ceres' max_num_iterations). >= 1.
    std::int64_t max_iterations = 100;
    // YAML `ftol`. Ceres' function_tolerance: converged when |df| / f < ftol. >= 0.
    double f_tolerance = 1e-8;
    // YAML `gtol`. Ceres' gradient_tolerance: converged when max|x - Proj(x - g)| < gtol
    // (in the transformed variables z). >= 0.
    double gradient_tolerance = 1e-10;
    // YAML `xtol`. Ceres' parameter_tolerance: converged when |dz| < xtol (|z| + xtol). >= 0.
    double x_tolerance = 1e-8;
    // YAML `lbfgs_rank`. Number of correction pairs L-BFGS keeps (Ceres' max_lbfgs_rank). >= 1.
    std::int64_t lbfgs_rank = 20;
    // YAML `fd_step`. Central-difference step relative to max(1, |z_i|); the default,
    // cbrt(machine epsilon), balances truncation and rounding error. > 0.
    double fd_step = 6.0554544523933395e-06;
  };

  static std::vector<ParamSpec> param_specs();
  static Options options_from_params(const Params& params);

  CeresOptimizer();
  // Throws std::invalid_argument when an option is out of its range (see Options).
  explicit CeresOptimizer(const Options& options);

  const Options& options() const { return options_; }

  // Throws std::invalid_argument on malformed bounds, or when `gradient: analytic` is asked
  // of an objective without value_and_gradient. Exceptions of the objective pass through.
  OptimizerResult minimize(const Objective& objective, const std::vector<double>& x0,
                           const Bounds& bounds) override;

 private:
  Options options_;
};

}  // namespace qharness::plugins
