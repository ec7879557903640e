// Registers the `nlopt-bobyqa` optimizer with the driver.
#include <memory>

#include "nlopt_bobyqa.hpp"
#include "qharness/plugin.hpp"

namespace {

void register_plugins(qharness::Registrar& registrar) {
  using qharness::plugins::NloptBobyqaOptimizer;
  registrar.add_optimizer(
      {"nlopt-bobyqa",
       "Powell's BOBYQA through NLopt: derivative-free quadratic-model trust region, native box bounds",
       NloptBobyqaOptimizer::param_specs()},
      [](const qharness::Params& params) -> std::unique_ptr<qharness::Optimizer> {
        return std::make_unique<NloptBobyqaOptimizer>(NloptBobyqaOptimizer::options_from_params(params));
      });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
