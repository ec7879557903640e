#pragma once
// Runs an optimizer plugin on an objective while the harness keeps the books: it counts
// evaluations, records f at each one (the loss trace), clamps x0 into the bounds, and stops
// the run with NonFiniteLoss the moment f is NaN or infinite, so that a trial fails with a
// reason instead of optimizing garbage.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "qharness/optimizer.hpp"

namespace qharness {

class NonFiniteLoss : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TracedMinimum {
  OptimizerResult result;
  std::vector<double> x0;             // the start, clamped into the bounds
  std::int64_t evaluations = 0;       // calls of value() plus value_and_gradient()
  // The two kinds apart: a value_and_gradient() call costs a forward and a backward pass (about
  // 3x a forward on the quantized models), so evaluation counts of a derivative-free and a
  // gradient method are not comparable; wall_s is.
  std::int64_t function_evaluations = 0;   // value() calls
  std::int64_t gradient_evaluations = 0;   // value_and_gradient() calls
  double wall_s = 0.0;                // seconds spent in optimizer.minimize()
  std::vector<double> trace;          // f at every evaluation, in order
};

TracedMinimum minimize_traced(Optimizer& optimizer, const Objective& objective,
                              std::vector<double> x0, const Bounds& bounds);

// The fraction of coordinates where `x` differs from `x0` (exactly: an optimizer that never
// searched a coordinate leaves it bit-identical); 0 for empty vectors.
double moved_fraction(const std::vector<double>& x0, const std::vector<double>& x);

}  // namespace qharness
