#include "tasks/traced_minimize.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
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
  traced.value = [&](const std::vector<double>& x) {
    ++out.function_evaluations;
    return record(objective.value(x), x);
  };
  if (objective.value_and_gradient)
    traced.value_and_gradient = [&](const std::vector<double>& x, std::vector<double>& g) {
      ++out.gradient_evaluations;
      return record(objective.value_and_gradient(x, g), x);
    };
  for (std::size_t i = 0; i < x0.size(); ++i) {
    if (i < bounds.lower.size()) x0[i] = std::max(x0[i], bounds.lower[i]);
    if (i < bounds.upper.size()) x0[i] = std::min(x0[i], bounds.upper[i]);
  }
  out.x0 = x0;
  const auto started = std::chrono::steady_clock::now();
  out.result = optimizer.minimize(traced, x0, bounds);
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

double moved_fraction(const std::vector<double>& x0, const std::vector<double>& x) {
  if (x0.size() != x.size()) throw std::logic_error("moved_fraction: the two points differ in size");
  if (x0.empty()) return 0.0;
  std::size_t moved = 0;
  for (std::size_t i = 0; i < x0.size(); ++i) moved += x[i] != x0[i] ? 1 : 0;
  return static_cast<double>(moved) / static_cast<double>(x0.size());
}

}  // namespace qharness
