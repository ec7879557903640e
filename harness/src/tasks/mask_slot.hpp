#pragma once
// The mask slot of the `masks` and `sparse-train` tasks: `method:` names any registered mask
// plugin (or `dense`, the unpruned reference row, which the tasks handle themselves); `n`, `m`
// and the plugin's own options sit beside it and are validated from the plugin's ParamSpecs.
// What a task needs to know about the masks (how to check them, the optimum, the diversity, the
// accelerated share) comes from the pattern the plugin declares (qharness/mask.hpp), never from
// its name.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "models/model.hpp"
#include "plugins/plugin_registry.hpp"
#include "qharness/mask.hpp"

namespace qharness {

// The options every mask plugin takes: n and m (keep n of every m; defaults 4:8).
std::vector<ParamSpec> mask_common_params();

// The slot: {method: NAME, n, m, <the plugin's options>} plus the task's own keys `children`.
SchemaNode mask_slot_schema(std::string doc, std::string default_method,
                            std::vector<std::pair<std::string, SchemaNode>> children);

// "" when the selected mask plugin can be built with its options and declares an allowed
// pattern/scope pair (Global needs Unstructured); otherwise why not. The run calls it for
// every mask selection before any trial runs, so a refusal costs nothing.
std::string mask_selection_problem(const PluginSelection& selection, const PluginRegistry& plugins);

// The mask method a trial uses: the plugin built from the slot `path` ("masks",
// "sparse-train.mask"), or dense.
class MaskMethod {
 public:
  MaskMethod(const ResolvedConfig& cfg, const std::string& path, const PluginRegistry& plugins);

  const std::string& name() const { return name_; }
  bool dense() const { return !mask_; }
  const NMSpec& spec() const { return spec_; }
  // The plugin's declared pattern (not for dense) and scope (dense: per layer).
  MaskPattern pattern() const;
  MaskScope scope() const;

  // The plugin's masks of these layers (compute_all), checked for count, shape and dtype: a
  // plugin that breaks the contract is an error naming it and the layer. Dense: all-true masks.
  std::vector<at::Tensor> compute(const std::vector<NamedQuantLayer>& layers) const;

 private:
  std::string name_;
  NMSpec spec_;
  std::unique_ptr<Mask> mask_;
};

// The masked layers: every quantization-aware layer but those `skip` names (names or first/last).
std::vector<NamedQuantLayer> masked_layers(QModel& model, const std::vector<std::string>& skip);

// log10 of the number of masks of `pattern` at n:m a weight of this shape admits (exact counts,
// qharness/masks/mask_diversity.hpp). NaN where the shape does not tile into whole groups (nm:
// inputs not a multiple of m; transposable: inputs or outputs not multiples of m; unstructured:
// numel not a multiple of m): the counts are defined for whole groups only.
double log10_layer_diversity(MaskPattern pattern, const NMSpec& spec, const at::Tensor& weight);

}  // namespace qharness
