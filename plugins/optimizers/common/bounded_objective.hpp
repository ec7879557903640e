#pragma once
// Bookkeeping shared by the optimizer plugins `ceres`, `coordinate-descent` and `nlopt-bobyqa`
// (header-only: each plugin library compiles its own copy).
//
// BoxBounds checks a Bounds against x0 and fills in +-infinity where a side is unbounded.
// TrackedObjective wraps an Objective: it counts evaluations and remembers the best point it
// was asked for, so that a plugin returns the best point evaluated (like `powell`), whatever
// the underlying library reports as its final iterate.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "qharness/optimizer.hpp"

namespace qharness::plugins::optimizer_common {

struct BoxBounds {
  std::vector<double> lower;  // -inf where unbounded
  std::vector<double> upper;  // +inf where unbounded

  // Throws std::invalid_argument when a non-empty bound vector's size differs from n, a bound
  // is NaN, or a lower bound exceeds its upper bound.
  static BoxBounds from(const Bounds& bounds, std::size_t n) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    BoxBounds box;
    box.lower.assign(n, -kInf);
    box.upper.assign(n, kInf);
    auto take = [n](const std::vector<double>& given, std::vector<double>& into, const char* side) {
      if (given.empty()) return;
      if (given.size() != n)
        throw std::invalid_argument(std::string(side) + " bounds have " +
                                    std::to_string(given.size()) + " entries, but x0 has " +
                                    std::to_string(n));
      for (std::size_t i = 0; i < n; ++i) {
        if (std::isnan(given[i]))
          throw std::invalid_argument(std::string(side) + " bound " + std::to_string(i) + " is NaN");
        into[i] = given[i];
      }
    };
    take(bounds.lower, box.lower, "lower");
    take(bounds.upper, box.upper, "upper");
    for (std::size_t i = 0; i < n; ++i)
      if (box.lower[i] > box.upper[i])
        throw std::invalid_argument("lower bound " + std::to_string(box.lower[i]) +
                                    " exceeds upper bound " + std::to_string(box.upper[i]) +
                                    " for variable " + std::to_string(i));
    return box;
  }

  bool bounded(std::size_t i) const { return std::isfinite(lower[i]) || std::isfinite(upper[i]); }

  // x moved into the box (the driver already clamps x0; this guards direct callers).
  std::vector<double> clamp(std::vector<double> x) const {
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i] < lower[i]) x[i] = lower[i];
      if (x[i] > upper[i]) x[i] = upper[i];
    }
    return x;
  }
};

class TrackedObjective {
 public:
  explicit TrackedObjective(const Objective& objective) : objective_(objective) {
    if (!objective_.value) throw std::invalid_argument("the objective has no value function");
  }

  bool has_gradient() const { return static_cast<bool>(objective_.value_and_gradient); }

  double value(const std::vector<double>& x) { return record(x, objective_.value(x)); }

  double value_and_gradient(const std::vector<double>& x, std::vector<double>& gradient) {
    const double f = objective_.value_and_gradient(x, gradient);
    if (gradient.size() != x.size())
      throw std::runtime_error("the objective's gradient has " + std::to_string(gradient.size()) +
                               " entries for " + std::to_string(x.size()) + " variables");
    return record(x, f);
  }

  std::int64_t evaluations() const { return evaluations_; }
  bool any() const { return evaluations_ > 0; }
  const std::vector<double>& best_x() const { return best_x_; }
  double best_f() const { return best_f_; }

 private:
  double record(const std::vector<double>& x, double f) {
    ++evaluations_;
    // The first point is always kept; afterwards only strict improvements (NaN never wins).
    if (evaluations_ == 1 || f < best_f_) {
      best_f_ = f;
      best_x_ = x;
    }
    return f;
  }

  const Objective& objective_;
  std::int64_t evaluations_ = 0;
  std::vector<double> best_x_;
  double best_f_ = std::numeric_limits<double>::quiet_NaN();
};

// "1 evaluation", "3 evaluations".
inline std::string count_of(std::int64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

}  // namespace qharness::plugins::optimizer_common
