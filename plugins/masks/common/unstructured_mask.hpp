#pragma once
// Unstructured magnitude pruning at density N/M: keep the unstructured_keep_count() largest |w|.
// Ties go to the lower flat index (a stable sort), so the mask is deterministic.
#include <ATen/core/Tensor.h>

#include <vector>

#include "masks/common/mask_spec.hpp"

namespace qharness::masks {

// Per layer: the largest |w| of this one tensor.
at::Tensor unstructured_mask(const at::Tensor& weight, const NMSpec& spec);

// Global: one magnitude ranking over all the tensors together (a layer may end up denser or
// sparser than N/M; the total kept count is unstructured_keep_count of the total size). The
// Mask interface sees one weight at a time, so the `unstructured` plugin is per layer; the
// masks task calls this for `global`.
std::vector<at::Tensor> global_unstructured_masks(const std::vector<at::Tensor>& weights, const NMSpec& spec);

}  // namespace qharness::masks
