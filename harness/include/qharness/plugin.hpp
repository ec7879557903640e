#pragma once
// Writing a plugin: implement Quantizer, Optimizer or Mask, then register it:
//
//   #include <qharness/plugin.hpp>
//   namespace {
//   class MyOptimizer : public qharness::Optimizer { ... };
//   void register_plugins(qharness::Registrar& r) {
//     r.add_optimizer({"my-opt", "one line saying what it is", {/* ParamSpecs */}},
//                     [](const qharness::Params& p) { return std::make_unique<MyOptimizer>(p); });
//   }
//   }  // namespace
//   QHARNESS_PLUGIN(register_plugins)
//
// A quantizer also declares what it serves (QuantizerTraits below): e.g. a gradient-only
// quantizer whose quantize() is not differentiable in the clip:
//   qharness::PluginInfo info{"my-quant", "...", {}};
//   info.quantizer.weights = info.quantizer.activations = false;
//   r.add_quantizer(info, [](const qharness::Params& p) { return std::make_unique<MyQuantizer>(p); });
//
// One library may register several plugins of any kinds. Names are unique per kind across
// all loaded libraries; the driver refuses a second plugin of one kind with one name.
#include <boost/dll/alias.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "qharness/mask.hpp"
#include "qharness/optimizer.hpp"
#include "qharness/params.hpp"
#include "qharness/quantizer.hpp"
#include "qharness/version.hpp"

namespace qharness {

enum class PluginKind { Quantizer, Optimizer, Mask };

inline const char* to_string(PluginKind k) {
  switch (k) {
    case PluginKind::Quantizer: return "quantizer";
    case PluginKind::Optimizer: return "optimizer";
    case PluginKind::Mask: return "mask";
  }
  return "?";
}

// What a quantizer plugin serves, declared when it registers (PluginInfo::quantizer). The
// driver checks every trial against it before any trial runs: a quant: slot whose plugin does
// not serve the slot's role, or a method that needs what the plugin does not declare, is
// refused with exit 2 naming the plugin and why (docs/plugins.md, "Quantizers").
struct QuantizerTraits {
  // The roles it may be put in: quant.weights, quant.activations, quant.gradients (a gradient
  // quantizer runs inside backward, on the gradient with respect to a layer's output).
  bool weights = true;
  bool activations = true;
  bool gradients = true;
  // quantize() is differentiable in `clip`, twice, when clip requires grad (quantizer.hpp).
  // Needed by hessian `method: exact` (a double backward into the clips); LAPQ's optimizer is
  // handed the clip gradient only when every quantized slot declares it.
  bool clip_gradient = false;

  bool serves(TensorRole role) const {
    switch (role) {
      case TensorRole::Weight: return weights;
      case TensorRole::Activation: return activations;
      case TensorRole::Gradient: return gradients;
    }
    return false;
  }
};

// "weights, activations, gradients" (the roles it serves), or "no role".
inline std::string served_roles(const QuantizerTraits& t) {
  std::string s;
  for (TensorRole r : {TensorRole::Weight, TensorRole::Activation, TensorRole::Gradient})
    if (t.serves(r)) s += (s.empty() ? "" : ", ") + std::string(to_string(r)) + "s";
  return s.empty() ? "no role" : s;
}

struct PluginInfo {
  std::string name;                // as written in the YAML, e.g. "powell"
  std::string description;         // one line for `qharness plugins`
  std::vector<ParamSpec> params;   // the options it takes (besides the common ones)
  QuantizerTraits quantizer;       // quantizers only: what it serves (ignored for other kinds)
};

using QuantizerFactory = std::function<std::unique_ptr<Quantizer>(const Params&)>;
using OptimizerFactory = std::function<std::unique_ptr<Optimizer>(const Params&)>;
using MaskFactory = std::function<std::unique_ptr<Mask>(const Params&)>;

// Handed to a library's registration function by the driver.
class Registrar {
 public:
  virtual ~Registrar() = default;
  virtual void add_quantizer(PluginInfo info, QuantizerFactory factory) = 0;
  virtual void add_optimizer(PluginInfo info, OptimizerFactory factory) = 0;
  virtual void add_mask(PluginInfo info, MaskFactory factory) = 0;
};

using RegisterFunction = void(Registrar&);
using ApiVersionFunction = int();

namespace plugin_detail {
// Internal linkage on purpose: every library keeps its own copy, so the dynamic linker can
// never resolve it to the driver's copy and hide a version mismatch.
[[maybe_unused]] static int api_version() { return QHARNESS_API_VERSION; }
}  // namespace plugin_detail

}  // namespace qharness

// Exports the two symbols the driver looks up in a plugin library: the API version it was
// compiled against and its registration function (void fn(qharness::Registrar&)).
// Use once per library, at global scope.
#define QHARNESS_PLUGIN(register_function)                                  \
  BOOST_DLL_ALIAS(qharness::plugin_detail::api_version, qharness_api_version) \
  BOOST_DLL_ALIAS(register_function, qharness_register)
