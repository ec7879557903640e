#include "nlopt_bobyqa.hpp"

#include <nlopt.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <string>

#include "plugins/optimizers/common/bounded_objective.hpp"

namespace qharness::plugins {
namespace {

using optimizer_common::BoxBounds;
using optimizer_common::TrackedObjective;

struct CallbackState {
  TrackedObjective* tracked;
  std::size_t n;  // the problem's own dimension (NLopt may see one more, inert variable)
  std::exception_ptr error;
};

// NLopt's C++ wrapper turns an exception of the objective into a generic failure and loses
// its type, so the objective's exception is kept here, NLopt is stopped, and minimize()
// rethrows it unchanged.
double nlopt_objective(unsigned, const double* x, double*, void* data) {
  auto* state = static_cast<CallbackState*>(data);
  try {
    return state->tracked->value(std::vector<double>(x, x + state->n));
  } catch (...) {
    state->error = std::current_exception();
    throw nlopt::forced_stop();
  }
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("nlopt-bobyqa: " + what);
}

std::string describe(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS: return "success: NLopt reported success";
    case nlopt::STOPVAL_REACHED: return "stopval: the stop value was reached";
    case nlopt::FTOL_REACHED: return "ftol: the relative change of f fell below ftol";
    case nlopt::XTOL_REACHED: return "xtol: the relative change of x fell below xtol";
    case nlopt::MAXEVAL_REACHED: return "maxfev: the evaluation budget is spent";
    case nlopt::MAXTIME_REACHED: return "maxtime: the time budget is spent";
    default: return "nlopt: result code " + std::to_string(static_cast<int>(r));
  }
}

}  // namespace

std::vector<ParamSpec> NloptBobyqaOptimizer::param_specs() {
  const Options d;
  return {
      {"maxfev", ParamType::Int, d.max_function_evaluations,
       "maximum number of evaluations of f (NLopt maxeval), 0 = unlimited", {}, false, 0.0,
       std::nullopt},
      {"xtol", ParamType::Double, d.x_tolerance,
       "NLopt xtol_rel: stop when a step changes every x_i by less than xtol |x_i|", {}, false,
       0.0, std::nullopt},
      {"ftol", ParamType::Double, d.f_tolerance,
       "NLopt ftol_rel: stop when a step changes f by less than ftol |f|", {}, false, 0.0,
       std::nullopt},
      {"initial_step", ParamType::Double, d.initial_step,
       "initial trust-region radius; 0 = NLopt's heuristic", {}, false, 0.0, std::nullopt},
  };
}

NloptBobyqaOptimizer::Options NloptBobyqaOptimizer::options_from_params(const Params& params) {
  Options o;
  o.max_function_evaluations = params.get_int("maxfev");
  o.x_tolerance = params.get_double("xtol");
  o.f_tolerance = params.get_double("ftol");
  o.initial_step = params.get_double("initial_step");
  return o;
}

NloptBobyqaOptimizer::NloptBobyqaOptimizer() : NloptBobyqaOptimizer(Options{}) {}

NloptBobyqaOptimizer::NloptBobyqaOptimizer(const Options& options) : options_(options) {
  check(options_.max_function_evaluations >= 0,
        "maxfev must be >= 0, got " + std::to_string(options_.max_function_evaluations));
  check(options_.x_tolerance >= 0.0, "xtol must be >= 0, got " + std::to_string(options_.x_tolerance));
  check(options_.f_tolerance >= 0.0, "ftol must be >= 0, got " + std::to_string(options_.f_tolerance));
  check(options_.initial_step >= 0.0 && std::isfinite(options_.initial_step),
        "initial_step must be finite and >= 0, got " + std::to_string(options_.initial_step));
  check(options_.max_function_evaluations > 0 || options_.x_tolerance > 0.0 ||
            options_.f_tolerance > 0.0,
        "maxfev, xtol and ftol are all 0: the run would never stop");
}

OptimizerResult NloptBobyqaOptimizer::minimize(const Objective& objective,
                                               const std::vector<double>& x0,
                                               const Bounds& bounds) {
  const std::size_t n = x0.size();
  check(n >= 1, "x0 is empty");
  const BoxBounds box = BoxBounds::from(bounds, n);
  TrackedObjective tracked(objective);
  CallbackState state{&tracked, n, nullptr};

  const std::size_t dim = std::max<std::size_t>(n, 2);
  std::vector<double> lower = box.lower, upper = box.upper, x = box.clamp(x0);
  // The inert variable of a 1-D problem: bounded in [-1, 1], so BOBYQA's model stays finite.
  lower.resize(dim, -1.0);
  upper.resize(dim, 1.0);
  x.resize(dim, 0.0);

  nlopt::opt opt(nlopt::LN_BOBYQA, static_cast<unsigned>(dim));
  opt.set_lower_bounds(lower);
  opt.set_upper_bounds(upper);
  opt.set_min_objective(nlopt_objective, &state);
  opt.set_maxeval(static_cast<int>(options_.max_function_evaluations));
  opt.set_xtol_rel(options_.x_tolerance);
  opt.set_ftol_rel(options_.f_tolerance);
  if (options_.initial_step > 0.0) opt.set_initial_step(options_.initial_step);

  OptimizerResult result;
  double f = 0.0;
  nlopt::result code = nlopt::FAILURE;
  try {
    code = opt.optimize(x, f);
  } catch (const nlopt::forced_stop&) {
    if (state.error) std::rethrow_exception(state.error);
    throw std::runtime_error("nlopt-bobyqa: NLopt stopped without a reason");
  } catch (const nlopt::roundoff_limited&) {
    // NLopt's "roundoff limited": f can no longer be improved at double precision; the best
    // point so far is the answer.
    code = nlopt::SUCCESS;
    result.message = "roundoff: NLopt's progress was limited by rounding; ";
  } catch (const std::exception& e) {
    if (state.error) std::rethrow_exception(state.error);
    throw std::runtime_error(std::string("nlopt-bobyqa: NLopt failed: ") + e.what());
  }
  if (state.error) std::rethrow_exception(state.error);
  result.message += describe(code);
  result.converged = code == nlopt::SUCCESS || code == nlopt::FTOL_REACHED ||
                     code == nlopt::XTOL_REACHED || code == nlopt::STOPVAL_REACHED;
  result.iterations = tracked.evaluations();  // BOBYQA does one evaluation per iteration
  result.x = tracked.best_x();
  result.f = tracked.best_f();
  result.message += " (" + optimizer_common::count_of(tracked.evaluations(), "evaluation") + ")";
  return result;
}

}  // namespace qharness::plugins
