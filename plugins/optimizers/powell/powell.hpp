#pragma once
// Powell's conjugate-direction method: a derivative-free minimizer for smooth f: R^n -> R,
// within optional box bounds.
//
// The method follows scipy's fmin_powell (itself Numerical Recipes' `powell`):
//   * the direction set starts as the coordinate axes;
//   * one iteration minimizes f along every direction in turn, from where the previous line
//     search ended;
//   * it then tries the extrapolated point 2 x_end - x_start and, under Powell's condition,
//     minimizes along x_end - x_start and lets that direction replace the one along which f
//     decreased most (so the set tends towards mutually conjugate directions without
//     collapsing onto a subspace).
// It stops on ftol (scipy's test on f), xtol (x stalled at the line searches' resolution),
// maxiter or maxfev; OptimizerResult::message starts with that word. ftol and xtol end the
// run only after a sweep along the coordinate axes: when either holds after a sweep along
// updated directions, the set is reset to the axes and the run goes on. (Updated directions
// can be nearly dependent, or blocked by a bound; a point no axis-aligned move improves is
// a minimum of a smooth convex f over the box.) It is a local method: on a multimodal f it
// finds a local minimum, like scipy's.
// Line minimizations use Boost.Math's Brent minimizer (boost::math::tools::brent_find_minima).
// A line bounded on both sides by the box is searched over its whole feasible interval;
// otherwise a minimum is first bracketed by golden-ratio expansion (clipped to the box).
//
// Guarantees: every point handed to the objective lies within the bounds; a line search
// never moves to a point worse than where it started; the result is the best point evaluated
// during the run; the run is deterministic (same options, objective and x0 -> same bits).
#include <cstdint>
#include <vector>

#include "qharness/optimizer.hpp"
#include "qharness/params.hpp"

namespace qharness::plugins {

class PowellOptimizer : public Optimizer {
 public:
  struct Options {
    // YAML `maxiter`. Maximum number of Powell iterations; one iteration is a full sweep of
    // line searches over the direction set (n line searches) plus the extrapolation step.
    // Must be >= 1. Stopping here is reported as "maxiter" and is not convergence.
    std::int64_t max_iterations = 1000;

    // YAML `maxfev`. Maximum number of evaluations of f, 0 = unlimited. The run stops right
    // after the evaluation that reaches it (even inside a line search) and returns the best
    // point seen; it never evaluates f more often than this. Must be >= 0. The default,
    // unlimited, lets maxiter sweeps finish at any dimension. A cap is a different stopping
    // rule: a line search costs about 10-15 evaluations, so a cap below ~15 n per sweep stops
    // a sweep midway, and the directions after that point (in the first sweep: the last
    // coordinates, which never leave x0) are not searched at all. The message then says in
    // which iteration and after how many of its n line searches the run stopped.
    std::int64_t max_function_evaluations = 0;

    // YAML `xtol`. Relative tolerance on x. Each line search locates its step t to within
    // about xtol * |t| + xtol / 4 (Brent's criterion, t in units of the direction vector;
    // Brent cannot resolve better than sqrt(machine epsilon), so values below ~3e-8 act as
    // 3e-8). The run has converged ("xtol") when 3 iterations in a row each moved every
    // coordinate by at most xtol * (|x_i| + 1/4), i.e. stayed within the line searches' own
    // resolution. (One such iteration is not enough: Powell's method can crawl for an
    // iteration or two in a curved valley before its directions adapt.) Must be > 0.
    double x_tolerance = 1e-4;

    // YAML `ftol`. Relative tolerance on f. The run has converged ("ftol") when the sweep of
    // an iteration decreased f by no more than ftol * (|f_start| + |f_end|) / 2 (scipy's
    // test, with an absolute floor of 1e-20 so that f = 0 exactly also converges). On a
    // problem whose minimum is f = 0 this relative test is strict; xtol usually ends those
    // runs. Must be >= 0.
    double f_tolerance = 1e-6;

    // YAML `initial_step`. First trial step of the bracketing, in units of the direction
    // vector: along a coordinate axis, a step of this size in that coordinate; along an
    // extrapolated direction x_end - x_start, a multiple of the last iteration's move (1 =
    // that move again, the point Powell's condition evaluates anyway). A step too small
    // costs about 5 evaluations per factor of 10 while the bracket grows by the golden
    // ratio; one too large costs Brent a few more iterations to narrow down. On a line with
    // several minima it influences which one is found. Unused on lines that the box bounds
    // on both sides. Must be > 0 and finite.
    double initial_step = 1.0;
  };

  // The options as the YAML declares them (names, types, defaults, one-line docs).
  static std::vector<ParamSpec> param_specs();
  // Options from a Params that holds every key of param_specs() (as the driver passes it).
  static Options options_from_params(const Params& params);

  PowellOptimizer();
  // Throws std::invalid_argument when an option is out of its range (see Options).
  explicit PowellOptimizer(const Options& options);

  const Options& options() const { return options_; }

  // Throws std::invalid_argument when a non-empty bound vector's size differs from x0's or a
  // lower bound exceeds its upper bound. Exceptions thrown by the objective pass through.
  OptimizerResult minimize(const Objective& objective, const std::vector<double>& x0,
                           const Bounds& bounds) override;

 private:
  Options options_;
};

}  // namespace qharness::plugins
