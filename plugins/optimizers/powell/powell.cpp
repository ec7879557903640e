#include "powell.hpp"

#include <boost/math/tools/minima.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace qharness::plugins {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Growth factor of the bracketing steps, as in Numerical Recipes' mnbrak and scipy's bracket.
constexpr double kGoldenRatio = 1.618033988749895;

// A line along which f still decreases after this many expansions (the step has then grown
// by kGoldenRatio^100 ~ 8e20 times initial_step) is treated as unbounded below: the line
// search stops and keeps the best point it found, instead of stepping towards infinity.
constexpr int kMaxBracketExpansions = 100;

// Boost's Brent wants an iteration cap. Golden-section steps alone shrink any interval the
// bracketing can produce (<= ~1e21 wide) down to 1e-8 in ~150 iterations, so this cap only
// ends searches that have gone wrong (a NaN step, see LineFunction).
constexpr std::uintmax_t kMaxBrentIterations = 500;

// How many iterations in a row must stay within the xtol resolution before the run counts as
// converged on xtol (see the test in minimize()).
constexpr std::int64_t kStalledIterationsForXtol = 3;

// Absolute floor of the ftol test, so that an iteration from f = 0 to f = 0 converges.
constexpr double kFtolFloor = 1e-20;

// Thrown by Evaluator right after the evaluation that uses up maxfev, and caught in
// minimize(). An exception is the only way to leave Boost's Brent in the middle of a search.
struct EvaluationBudgetExhausted {};

// Comparisons treat NaN as +infinity so that a NaN never becomes "better" than a number.
// (The driver already stops a run whose f is NaN or infinite; this only keeps the plugin
// sane when it is used on its own.)
double comparable(double f) { return std::isnan(f) ? kInfinity : f; }

// Calls f, counts the calls, keeps the best point seen and enforces maxfev.
class Evaluator {
 public:
  Evaluator(const Objective& objective, std::int64_t max_evaluations)
      : objective_(objective), max_evaluations_(max_evaluations) {}

  double operator()(const std::vector<double>& x) {
    const double f = objective_.value(x);
    ++evaluations_;
    if (evaluations_ == 1 || comparable(f) < comparable(best_f_)) {
      best_x_ = x;
      best_f_ = f;
    }
    if (max_evaluations_ > 0 && evaluations_ >= max_evaluations_) throw EvaluationBudgetExhausted{};
    return f;
  }

  std::int64_t evaluations() const { return evaluations_; }
  const std::vector<double>& best_x() const { return best_x_; }
  double best_f() const { return best_f_; }

 private:
  const Objective& objective_;
  std::int64_t max_evaluations_;  // 0 = unlimited
  std::int64_t evaluations_ = 0;
  std::vector<double> best_x_;
  double best_f_ = std::numeric_limits<double>::quiet_NaN();
};

// The box as two full-length vectors, +-infinity where a side is unbounded.
struct Box {
  std::vector<double> lower;
  std::vector<double> upper;

  static Box from_bounds(const Bounds& bounds, std::size_t n) {
    auto side = [n](const std::vector<double>& given, double unbounded, const char* name) {
      if (given.empty()) return std::vector<double>(n, unbounded);
      if (given.size() != n) {
        throw std::invalid_argument("powell: " + std::string(name) + " bounds have " +
                                    std::to_string(given.size()) + " entries, x has " +
                                    std::to_string(n));
      }
      return given;
    };
    Box box{side(bounds.lower, -kInfinity, "lower"), side(bounds.upper, kInfinity, "upper")};
    for (std::size_t i = 0; i < n; ++i) {
      // `!(lower <= upper)` also rejects a NaN bound.
      if (!(box.lower[i] <= box.upper[i])) {
        std::ostringstream message;
        message << "powell: bounds of x[" << i << "] are empty or NaN: [" << box.lower[i]
                << ", " << box.upper[i] << "]";
        throw std::invalid_argument(message.str());
      }
    }
    return box;
  }

  void clamp(std::vector<double>& x) const {
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::min(std::max(x[i], lower[i]), upper[i]);
  }

  // The bound of coordinate i that origin + t * direction meets first as t grows from 0
  // (forward) or falls from 0 (backward); +-infinity when that side is unbounded.
  double bound_met(std::size_t i, double direction_i, bool forward) const {
    return (direction_i > 0) == forward ? upper[i] : lower[i];
  }

  // The steps t for which origin + t * direction stays in the box, as [t_min, t_max] with
  // t_min <= 0 <= t_max (origin is in the box). Either end may be infinite.
  std::pair<double, double> step_range(const std::vector<double>& origin,
                                       const std::vector<double>& direction) const {
    double t_min = -kInfinity;
    double t_max = kInfinity;
    for (std::size_t i = 0; i < origin.size(); ++i) {
      if (direction[i] == 0.0) continue;
      t_min = std::max(t_min, (bound_met(i, direction[i], false) - origin[i]) / direction[i]);
      t_max = std::min(t_max, (bound_met(i, direction[i], true) - origin[i]) / direction[i]);
    }
    // Rounding cannot push 0 out of the range: the origin is feasible.
    return {std::min(t_min, 0.0), std::max(t_max, 0.0)};
  }
};

// f along the line origin + t * direction, restricted to the steps [t_min, t_max] that keep
// the point in the box. Remembers every step it evaluated, so that Brent's first call (at
// its interval's upper end, usually a bracket point already evaluated) and the extrapolated
// point cost nothing, and keeps the best step seen (step 0 included).
class LineFunction {
 public:
  LineFunction(Evaluator& evaluate, const Box& box, const std::vector<double>& origin,
               const std::vector<double>& direction, double f_origin)
      : evaluate_(evaluate), box_(box), origin_(origin), direction_(direction) {
    std::tie(t_min_, t_max_) = box.step_range(origin, direction);
    evaluated_.push_back({0.0, comparable(f_origin)});
    best_ = evaluated_.front();
  }

  double t_min() const { return t_min_; }
  double t_max() const { return t_max_; }

  // f at step t, NaN mapped to +infinity (Brent and the bracketing compare values).
  double operator()(double t) {
    // A NaN step (Brent fed infinite values) would be a NaN point: not evaluable, not in
    // the box. Report it as the worst value so the search moves away from it.
    if (std::isnan(t)) return kInfinity;
    for (const StepValue& known : evaluated_)
      if (known.step == t) return known.f;
    const double f = comparable(evaluate_(point(t)));
    evaluated_.push_back({t, f});
    // Strictly better only: on ties the earlier step wins, so the origin (step 0, first in
    // the list) is kept unless something is really lower.
    if (f < best_.f) best_ = {t, f};
    return f;
  }

  // origin + t * direction. At an end of the step range the coordinates that reach their
  // bound there are set to it exactly (x + ((b - x) / d) * d is b only up to rounding), so
  // that a minimum on the boundary is reported on it; the clamp removes any other rounding
  // excess, so the point is always in the box.
  std::vector<double> point(double t) const {
    std::vector<double> x(origin_.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = origin_[i] + t * direction_[i];
    if (t != 0.0 && (t == t_min_ || t == t_max_)) {
      const bool forward = t > 0.0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (direction_[i] == 0.0) continue;
        const double bound = box_.bound_met(i, direction_[i], forward);
        if ((bound - origin_[i]) / direction_[i] == t) x[i] = bound;
      }
    }
    box_.clamp(x);
    return x;
  }

  double best_step() const { return best_.step; }
  double best_f() const { return best_.f; }

 private:
  struct StepValue {
    double step;
    double f;
  };
  Evaluator& evaluate_;
  const Box& box_;
  const std::vector<double>& origin_;
  const std::vector<double>& direction_;
  double t_min_ = 0.0;
  double t_max_ = 0.0;
  std::vector<StepValue> evaluated_;
  StepValue best_{0.0, kInfinity};
};

// The interval handed to Brent, by its two ends. Boost's Brent starts at the upper end of
// its interval and takes its first golden-section point 0.382 of the way to the lower end;
// `start` is the end it should start from (the search is mirrored when start < other), chosen
// so that this first point is where the best interior point is known to be.
struct BrentInterval {
  double start;
  double other;
};

// Brackets a minimum of `line` on [t_min, t_max] starting from step 0 (already evaluated,
// value f0): golden-ratio expansion downhill, clipped to the range. Returns nothing when f
// kept decreasing for kMaxBracketExpansions steps (the line search then keeps the best step
// found).
std::optional<BrentInterval> bracket_minimum(LineFunction& line, double t_min, double t_max,
                                             double initial_step, double f0) {
  // a, b: two steps with f(b) <= f(a); the search moves downhill from a through b.
  double a = 0.0;
  double b = t_max > 0.0 ? std::min(initial_step, t_max) : std::max(-initial_step, t_min);
  double fb = line(b);
  if (fb > f0) {
    // Uphill that way: search the other way from step 0. The minimum may also lie between
    // 0 and the first trial step, which the final bracket [c, first trial] still covers.
    std::swap(a, b);
    fb = f0;
  }
  for (int expansion = 0; expansion < kMaxBracketExpansions; ++expansion) {
    const double c = std::clamp(b + kGoldenRatio * (b - a), t_min, t_max);
    // b sits on the box boundary and f still decreased towards it: the minimum over the
    // feasible part of the line lies in [a, b], b included. Brent starts from b (already
    // evaluated) and works back towards a.
    if (c == b) return BrentInterval{b, a};
    const double fc = line(c);
    // f(b) <= f(a) and f(b) <= f(c): [a, c] brackets a minimum. Stopping on equality too
    // keeps a flat line from expanding forever. b lies 1 / (1 + golden ratio) = 0.382 of the
    // way from a to c (unless c was clipped), so starting Brent from a makes its first point
    // (nearly) b: it then works from the best point, like Numerical Recipes' brent.
    if (fc >= fb) return BrentInterval{a, c};
    a = b;
    b = c;
    fb = fc;
  }
  return std::nullopt;
}

// Minimizes `line` over its feasible steps; the result is in line.best_step() and
// line.best_f(), never worse than step 0 (whose value is f0).
void minimize_along_line(LineFunction& line, double f0, const PowellOptimizer::Options& options,
                         int brent_bits) {
  const double t_min = line.t_min();
  const double t_max = line.t_max();
  if (t_min == 0.0 && t_max == 0.0) return;  // the box pins x along this direction

  // Bounded on both sides: the whole feasible interval. Otherwise: a bracket first.
  BrentInterval interval{t_max, t_min};
  if (!std::isfinite(t_min) || !std::isfinite(t_max)) {
    const auto bracket = bracket_minimum(line, t_min, t_max, options.initial_step, f0);
    if (!bracket) return;
    interval = *bracket;
  }
  // Brent runs on s = orientation * t (orientation = +-1) so that its interval's upper end is
  // interval.start (negation is exact: remembered steps are still recognized). It never
  // evaluates its lower end and may end on a point worse than one the bracketing found;
  // LineFunction keeps the best of all steps, step 0 included, so the outcome is never worse
  // than the start.
  const double orientation = interval.start >= interval.other ? 1.0 : -1.0;
  std::uintmax_t max_iterations = kMaxBrentIterations;
  boost::math::tools::brent_find_minima(
      [&line, orientation](double s) { return line(orientation * s); },
      orientation * interval.other, orientation * interval.start, brent_bits, max_iterations);
}

// Boost's Brent stops when the step is known to within 2^(1 - bits) * |t| + 2^(-1 - bits);
// the smallest `bits` with 2^(1 - bits) <= xtol. Boost caps bits at half the mantissa (26
// for double): Brent cannot locate a minimum more precisely than sqrt(epsilon).
int brent_bits_for(double x_tolerance) {
  const double bits = 1.0 + std::ceil(-std::log2(x_tolerance));
  const double max_bits = std::numeric_limits<double>::digits / 2;
  return static_cast<int>(std::clamp(bits, 1.0, max_bits));
}

// One optional option with a default (no choices, not required).
// `min` bounds the value so that the driver refuses an impossible option before any trial runs.
ParamSpec option_spec(std::string name, ParamType type, ParamValue default_value, std::string doc,
                      std::optional<double> min) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.default_value = std::move(default_value);
  spec.doc = std::move(doc);
  spec.min = min;
  return spec;
}

// "1 iteration", "3 iterations".
std::string count_of(std::int64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

std::string format_number(double value) {
  std::ostringstream out;
  out.precision(3);
  out << value;
  return out.str();
}

}  // namespace

std::vector<ParamSpec> PowellOptimizer::param_specs() {
  const Options defaults;
  return {
      option_spec("maxiter", ParamType::Int, defaults.max_iterations,
                  "maximum number of Powell iterations (sweeps over the direction set)", 1.0),
      option_spec("maxfev", ParamType::Int, defaults.max_function_evaluations,
                  "maximum number of evaluations of f, 0 = unlimited; stops with the best point "
                  "seen", 0.0),
      option_spec("xtol", ParamType::Double, defaults.x_tolerance,
                  "relative tolerance on x: line-search precision; converged when 3 iterations "
                  "in a row move x less", 0.0),
      option_spec("ftol", ParamType::Double, defaults.f_tolerance,
                  "relative tolerance on f: converged when an iteration decreases f less", 0.0),
      option_spec("initial_step", ParamType::Double, defaults.initial_step,
                  "first trial step of the line-search bracketing, in units of the direction "
                  "(the coordinate axes at first)", 0.0),
  };
}

PowellOptimizer::Options PowellOptimizer::options_from_params(const Params& params) {
  Options options;
  options.max_iterations = params.get_int("maxiter");
  options.max_function_evaluations = params.get_int("maxfev");
  options.x_tolerance = params.get_double("xtol");
  options.f_tolerance = params.get_double("ftol");
  options.initial_step = params.get_double("initial_step");
  return options;
}

PowellOptimizer::PowellOptimizer() : PowellOptimizer(Options()) {}

PowellOptimizer::PowellOptimizer(const Options& options) : options_(options) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("powell: " + what);
  };
  require(options.max_iterations >= 1,
          "maxiter must be >= 1, got " + std::to_string(options.max_iterations));
  require(options.max_function_evaluations >= 0,
          "maxfev must be >= 0 (0 = unlimited), got " +
              std::to_string(options.max_function_evaluations));
  // The comparisons are written so that NaN fails them.
  require(options.x_tolerance > 0.0 && std::isfinite(options.x_tolerance),
          "xtol must be > 0 and finite, got " + format_number(options.x_tolerance));
  require(options.f_tolerance >= 0.0 && std::isfinite(options.f_tolerance),
          "ftol must be >= 0 and finite, got " + format_number(options.f_tolerance));
  require(options.initial_step > 0.0 && std::isfinite(options.initial_step),
          "initial_step must be > 0 and finite, got " + format_number(options.initial_step));
}

OptimizerResult PowellOptimizer::minimize(const Objective& objective,
                                          const std::vector<double>& x0, const Bounds& bounds) {
  const std::size_t n = x0.size();
  const Box box = Box::from_bounds(bounds, n);
  const int brent_bits = brent_bits_for(options_.x_tolerance);
  Evaluator evaluate(objective, options_.max_function_evaluations);

  OptimizerResult result;
  // Where the current iteration is, so that a maxfev stop can say what it cut short: the line
  // searches of the sweep finished so far (n once the sweep is done and the extrapolation
  // step runs). A sweep cut short leaves its remaining directions unsearched, which in the
  // first sweep means coordinates that never left x0.
  std::size_t line_searches_done = 0;
  try {
    // The driver clamps x0 already; clamping again keeps the "every point in the box"
    // guarantee for direct callers.
    std::vector<double> x = x0;
    box.clamp(x);
    double fx = comparable(evaluate(x));

    // Moves x to the best point a line search found and returns the displacement (zero
    // when the search stayed at x). The line's origin is x itself, so the new point is
    // computed before x changes.
    auto move_to_best = [&](const LineFunction& line) {
      std::vector<double> displacement(n, 0.0);
      if (line.best_step() == 0.0) return displacement;
      std::vector<double> x_new = line.point(line.best_step());
      for (std::size_t i = 0; i < n; ++i) displacement[i] = x_new[i] - x[i];
      x = std::move(x_new);
      fx = line.best_f();
      return displacement;
    };

    // The direction set, one direction per row. It starts as the coordinate axes and goes
    // back to them whenever a stopping test holds after a sweep along other directions: see
    // "Confirming convergence" below.
    std::vector<std::vector<double>> directions;
    bool directions_are_axes = false;
    auto reset_directions_to_axes = [&] {
      directions.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        directions[i].assign(n, 0.0);
        directions[i][i] = 1.0;
      }
      directions_are_axes = true;
    };
    reset_directions_to_axes();

    // Whether no coordinate moved from `from` to `to` by more than the line searches'
    // resolution, xtol * |x_i| + xtol / 4 (Brent's criterion along a coordinate axis).
    auto within_resolution = [&](const std::vector<double>& from, const std::vector<double>& to) {
      for (std::size_t i = 0; i < n; ++i) {
        if (!(std::abs(to[i] - from[i]) <= options_.x_tolerance * (std::abs(from[i]) + 0.25)))
          return false;
      }
      return true;
    };

    // Confirming convergence: both tests below say that the sweep found (almost) nothing
    // better along any direction of the set. That means a minimum only if the directions
    // span every way downhill. Powell's updated directions need not: they can become nearly
    // linearly dependent, and with bounds a mixed direction is blocked as soon as one of
    // its coordinates sits on its bound (x then stalls on a face or an edge of the box far
    // from the constrained minimum; random convex quadratics in boxes stopped so in about a
    // quarter of the runs). So a test that holds after a sweep along updated directions
    // resets the set to the coordinate axes, and only a sweep along the axes can end the run:
    // a point that no axis-aligned move improves is a minimum of a smooth convex f over a
    // box, and in general a point where every partial derivative vanishes or points out of
    // the box.
    std::int64_t stalled_iterations = 0;  // consecutive, see the xtol test
    while (true) {
      line_searches_done = 0;
      const std::vector<double> x_start = x;
      const double f_start = fx;
      const bool sweep_along_axes = directions_are_axes;

      // One sweep: a line search along every direction, each from where the last ended.
      // Remember the direction along which f decreased most, the candidate for replacement.
      double largest_decrease = 0.0;
      std::size_t largest_decrease_index = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double f_before = fx;
        LineFunction line(evaluate, box, x, directions[i], fx);
        minimize_along_line(line, fx, options_, brent_bits);
        move_to_best(line);
        ++line_searches_done;
        if (f_before - fx > largest_decrease) {
          largest_decrease = f_before - fx;
          largest_decrease_index = i;
        }
      }
      ++result.iterations;

      // ftol (scipy's test): the sweep decreased f by a negligible fraction of |f|. Only
      // from a finite f: from +inf (a NaN start, see comparable()) any finite f would pass.
      const double f_decrease = f_start - fx;
      const double f_scale = std::abs(f_start) + std::abs(fx);
      const bool within_ftol = std::isfinite(f_start) &&
                               2.0 * f_decrease <= options_.f_tolerance * f_scale + kFtolFloor;
      if (within_ftol && sweep_along_axes) {
        result.converged = true;
        result.message = "ftol: the last iteration decreased f by " + format_number(f_decrease) +
                         ", within ftol = " + format_number(options_.f_tolerance) +
                         " relative to |f|";
        break;
      }
      if (result.iterations >= options_.max_iterations) {
        result.message = "maxiter: stopped after maxiter = " +
                         std::to_string(options_.max_iterations) +
                         " iterations without meeting ftol or xtol";
        break;
      }
      if (within_ftol) {
        reset_directions_to_axes();  // confirm along the axes (see above)
        continue;
      }

      // Extrapolation: the sweep's overall move as a candidate direction, tried first at the
      // extrapolated point x_end + (x_end - x_start), shortened to stay in the box.
      std::vector<double> overall_move(n);
      for (std::size_t i = 0; i < n; ++i) overall_move[i] = x[i] - x_start[i];
      LineFunction line(evaluate, box, x, overall_move, fx);
      const double f_extrapolated = line(std::min(1.0, line.t_max()));

      // Powell's condition (Numerical Recipes 10.5, scipy): replace a direction only if the
      // extrapolation goes downhill and the decrease is not mostly due to the direction of
      // largest decrease (replacing it would then make the set nearly linearly dependent).
      if (f_extrapolated < f_start) {
        const double a = f_start - fx - largest_decrease;
        const double b = f_start - f_extrapolated;
        const double condition =
            2.0 * (f_start + f_extrapolated - 2.0 * fx) * a * a - largest_decrease * b * b;
        if (condition < 0.0) {
          // `line` remembers the extrapolated point: the bracketing or Brent reuse it.
          minimize_along_line(line, fx, options_, brent_bits);
          std::vector<double> new_direction = move_to_best(line);
          if (line.best_step() != 0.0) {
            // Drop the direction of largest decrease: the last one takes its slot (nothing
            // to move when it is the last) and the new direction goes last.
            if (largest_decrease_index + 1 != n)
              directions[largest_decrease_index] = std::move(directions.back());
            directions.back() = std::move(new_direction);
            directions_are_axes = false;
          }
        }
      }

      // xtol: the iteration moved no coordinate beyond the line searches' own resolution.
      // One such iteration is not enough: while Powell's method is still building its
      // conjugate directions in a narrow curved valley it can crawl for an iteration or two
      // and then speed up again (5-D Rosenbrock does so at f ~ 3e-5, 1e-2 away from the
      // minimum; stopping at the first stalled iteration ends 2% of random starts there).
      // Requiring kStalledIterationsForXtol in a row makes such a stop unlikely.
      stalled_iterations = within_resolution(x_start, x) ? stalled_iterations + 1 : 0;
      if (stalled_iterations >= kStalledIterationsForXtol) {
        if (sweep_along_axes) {
          result.converged = true;
          result.message = "xtol: the last " + std::to_string(stalled_iterations) +
                           " iterations each moved every x_i by at most xtol * (|x_i| + 1/4), " +
                           "xtol = " + format_number(options_.x_tolerance);
          break;
        }
        reset_directions_to_axes();  // confirm along the axes (see above)
      }
    }
  } catch (const EvaluationBudgetExhausted&) {
    result.converged = false;
    result.message = "maxfev: stopped at maxfev = " +
                     std::to_string(options_.max_function_evaluations) +
                     " function evaluations";
    // Say what the budget cut short: a sweep stopped midway has not searched its remaining
    // directions at all (in the first sweep: coordinates still at x0).
    if (line_searches_done < n) {
      result.message += " in the middle of iteration " + std::to_string(result.iterations + 1) +
                        ", after " + std::to_string(line_searches_done) + " of " +
                        std::to_string(n) + " line searches (the other " +
                        std::to_string(n - line_searches_done) +
                        " directions were not searched in that iteration; raise maxfev or set "
                        "it to 0 to let every sweep finish)";
    } else {
      result.message += " in the extrapolation step after iteration " +
                        std::to_string(result.iterations) + "'s sweep";
    }
    result.message += "; returning the best point seen";
  }

  // The best point evaluated, which may be better than the iteration's x (e.g. an
  // extrapolated point that Powell's condition did not adopt) and is the only meaningful
  // answer when maxfev cut a line search short.
  result.x = evaluate.best_x();
  result.f = evaluate.best_f();
  result.message += " (" + count_of(result.iterations, "iteration") + ", " +
                    count_of(evaluate.evaluations(), "evaluation") + ")";
  return result;
}

}  // namespace qharness::plugins
