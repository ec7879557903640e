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

struct PluginInfo {
  std::string name;                // as written in the YAML, e.g. "powell"
  std::string description;         // one line for `qharness plugins`
  std::vector<ParamSpec> params;   // the options it takes (besides the common ones)
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
