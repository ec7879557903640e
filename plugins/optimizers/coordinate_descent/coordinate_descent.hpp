#pragma once
// Cyclic coordinate descent: a derivative-free minimizer for f: R^n -> R within optional box
// bounds, one exact line search per coordinate.
//
// One iteration ("sweep") visits the coordinates 0, 1, ..., n-1 in turn and minimizes f along
// that axis with Boost.Math's Brent minimizer (boost::math::tools::brent_find_minima), keeping
// the other coordinates fixed. The minimum next to the current value is first bracketed by
// golden-ratio expansion (clipped to the box; a minimum on a bound is taken exactly), starting
// from a per-coordinate step: `initial_step` at first, then twice that coordinate's last move
// (halved after a search that did not move). A line search moves only to a point better than
// the current one, so f never increases, and the result is the best point evaluated.
//
// It stops on ftol (a sweep decreased f by no more than ftol relative to |f|), xtol (a sweep
// moved no coordinate by more than the line searches' resolution), maxiter or maxfev;
// OptimizerResult::message starts with that word. It converges on separable and mildly
// coupled problems; on strongly coupled ones (Rosenbrock's valley, rotated ill-conditioned
// quadratics) it zig-zags and needs many sweeps, which is the reason LAPQ prefers Powell.
// It is a local method and deterministic (same options, objective and x0 -> same bits).
#include <cstdint>
#include <vector>

#include "qharness/optimizer.hpp"
#include "qharness/params.hpp"

namespace qharness::plugins {

class CoordinateDescentOptimizer : public Optimizer {
 public:
  struct Options {
    // YAML `maxiter`. Maximum number of sweeps over all coordinates. Must be >= 1.
    std::int64_t max_iterations = 1000;
    // YAML `maxfev`. Maximum number of evaluations of f, 0 = unlimited. The run stops right
    // after the evaluation that reaches it and returns the best point seen. Must be >= 0.
    std::int64_t max_function_evaluations = 0;
    // YAML `xtol`. Relative precision of each Brent line search (at most 2^-26, Brent's
    // limit in double); converged ("xtol") when a sweep moved every coordinate by at most
    // xtol * (|x_i| + 1/4). Must be in (0, 1).
    double x_tolerance = 1e-6;
    // YAML `ftol`. Converged ("ftol") when a sweep decreased f by at most
    // ftol * (|f_start| + |f_end|) / 2 + 1e-20. Must be >= 0.
    double f_tolerance = 1e-10;
    // YAML `initial_step`. First trial step of the bracketing along every axis (later steps
    // adapt to each coordinate's moves). Must be > 0 and finite.
    double initial_step = 1.0;
  };

  static std::vector<ParamSpec> param_specs();
  static Options options_from_params(const Params& params);

  CoordinateDescentOptimizer();
  // Throws std::invalid_argument when an option is out of its range (see Options).
  explicit CoordinateDescentOptimizer(const Options& options);

  const Options& options() const { return options_; }

  // Throws std::invalid_argument on malformed bounds. Exceptions of the objective pass through.
  OptimizerResult minimize(const Objective& objective, const std::vector<double>& x0,
                           const Bounds& bounds) override;

 private:
  Options options_;
};

}  // namespace qharness::plugins
