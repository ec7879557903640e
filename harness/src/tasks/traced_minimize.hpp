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
  std::int64_t evaluations = 0;       // calls of value() plus value_and_gradient()
  std::vector<double> trace;          // f at every evaluation, in order
};

TracedMinimum minimize_traced(Optimizer& optimizer, const Objective& objective,
                              std::vector<double> x0, const Bounds& bounds);

}  // namespace qharness
