// Registers the `powell` optimizer with the driver.
#include <memory>

#include "powell.hpp"
#include "qharness/plugin.hpp"

namespace {

void register_plugins(qharness::Registrar& registrar) {
  using qharness::plugins::PowellOptimizer;
  registrar.add_optimizer(
      {"powell",
       "Powell's conjugate-direction method: derivative-free, Brent line searches, box bounds",
       PowellOptimizer::param_specs()},
      [](const qharness::Params& params) -> std::unique_ptr<qharness::Optimizer> {
        // The driver has validated the types and filled in every default; the constructor
        // checks the ranges.
        return std::make_unique<PowellOptimizer>(PowellOptimizer::options_from_params(params));
      });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
