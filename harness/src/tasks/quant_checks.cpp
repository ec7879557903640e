#include "tasks/quant_checks.hpp"

#include <exception>
#include <utility>
#include <vector>

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

// The active slots of `which` whose quantizer does not declare clip_gradient: (plugin, slot path).
std::vector<std::pair<std::string, std::string>> without_clip_gradient(const ResolvedConfig& cfg,
                                                                       const PluginCatalog& plugins, QuantSlots which) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const SlotRole& s : kSlots) {
    const PluginSelection* sel = active(cfg, s, which);
    if (!sel) continue;
    const PluginInfo* info = plugins.find(PluginKind::Quantizer, sel->name);
    if (info && !info->quantizer.clip_gradient) out.emplace_back(sel->name, s.path);
  }
  return out;
}

// Thrown by the probe's objective when an optimizer keeps going: not a std::exception, so that
// the probe tells it from a refusal.
struct ProbeBudgetSpent {};

// Minimizes (x0 - 1.3)^2 + 2 (x1 - 0.7)^2 in [0.1, 2]^2 from (1, 1), with the gradient or
// without; "" when the optimizer ran (or was stopped by the probe's budget), else its message.
std::string probe_minimize(const PluginRegistry& plugins, const PluginSelection& selection, bool with_gradient) {
  constexpr int kBudget = 2000;
  int evaluations = 0;
  auto value = [&](const std::vector<double>& x) {
    if (++evaluations > kBudget) throw ProbeBudgetSpent{};
    return (x[0] - 1.3) * (x[0] - 1.3) + 2.0 * (x[1] - 0.7) * (x[1] - 0.7);
  };
  Objective f;
  f.value = value;
  if (with_gradient)
    f.value_and_gradient = [&](const std::vector<double>& x, std::vector<double>& g) {
      g = {2.0 * (x[0] - 1.3), 4.0 * (x[1] - 0.7)};
      return value(x);
    };
  try {
    plugins.make_optimizer(selection)->minimize(f, {1.0, 1.0}, Bounds{{0.1, 0.1}, {2.0, 2.0}});
    return "";
  } catch (const ProbeBudgetSpent&) {
    return "";
  } catch (const std::exception& e) {
    return std::string(e.what()).empty() ? "refused" : e.what();
  }
}

// For a trial that runs the clip search with ptq.optimizer; `why` is the setting that runs it
// ("ptq.method is lapq").
void check_search_gradient(const ResolvedConfig& cfg, const PluginRegistry& plugins, const OriginLookup& origin_of,
                           const std::string& why, std::vector<std::string>& errors) {
  // The search gets the clip gradient only when every quantized slot's plugin declares it
  // (PtqCalibrator::clip_gradient).
  std::string without;
  for (const auto& [name, path] : without_clip_gradient(cfg, plugins, {true, true, false}))
    without += (without.empty() ? "" : " and ") + ("quantizer '" + name + "' (" + path + ")");
  if (without.empty() || !cfg.plugins.count("ptq.optimizer")) return;
  const PluginSelection& optimizer = cfg.plugin("ptq.optimizer");
  const std::string refusal = probe_minimize(plugins, optimizer, false);
  // Refused with the gradient too: not about the gradient; the trial says what it is.
  if (refusal.empty() || !probe_minimize(plugins, optimizer, true).empty()) return;
  errors.push_back(where(origin_of, "ptq.optimizer.name") + "ptq.optimizer: " + why + ", and optimizer '" +
                   optimizer.name + "' refuses to minimize without the loss's gradient in the clips (\"" + refusal +
                   "\"), which the search cannot give: " + without +
                   " does not declare clip_gradient. Choose an optimizer that needs no gradient "
                   "(`qharness plugins` lists them) or its gradient-free setting");
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
  return [which](const ResolvedConfig& cfg, const PluginRegistry& plugins, const OriginLookup& origin_of,
                 std::vector<std::string>& errors) { check_quant_roles(cfg, plugins, origin_of, which, errors); };
}

void check_clip_gradient(const ResolvedConfig& cfg, const PluginCatalog& plugins, const OriginLookup& origin_of,
                         QuantSlots which, const std::string& key, const std::string& need,
                         const std::string& instead, std::vector<std::string>& errors) {
  for (const auto& [name, path] : without_clip_gradient(cfg, plugins, which))
    errors.push_back(where(origin_of, key) + key + ": " + need + ", and quantizer '" + name + "' (" + path +
                     ") does not declare clip_gradient: its quantize() is not differentiable in the clip; " + instead);
}

void check_clip_search(const ResolvedConfig& cfg, const PluginRegistry& plugins, const OriginLookup& origin_of,
                       const std::string& key, std::vector<std::string>& errors) {
  check_quant_roles(cfg, plugins, origin_of, {true, true, false}, errors);
  if (cfg.get_string(key) == "lapq") check_search_gradient(cfg, plugins, origin_of, key + " is lapq", errors);
}

TaskCheck clip_search_check(const std::string& key) {
  return [key](const ResolvedConfig& cfg, const PluginRegistry& plugins, const OriginLookup& origin_of,
               std::vector<std::string>& errors) { check_clip_search(cfg, plugins, origin_of, key, errors); };
}

}  // namespace qharness
