// Registers the `ceres` optimizer with the driver.
#include <memory>

#include "ceres_lbfgs.hpp"
#include "qharness/plugin.hpp"

namespace {

void register_plugins(qharness::Registrar& registrar) {
  using qharness::plugins::CeresOptimizer;
  registrar.add_optimizer(
      {"ceres",
       "L-BFGS by Ceres' GradientProblemSolver; numeric or analytic gradient; box bounds by MINUIT's transformations",
       CeresOptimizer::param_specs()},
      [](const qharness::Params& params) -> std::unique_ptr<qharness::Optimizer> {
        return std::make_unique<CeresOptimizer>(CeresOptimizer::options_from_params(params));
      });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
