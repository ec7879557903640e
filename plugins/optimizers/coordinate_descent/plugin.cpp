// Registers the `coordinate-descent` optimizer with the driver.
#include <memory>

#include "coordinate_descent.hpp"
#include "qharness/plugin.hpp"

namespace {

void register_plugins(qharness::Registrar& registrar) {
  using qharness::plugins::CoordinateDescentOptimizer;
  registrar.add_optimizer(
      {"coordinate-descent",
       "cyclic coordinate descent: a Brent line search per coordinate (Boost.Math), box bounds",
       CoordinateDescentOptimizer::param_specs()},
      [](const qharness::Params& params) -> std::unique_ptr<qharness::Optimizer> {
        return std::make_unique<CoordinateDescentOptimizer>(
            CoordinateDescentOptimizer::options_from_params(params));
      });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
