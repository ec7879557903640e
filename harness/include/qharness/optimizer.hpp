#pragma once
// Optimizer plugins: minimize f: R^n -> R from x0, within optional box bounds, optionally
// using a gradient.
//
// The driver wraps the objective before it reaches the plugin: it counts evaluations, keeps
// the trace (one f value per evaluation) and stops a run whose f turns NaN/Inf, so a plugin
// only minimizes. An implementation must be deterministic for a given Params and objective.
// The driver stops a run by throwing from the objective: let exceptions from `value` and
// `value_and_gradient` propagate out of minimize() (no catch (...) that swallows them).
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "qharness/params.hpp"

namespace qharness {

struct Objective {
  // f(x). Always present.
  std::function<double(const std::vector<double>& x)> value;
  // f(x) and its gradient written into `gradient` (resized by the callee). May be empty: a
  // plugin that needs a gradient then falls back to finite differences or refuses by throwing
  // from minimize() (before the sweep, the driver asks each clip-search optimizer whether it
  // minimizes a small quadratic without a gradient; docs/plugins.md, "Traits").
  std::function<double(const std::vector<double>& x, std::vector<double>& gradient)>
      value_and_gradient;
};

// Box constraints; an empty vector means unbounded on that side. Infinite entries are allowed.
struct Bounds {
  std::vector<double> lower;
  std::vector<double> upper;
  bool empty() const { return lower.empty() && upper.empty(); }
};

struct OptimizerResult {
  std::vector<double> x;                                   // the best point found
  double f = std::numeric_limits<double>::quiet_NaN();     // f(x)
  std::int64_t iterations = 0;                             // the method's own outer iterations
  bool converged = false;                                  // a tolerance was met (not a budget)
  std::string message;                                     // why it stopped, for the log
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // x0 lies within the bounds (the driver clamps it).
  virtual OptimizerResult minimize(const Objective& objective, const std::vector<double>& x0,
                                   const Bounds& bounds) = 0;
};

}  // namespace qharness
