// Registers the neural-gradient quantizers: luq and the ablations fp4-rdn, fp4-sr, int4-sr
// (gradient_quantizer.hpp says what each does).
#include <qharness/plugin.hpp>

#include "gradient_quantizer.hpp"

namespace {

using namespace qharness;

void register_plugins(Registrar& r) {
  const std::pair<const char*, const char*> formats[] = {
      {"luq", "LUQ: radix-2 FP gradients, stochastic underflow + log-domain stochastic rounding (unbiased)"},
      {"fp4-rdn", "radix-2 FP gradients, round to the nearest power of two (biased ablation)"},
      {"fp4-sr", "radix-2 FP gradients, stochastic rounding, values under the threshold flushed to 0"},
      {"int4-sr", "uniform INT gradients with stochastic rounding (unbiased)"},
  };
  for (const auto& [name, description] : formats) {
    const std::string n = name;
    PluginInfo info{n, description, gradquant::GradientQuantizer::param_specs()};
    // Gradients only: quantize() runs inside backward and is not differentiable (in x or clip).
    info.quantizer.weights = info.quantizer.activations = false;
    r.add_quantizer(info, [n](const Params& p) { return std::make_unique<gradquant::GradientQuantizer>(n, p); });
  }
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
