#include "tasks/traced_minimize.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/text.hpp"

namespace qharness {
namespace {

std::string describe_point(const std::vector<double>& x) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < x.size() && i < 8; ++i) parts.push_back(format_double(x[i]));
  if (x.size() > 8) parts.push_back("...");
  return "[" + join(parts, ", ") + "]";
}

}  // namespace

TracedMinimum minimize_traced(Optimizer& optimizer, const Objective& objective, std::vector<double> x0,
                              const Bounds& bounds) {
  TracedMinimum out;
  auto record = [&out](double f, const std::vector<double>& x) {
    ++out.evaluations;
    out.trace.push_back(f);
    if (!std::isfinite(f))
      throw NonFiniteLoss(std::string("the loss is ") + (std::isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf") + " at evaluation " + std::to_string(out.evaluations) +
                          ", x = " + describe_point(x));
    return f;
  };
  Objective traced;
  traced.value = [&](const std::vector<double>& x) { return record(objective.value(x), x); };
  if (objective.value_and_gradient)
    traced.value_and_gradient = [&](const std::vector<double>& x, std::vector<double>& g) {
      return record(objective.value_and_gradient(x, g), x);
    };
  for (std::size_t i = 0; i < x0.size(); ++i) {
    if (i < bounds.lower.size()) x0[i] = std::max(x0[i], bounds.lower[i]);
    if (i < bounds.upper.size()) x0[i] = std::min(x0[i], bounds.upper[i]);
  }
  out.result = optimizer.minimize(traced, x0, bounds);
  return out;
}

}  // namespace qharness
