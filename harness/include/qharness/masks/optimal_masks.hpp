#pragma once
// The reference optimum of each mask pattern: masks of maximum kept magnitude (sum of |w| over
// the kept weights) that satisfy the pattern at n:m. The masks task divides a plugin's kept
// magnitude by this optimum (metric kept_ratio), so the optimum is computed here, by the
// harness, with algorithms of its own, never by the plugin under test:
//   Unstructured  the unstructured_keep_count() largest |w| (stable: ties to the lower index);
//                 Global scope: one ranking over all layers together.
//   NM            per group of m consecutive inputs, the n largest |w| (groups are independent,
//                 so this is exact); a partial group of c < m inputs keeps min(n, c).
//   TransposableNM per m x m block, a maximum-weight b-matching solved as a min-cost flow with
//                 LEMON's CostScaling (the tnm-mcf plugin uses NetworkSimplex: two algorithms,
//                 so neither checks itself). Costs are integer: the block's magnitudes scaled
//                 by 2^(40 - e) (max|w| < 2^e) and rounded, exact to within m*n*2^-41 of the
//                 block's largest weight.
// A plugin author can call these to measure their own masks (masks/kept_magnitude.hpp).
#include <ATen/core/Tensor.h>

#include <vector>

#include "qharness/mask.hpp"

namespace qharness::masks {

// The optimal mask of one weight ([out, in, kernel...], block_layout.hpp), bool, on the CPU.
at::Tensor optimal_mask(MaskPattern pattern, const NMSpec& spec, const at::Tensor& weight);

// The optimal masks of several layers. PerLayer: optimal_mask() of each. Global (Unstructured
// only; std::invalid_argument otherwise): one ranking over all the weights together.
std::vector<at::Tensor> optimal_masks(MaskPattern pattern, MaskScope scope, const NMSpec& spec,
                                      const std::vector<at::Tensor>& weights);

}  // namespace qharness::masks
