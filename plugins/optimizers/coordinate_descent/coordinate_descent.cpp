#include "coordinate_descent.hpp"

#include <boost/math/tools/minima.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "plugins/optimizers/common/bounded_objective.hpp"

namespace qharness::plugins {
namespace {

using optimizer_common::BoxBounds;
using optimizer_common::TrackedObjective;

constexpr double kGolden = 1.618033988749895;
constexpr int kMaxExpansions = 80;  // 1.618^80 ~ 5e16 initial steps: far beyond any useful scale

// Thrown by the evaluation budget; caught in minimize(), never escapes.
struct BudgetExhausted {};

class Evaluator {
 public:
  Evaluator(TrackedObjective& tracked, std::int64_t max_evaluations)
      : tracked_(tracked), max_evaluations_(max_evaluations) {}
  double operator()(const std::vector<double>& x) {
    const double f = tracked_.value(x);
    if (max_evaluations_ > 0 && tracked_.evaluations() >= max_evaluations_) throw BudgetExhausted{};
    return f;
  }

 private:
  TrackedObjective& tracked_;
  std::int64_t max_evaluations_;
};

// Minimizes along coordinate i from x (f(x) = fx). Returns the best (value, f) found, which is
// (x[i], fx) when nothing better was seen.
std::pair<double, double> line_search(Evaluator& evaluate, std::vector<double>& x, double fx,
                                      std::size_t i, const BoxBounds& box, double step,
                                      int brent_bits) {
  const double origin = x[i];
  const double lo = box.lower[i];
  const double hi = box.upper[i];
  double best_t = origin;
  double best_f = fx;
  auto g = [&](double t) {
    x[i] = t;
    const double f = evaluate(x);
    x[i] = origin;
    if (f < best_f) {
      best_f = f;
      best_t = t;
    }
    // NaN is treated as +inf inside the search (the driver stops a NaN run before this).
    return std::isnan(f) ? std::numeric_limits<double>::infinity() : f;
  };

  // Bracket: find a < b < c (within the box) with f(b) <= f(a), f(c), or hit a bound. Brent
  // then searches [a, c]; a tight bracket keeps it on the minimum next to the current point
  // (Boost's Brent starts at the upper end, not at b, so a wide bracket holding several minima
  // could lead it to a worse one; a line search only ever accepts an improvement anyway).
  double a = origin;
  double c = origin;
  double fb = fx;
  double t = std::clamp(origin + step, lo, hi);
  double ft = t != origin ? g(t) : fb;
  double direction = 1.0;
  if (!(ft < fb)) {
    const double back = std::clamp(origin - step, lo, hi);
    const double fback = back != origin ? g(back) : fb;
    if (!(fback < fb)) {
      // The origin is lower than both neighbours: [back, t] brackets a minimum.
      a = std::min(back, t);
      c = std::max(back, t);
      if (a < c) boost::math::tools::brent_find_minima(g, a, c, brent_bits);
      return {best_t, best_f};
    }
    direction = -1.0;
    t = back;
    ft = fback;
  }
  // Downhill along `direction`: expand until f rises again or a bound stops us.
  double previous = origin;
  double b = t;
  fb = ft;
  for (int k = 0; k < kMaxExpansions; ++k) {
    const double bound = direction > 0 ? hi : lo;
    if (b == bound) return {best_t, best_f};  // the minimum along this axis is on the bound
    const double next = std::clamp(b + kGolden * (b - previous), lo, hi);
    const double fnext = g(next);
    if (fnext > fb) {
      a = std::min(previous, next);
      c = std::max(previous, next);
      boost::math::tools::brent_find_minima(g, a, c, brent_bits);
      return {best_t, best_f};
    }
    previous = b;
    b = next;
    fb = fnext;
  }
  return {best_t, best_f};  // still descending after kMaxExpansions: keep the best point seen
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("coordinate-descent: " + what);
}

}  // namespace

std::vector<ParamSpec> CoordinateDescentOptimizer::param_specs() {
  const Options d;
  return {
      {"maxiter", ParamType::Int, d.max_iterations,
       "maximum number of sweeps over all coordinates, >= 1", {}, false, 1.0, std::nullopt},
      {"maxfev", ParamType::Int, d.max_function_evaluations,
       "maximum number of evaluations of f, 0 = unlimited; stops with the best point seen", {},
       false, 0.0, std::nullopt},
      {"xtol", ParamType::Double, d.x_tolerance,
       "relative precision of each Brent line search; converged when a sweep moves x less", {},
       false, std::nullopt, std::nullopt},
      {"ftol", ParamType::Double, d.f_tolerance,
       "relative tolerance on f: converged when a sweep decreases f less", {}, false, 0.0,
       std::nullopt},
      {"initial_step", ParamType::Double, d.initial_step,
       "first trial step of the bracketing along each axis; later steps follow each coordinate's moves", {}, false,
       std::nullopt, std::nullopt},
  };
}

CoordinateDescentOptimizer::Options CoordinateDescentOptimizer::options_from_params(
    const Params& params) {
  Options o;
  o.max_iterations = params.get_int("maxiter");
  o.max_function_evaluations = params.get_int("maxfev");
  o.x_tolerance = params.get_double("xtol");
  o.f_tolerance = params.get_double("ftol");
  o.initial_step = params.get_double("initial_step");
  return o;
}

CoordinateDescentOptimizer::CoordinateDescentOptimizer() : CoordinateDescentOptimizer(Options{}) {}

CoordinateDescentOptimizer::CoordinateDescentOptimizer(const Options& options) : options_(options) {
  check(options_.max_iterations >= 1, "maxiter must be >= 1, got " + std::to_string(options_.max_iterations));
  check(options_.max_function_evaluations >= 0,
        "maxfev must be >= 0, got " + std::to_string(options_.max_function_evaluations));
  check(options_.x_tolerance > 0.0 && options_.x_tolerance < 1.0,
        "xtol must be in (0, 1), got " + std::to_string(options_.x_tolerance));
  check(options_.f_tolerance >= 0.0 && std::isfinite(options_.f_tolerance),
        "ftol must be finite and >= 0, got " + std::to_string(options_.f_tolerance));
  check(options_.initial_step > 0.0 && std::isfinite(options_.initial_step),
        "initial_step must be finite and > 0, got " + std::to_string(options_.initial_step));
}

OptimizerResult CoordinateDescentOptimizer::minimize(const Objective& objective,
                                                     const std::vector<double>& x0,
                                                     const Bounds& bounds) {
  const std::size_t n = x0.size();
  check(n >= 1, "x0 is empty");
  const BoxBounds box = BoxBounds::from(bounds, n);
  TrackedObjective tracked(objective);
  Evaluator evaluate(tracked, options_.max_function_evaluations);
  // Brent's tolerance is 2^(1 - bits) relative; it cannot resolve better than sqrt(epsilon).
  const int brent_bits = std::clamp(
      static_cast<int>(std::ceil(1.0 - std::log2(options_.x_tolerance))), 4,
      std::numeric_limits<double>::digits / 2);

  OptimizerResult result;
  std::vector<double> x = box.clamp(x0);
  try {
    double fx = evaluate(x);
    // Per-coordinate bracketing step: twice the coordinate's last move (halved after a line
    // search that did not move), so brackets follow the scale of the problem as it converges.
    std::vector<double> step(n, options_.initial_step);
    for (;;) {
      const double f_start = fx;
      bool moved = false;
      for (std::size_t i = 0; i < n; ++i) {
        const auto [t, ft] = line_search(evaluate, x, fx, i, box, step[i], brent_bits);
        const double floor_step = options_.x_tolerance * (std::abs(x[i]) + 0.25);
        if (ft < fx) {
          if (std::abs(t - x[i]) > floor_step) moved = true;
          step[i] = std::max(2.0 * std::abs(t - x[i]), floor_step);
          x[i] = t;
          fx = ft;
        } else {
          step[i] = std::max(step[i] / 2.0, floor_step);
        }
      }
      ++result.iterations;
      const double decrease = f_start - fx;
      if (decrease <= options_.f_tolerance * (std::abs(f_start) + std::abs(fx)) / 2.0 + 1e-20) {
        result.converged = true;
        result.message = "ftol: a sweep decreased f by " + std::to_string(decrease);
        break;
      }
      if (!moved) {
        result.converged = true;
        result.message = "xtol: a sweep moved no coordinate beyond the line searches' precision";
        break;
      }
      if (result.iterations >= options_.max_iterations) {
        result.message = "maxiter: stopped after maxiter = " +
                         std::to_string(options_.max_iterations) + " sweeps without meeting ftol or xtol";
        break;
      }
    }
  } catch (const BudgetExhausted&) {
    result.message = "maxfev: stopped after maxfev = " +
                     std::to_string(options_.max_function_evaluations) + " evaluations";
  }
  result.x = tracked.best_x();
  result.f = tracked.best_f();
  result.message += " (" + optimizer_common::count_of(result.iterations, "sweep") + ", " +
                    optimizer_common::count_of(tracked.evaluations(), "evaluation") + ")";
  return result;
}

}  // namespace qharness::plugins
