#include "tasks/quant_checks.hpp"

namespace qharness {
namespace {

struct SlotRole {
  const char* path;
  TensorRole role;
  bool QuantSlots::*used;
};

const SlotRole kSlots[] = {
    {"quant.weights", TensorRole::Weight, &QuantSlots::weights},
    {"quant.activations", TensorRole::Activation, &QuantSlots::activations},
    {"quant.gradients", TensorRole::Gradient, &QuantSlots::gradients},
};

std::string where(const OriginLookup& origin_of, const std::string& path) {
  const std::string w = origin_of(path).where();
  return w.empty() ? "" : w + ": ";
}

// The slot's selection when the task uses it and it quantizes (bits < 32), else nullptr.
const PluginSelection* active(const ResolvedConfig& cfg, const SlotRole& s, QuantSlots which) {
  if (!(which.*s.used) || !cfg.plugins.count(s.path)) return nullptr;
  const PluginSelection& sel = cfg.plugin(s.path);
  return sel.params.get_int("bits") < 32 ? &sel : nullptr;
}

}  // namespace

void check_quant_roles(const ResolvedConfig& cfg, const PluginCatalog& plugins, const OriginLookup& origin_of,
                       QuantSlots which, std::vector<std::string>& errors) {
  for (const SlotRole& s : kSlots) {
    const PluginSelection* sel = active(cfg, s, which);
    if (!sel) continue;
    const PluginInfo* info = plugins.find(PluginKind::Quantizer, sel->name);
    if (!info || info->quantizer.serves(s.role)) continue;   // an unknown name is the schema's error
    const std::string key = std::string(s.path) + ".quantizer";
    errors.push_back(where(origin_of, key) + key + ": quantizer '" + sel->name + "' does not serve " +
                     to_string(s.role) + "s (it declares: " + served_roles(info->quantizer) +
                     "); `qharness plugins -v` lists what each quantizer serves");
  }
}

TaskCheck quant_roles_check(QuantSlots which) {
  return [which](const ResolvedConfig& cfg, const PluginCatalog& plugins, const OriginLookup& origin_of,
                 std::vector<std::string>& errors) { check_quant_roles(cfg, plugins, origin_of, which, errors); };
}

void check_clip_gradient(const ResolvedConfig& cfg, const PluginCatalog& plugins, const OriginLookup& origin_of,
                         QuantSlots which, const std::string& key, const std::string& need,
                         const std::string& instead, std::vector<std::string>& errors) {
  for (const SlotRole& s : kSlots) {
    const PluginSelection* sel = active(cfg, s, which);
    if (!sel) continue;
    const PluginInfo* info = plugins.find(PluginKind::Quantizer, sel->name);
    if (!info || info->quantizer.clip_gradient) continue;
    errors.push_back(where(origin_of, key) + key + ": " + need + ", and quantizer '" + sel->name + "' (" + s.path +
                     ") does not declare clip_gradient: its quantize() is not differentiable in the clip; " + instead);
  }
}

}  // namespace qharness
