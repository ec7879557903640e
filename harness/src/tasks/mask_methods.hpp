#pragma once
// The mask methods of the `masks` and `sparse-train` tasks, by the name the YAML gives
// (`method:`), and what the tasks need around them: which layers are masked, the mask of a
// layer, the optimum a method is measured against, the layer's mask diversity.
//
//   dense           no mask (the unpruned / unmasked reference row)
//   unstructured    magnitude pruning to density n/m (per layer; `global` ranks all layers at once)
//   nm              1-D N:M along the input channels: W is N:M, W^T is not
//   tnm-mcf         transposable N:M, exact (min-cost flow per block)
//   tnm-greedy      transposable N:M, the 2-approximation
//   tnm-exhaustive  transposable N:4, exact by scoring every valid 4x4 pattern
// The algorithms are in plugins/masks/common (the same code as the mask plugins of those names).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "masks/common/mask_spec.hpp"
#include "models/model.hpp"

namespace qharness {

struct MaskMethod {
  std::string name = "tnm-mcf";
  masks::NMSpec spec{4, 8};
  bool global = false;   // unstructured only: one magnitude ranking over every masked layer

  bool dense() const { return name == "dense"; }
  // The constraint the method's masks meet (not for dense).
  masks::MaskPattern pattern() const;
};

// Every method name, "dense" first.
std::vector<std::string> mask_method_names();

// Adds the keys method, n, m to a task's block (defaults: `default_method`, 4:8).
void add_mask_method_keys(SchemaNode& block, const std::string& default_method);
// Reads them from `block` ("masks", "sparse-train.mask"); validates n:m (the error names the block).
MaskMethod read_mask_method(const ResolvedConfig& cfg, const std::string& block);

// The masked layers: every quantization-aware layer but those `skip` names (names or first/last).
std::vector<NamedQuantLayer> masked_layers(QModel& model, const std::vector<std::string>& skip);

// The method's masks for these weights (bool, each weight's shape). Global unstructured ranks
// them together; every other method is per weight.
std::vector<at::Tensor> compute_masks(const MaskMethod& method, const std::vector<at::Tensor>& weights);

// The best kept magnitude the method's constraint allows, i.e. what kept_ratio divides by:
//   unstructured  the n/m largest |w| (per layer, or over all layers when global): the method itself;
//   nm            the n largest |w| of every group of m inputs, exactly (per-group top-N);
//   tnm-*         the exact transposable optimum, by the min-cost-flow solver (tnm-mcf);
//   dense         every weight.
// Returns one value per weight (global unstructured: each layer's share of the global optimum).
// `method_masks` are the method's own masks: reused where the method is its own optimum
// (unstructured, nm, tnm-mcf) instead of solving again.
std::vector<double> optimal_kept_magnitudes(const MaskMethod& method, const std::vector<at::Tensor>& weights,
                                            const std::vector<at::Tensor>& method_masks);

// log10 of the number of masks of `pattern` at n:m a weight of this shape admits (exact counts,
// mask_diversity.hpp). NaN where the shape does not tile into whole groups (nm: inputs not a
// multiple of m; transposable: inputs or outputs not multiples of m; unstructured: numel not a
// multiple of m): the counts are defined for whole groups only.
double log10_layer_diversity(masks::MaskPattern pattern, const masks::NMSpec& spec, const at::Tensor& weight);

}  // namespace qharness
