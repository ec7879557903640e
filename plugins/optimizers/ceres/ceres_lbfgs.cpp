#include "ceres_lbfgs.hpp"

#include <ceres/gradient_problem.h>
#include <ceres/gradient_problem_solver.h>
#include <ceres/iteration_callback.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>

#include "plugins/optimizers/common/bounded_objective.hpp"

namespace qharness::plugins {
namespace {

using optimizer_common::BoxBounds;
using optimizer_common::TrackedObjective;

// MINUIT's bounded <-> unbounded transformation of every variable (see the header).
class BoxTransform {
 public:
  explicit BoxTransform(const BoxBounds& box) : box_(box) {}

  double to_x(std::size_t i, double z) const {
    const double l = box_.lower[i], u = box_.upper[i];
    double x;
    if (std::isfinite(l) && std::isfinite(u)) x = l + (u - l) * (std::sin(z) + 1.0) / 2.0;
    else if (std::isfinite(l)) x = l - 1.0 + std::sqrt(z * z + 1.0);
    else if (std::isfinite(u)) x = u + 1.0 - std::sqrt(z * z + 1.0);
    else return z;
    return std::clamp(x, l, u);
  }

  double dx_dz(std::size_t i, double z) const {
    const double l = box_.lower[i], u = box_.upper[i];
    if (std::isfinite(l) && std::isfinite(u)) return (u - l) * std::cos(z) / 2.0;
    if (std::isfinite(l)) return z / std::sqrt(z * z + 1.0);
    if (std::isfinite(u)) return -z / std::sqrt(z * z + 1.0);
    return 1.0;
  }

  // The inverse, after moving x off the bounds where the derivative vanishes.
  double to_z(std::size_t i, double x) const {
    const double l = box_.lower[i], u = box_.upper[i];
    if (std::isfinite(l) && std::isfinite(u)) {
      if (l == u) return 0.0;  // fixed variable: x = l whatever z
      const double margin = 1e-6 * (u - l);
      x = std::clamp(x, l + margin, u - margin);
      return std::asin(std::clamp(2.0 * (x - l) / (u - l) - 1.0, -1.0, 1.0));
    }
    if (std::isfinite(l)) {
      x = std::max(x, l + 1e-6 * std::max(1.0, std::abs(l)));
      const double s = x - l + 1.0;
      return std::sqrt(s * s - 1.0);
    }
    if (std::isfinite(u)) {
      x = std::min(x, u - 1e-6 * std::max(1.0, std::abs(u)));
      const double s = u - x + 1.0;
      return std::sqrt(s * s - 1.0);
    }
    return x;
  }

  std::vector<double> x_of(const double* z, std::size_t n) const {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = to_x(i, z[i]);
    return x;
  }

 private:
  const BoxBounds& box_;
};

// f(T(z)) and its gradient in z, for Ceres. An exception of the objective is kept (Ceres is
// not written to unwind through) and rethrown after Solve; from then on every evaluation
// fails and the callback below aborts the solver.
class TransformedFunction : public ceres::FirstOrderFunction {
 public:
  TransformedFunction(TrackedObjective& tracked, const BoxTransform& transform, std::size_t n,
                      const CeresOptimizer::Options& options, std::exception_ptr& error)
      : tracked_(tracked), transform_(transform), n_(n), options_(options), error_(error) {}

  int NumParameters() const override { return static_cast<int>(n_); }

  bool Evaluate(const double* z, double* cost, double* gradient) const override {
    if (error_) return false;
    try {
      const std::vector<double> x = transform_.x_of(z, n_);
      if (gradient == nullptr) {
        *cost = tracked_.value(x);
      } else if (options_.gradient == CeresOptimizer::Gradient::Analytic) {
        std::vector<double> gx;
        *cost = tracked_.value_and_gradient(x, gx);
        for (std::size_t i = 0; i < n_; ++i) gradient[i] = gx[i] * transform_.dx_dz(i, z[i]);
      } else {
        *cost = tracked_.value(x);
        std::vector<double> zz(z, z + n_);
        for (std::size_t i = 0; i < n_; ++i) {
          const double h = options_.fd_step * std::max(1.0, std::abs(z[i]));
          zz[i] = z[i] + h;
          const double f_plus = tracked_.value(transform_.x_of(zz.data(), n_));
          zz[i] = z[i] - h;
          const double f_minus = tracked_.value(transform_.x_of(zz.data(), n_));
          zz[i] = z[i];
          gradient[i] = (f_plus - f_minus) / (2.0 * h);
        }
      }
      return std::isfinite(*cost);
    } catch (...) {
      error_ = std::current_exception();
      return false;
    }
  }

 private:
  TrackedObjective& tracked_;
  const BoxTransform& transform_;
  std::size_t n_;
  const CeresOptimizer::Options& options_;
  std::exception_ptr& error_;
};

class AbortOnError : public ceres::IterationCallback {
 public:
  explicit AbortOnError(const std::exception_ptr& error) : error_(error) {}
  ceres::CallbackReturnType operator()(const ceres::IterationSummary&) override {
    return error_ ? ceres::SOLVER_ABORT : ceres::SOLVER_CONTINUE;
  }

 private:
  const std::exception_ptr& error_;
};

// The iteration whose line search returned a zero step (Ceres' sign of a failed Wolfe search
// that it does not report as a failure), or null.
const ceres::IterationSummary* zero_step(const ceres::GradientProblemSolver::Summary& summary) {
  for (std::size_t i = 1; i < summary.iterations.size(); ++i)
    if (summary.iterations[i].step_size == 0.0) return &summary.iterations[i];
  return nullptr;
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("ceres: " + what);
}

}  // namespace

std::vector<ParamSpec> CeresOptimizer::param_specs() {
  const Options d;
  ParamSpec gradient{"gradient", ParamType::String, std::string("numeric"),
                     "numeric: central differences (2n evaluations per gradient); analytic: the "
                     "objective's gradient (LAPQ: autograd through the straight-through estimator)",
                     {"numeric", "analytic"}};
  return {
      gradient,
      {"maxiter", ParamType::Int, d.max_iterations, "maximum number of L-BFGS iterations, >= 1",
       {}, false, 1.0, std::nullopt},
      {"ftol", ParamType::Double, d.f_tolerance,
       "Ceres function_tolerance: converged when |df| / f < ftol", {}, false, 0.0, std::nullopt},
      {"gtol", ParamType::Double, d.gradient_tolerance,
       "Ceres gradient_tolerance (on the box-transformed variables)", {}, false, 0.0, std::nullopt},
      {"xtol", ParamType::Double, d.x_tolerance,
       "Ceres parameter_tolerance (on the box-transformed variables)", {}, false, 0.0,
       std::nullopt},
      {"lbfgs_rank", ParamType::Int, d.lbfgs_rank, "correction pairs kept by L-BFGS, >= 1", {},
       false, 1.0, std::nullopt},
      {"fd_step", ParamType::Double, d.fd_step,
       "numeric gradient: central-difference step relative to max(1, |z|)", {}, false,
       std::nullopt, std::nullopt},
  };
}

CeresOptimizer::Options CeresOptimizer::options_from_params(const Params& params) {
  Options o;
  o.gradient = params.get_string("gradient") == "analytic" ? Gradient::Analytic : Gradient::Numeric;
  o.max_iterations = params.get_int("maxiter");
  o.f_tolerance = params.get_double("ftol");
  o.gradient_tolerance = params.get_double("gtol");
  o.x_tolerance = params.get_double("xtol");
  o.lbfgs_rank = params.get_int("lbfgs_rank");
  o.fd_step = params.get_double("fd_step");
  return o;
}

CeresOptimizer::CeresOptimizer() : CeresOptimizer(Options{}) {}

CeresOptimizer::CeresOptimizer(const Options& options) : options_(options) {
  check(options_.max_iterations >= 1, "maxiter must be >= 1, got " + std::to_string(options_.max_iterations));
  check(options_.f_tolerance >= 0.0, "ftol must be >= 0, got " + std::to_string(options_.f_tolerance));
  check(options_.gradient_tolerance >= 0.0,
        "gtol must be >= 0, got " + std::to_string(options_.gradient_tolerance));
  check(options_.x_tolerance >= 0.0, "xtol must be >= 0, got " + std::to_string(options_.x_tolerance));
  check(options_.lbfgs_rank >= 1, "lbfgs_rank must be >= 1, got " + std::to_string(options_.lbfgs_rank));
  check(options_.fd_step > 0.0 && std::isfinite(options_.fd_step),
        "fd_step must be finite and > 0, got " + std::to_string(options_.fd_step));
}

OptimizerResult CeresOptimizer::minimize(const Objective& objective, const std::vector<double>& x0,
                                         const Bounds& bounds) {
  const std::size_t n = x0.size();
  check(n >= 1, "x0 is empty");
  const BoxBounds box = BoxBounds::from(bounds, n);
  TrackedObjective tracked(objective);
  if (options_.gradient == Gradient::Analytic && !tracked.has_gradient())
    throw std::invalid_argument(
        "ceres: gradient: analytic needs an objective with a gradient (value_and_gradient), "
        "and this one has none; use gradient: numeric");
  const BoxTransform transform(box);

  std::vector<double> z(n);
  for (std::size_t i = 0; i < n; ++i) z[i] = transform.to_z(i, std::clamp(x0[i], box.lower[i], box.upper[i]));

  std::exception_ptr error;
  ceres::GradientProblem problem(new TransformedFunction(tracked, transform, n, options_, error));
  AbortOnError abort_on_error(error);
  ceres::GradientProblemSolver::Options solver_options;
  solver_options.line_search_direction_type = ceres::LBFGS;
  solver_options.max_lbfgs_rank = static_cast<int>(options_.lbfgs_rank);
  solver_options.max_num_iterations = static_cast<int>(options_.max_iterations);
  solver_options.function_tolerance = options_.f_tolerance;
  solver_options.gradient_tolerance = options_.gradient_tolerance;
  solver_options.parameter_tolerance = options_.x_tolerance;
  solver_options.max_solver_time_in_seconds = std::numeric_limits<double>::max();
  solver_options.logging_type = ceres::SILENT;
  solver_options.minimizer_progress_to_stdout = false;
  solver_options.callbacks.push_back(&abort_on_error);
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(solver_options, problem, z.data(), &summary);
  if (error) std::rethrow_exception(error);

  OptimizerResult result;
  result.iterations = static_cast<std::int64_t>(summary.iterations.empty() ? 0 : summary.iterations.size() - 1);
  if (const ceres::IterationSummary* stalled = zero_step(summary)) {
    // Ceres' Wolfe search gave up (its bracket shrank below the tolerance without a lower f)
    // and returned step 0, which its minimizer then reports as "Parameter tolerance reached",
    // i.e. CONVERGENCE. No tolerance was met by the iterates: the gradient promised a descent
    // that f did not show.
    result.converged = false;
    const std::string tried = optimizer_common::count_of(stalled->line_search_function_evaluations, "trial step");
    if (stalled->iteration == 1)
      result.message = "failed: the line search found no f below f(x0) along the gradient's descent direction (" +
                       tried + "): the gradient disagrees with f at x0 (is it f's derivative, or a "
                       "straight-through estimate?); the result is x0";
    else
      result.message = "stalled: the line search found no lower f in iteration " + std::to_string(stalled->iteration) +
                       " (" + tried + "): the gradient's precision limit (numeric gradient near a minimum) or "
                       "a gradient that is not f's derivative";
  } else {
    result.converged = summary.termination_type == ceres::CONVERGENCE;
    switch (summary.termination_type) {
      case ceres::CONVERGENCE: result.message = "converged: "; break;
      case ceres::NO_CONVERGENCE: result.message = "maxiter: "; break;
      default: result.message = "failed: "; break;
    }
    result.message += summary.message;
  }
  if (!tracked.any()) {  // Ceres gave up before evaluating anything (cannot happen with n >= 1)
    result.x = box.clamp(x0);
    result.f = objective.value(result.x);
  } else {
    result.x = tracked.best_x();
    result.f = tracked.best_f();
  }
  result.message += " (" + optimizer_common::count_of(result.iterations, "iteration") + ", " +
                    optimizer_common::count_of(tracked.evaluations(), "evaluation") + ")";
  return result;
}

}  // namespace qharness::plugins
