// Registers the `uniform` quantizer with the driver.
#include <memory>
#include <stdexcept>

#include "qharness/plugin.hpp"
#include "uniform_quantizer.hpp"

namespace {

using qharness::ParamSpec;
using qharness::ParamType;

// `sawb`: the uniform quantizer with SAWB's clip, recomputed from every tensor it sees (the
// forward quantizer of LUQ's 4-bit training: weights signed, activations unsigned). `grid: luq`
// is the LUQ reference code's grid (uniform_grid.hpp), for parity with its numbers. Where
// SAWB's formula gives a clip <= 0 (E|x| / sqrt(E[x^2]) >= c1 / c2: a tensor whose magnitudes
// are nearly all equal) the clip falls back to max|x| (clip_calibration.hpp).
std::vector<ParamSpec> sawb_params() {
  ParamSpec grid{"grid", ParamType::String, std::string("integer"),
                 "integer: zero is a level; reference: LAPQ's (no zero); luq: the LUQ reference code's, signed "
                 "2^M + 1 levels over [-a, a], unsigned [0, 2a] in 2^M - 1 steps, SAWB's clip not capped at the "
                 "largest magnitude",
                 {"integer", "reference", "luq"}};
  ParamSpec c1{"c1", ParamType::Double, std::monostate{}, "SAWB coefficient of sqrt(E[x^2]); default 12.1 at 4 bits"};
  ParamSpec c2{"c2", ParamType::Double, std::monostate{}, "SAWB coefficient of E|x|; default 12.2 at 4 bits"};
  return {grid, c1, c2};
}

std::unique_ptr<qharness::Quantizer> make_sawb(const qharness::Params& p) {
  using namespace qharness::plugins::uniform;
  UniformQuantizer::Options o;
  o.bits = p.get_int("bits");
  o.per_channel = p.get_string("granularity") == "per-channel";
  o.stochastic = p.get_string("rounding") == "stochastic";
  const std::string grid = p.get_string("grid");
  o.grid = grid == "reference" ? Grid::Reference : grid == "luq" ? Grid::LuqSawb : Grid::Integer;
  o.calibration.method = Calibration::Sawb;
  if (p.has("c1") != p.has("c2")) throw std::invalid_argument("sawb: set both c1 and c2, or neither");
  if (p.has("c1")) {
    o.calibration.sawb_c1 = p.get_double("c1");
    o.calibration.sawb_c2 = p.get_double("c2");
  } else if (o.bits != 4 && o.bits < 32) {
    throw std::invalid_argument("sawb: the default coefficients (12.1, 12.2) are SAWB's for 4 bits; for " +
                                std::to_string(o.bits) + " bits set c1 and c2");
  }
  return std::make_unique<UniformQuantizer>(o);
}

void register_plugins(qharness::Registrar& registrar) {
  using qharness::plugins::uniform::UniformQuantizer;
  qharness::PluginInfo uniform{"uniform",
                               "uniform fake quantization: integer or reference grid; minmax/mse/lp/aciq/percentile "
                               "calibration; straight-through; fast kernel",
                               UniformQuantizer::param_specs()};
  // Every role (with stochastic rounding it is an unbiased gradient quantizer, like int4-sr),
  // and quantize() is twice differentiable in the clip (fake_quant_composed).
  uniform.quantizer.clip_gradient = true;
  registrar.add_quantizer(uniform, [](const qharness::Params& params) -> std::unique_ptr<qharness::Quantizer> {
    return std::make_unique<UniformQuantizer>(UniformQuantizer::options_from_params(params));
  });
  qharness::PluginInfo sawb{"sawb", "uniform with SAWB's clip c1 sqrt(E[x^2]) - c2 E|x| from every tensor (LUQ's INT4 forward)",
                            sawb_params()};
  // SAWB's coefficients are fitted to weight and activation statistics (Choi et al.); LUQ
  // quantizes the gradients with its own formats.
  sawb.quantizer.gradients = false;
  sawb.quantizer.clip_gradient = true;
  registrar.add_quantizer(sawb, make_sawb);
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
