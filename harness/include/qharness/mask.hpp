#pragma once
// Mask plugins (API version 2): given the weights of the layers a task prunes, boolean masks of
// the same shapes that satisfy the pattern the plugin declares.
//
// The contract (docs/plugins.md, "Mask plugins"):
//  - pattern() names the constraint every mask of this plugin satisfies at the slot's n:m
//    (the driver's common options `n` and `m`, read from Params like the plugin's own):
//      Unstructured   exactly unstructured_keep_count(numel, n:m) weights kept per layer
//                     (Global scope: that count over all layers together);
//      NM             1-D N:M: n of every m consecutive input channels (W is N:M, W^T is not);
//      TransposableNM every m x m block keeps n per row and per column (W and W^T are N:M).
//    The tasks take everything else from it: the checker (masks/mask_check.hpp) that validates
//    each mask, the exact optimum kept_ratio divides by (masks/optimal_masks.hpp), the share of
//    the GEMM work N:M hardware accelerates, and the mask diversity. A mask that breaks its
//    declared pattern is recorded as invalid (metric `valid` 0), never silently accepted.
//  - scope(): PerLayer (the default) means each layer's mask depends on that layer's weight
//    only; Global means the masks depend on all the layers together (e.g. one magnitude ranking
//    over every layer). Global is allowed for the Unstructured pattern only, where the density
//    is a budget over all the layers; the driver refuses any other combination before a run.
//  - compute() sees one weight; compute_all() sees every pruned layer at once and by default
//    calls compute() per layer. A Global plugin overrides compute_all().
//  - Deterministic: the same weights give the same masks. Masks are bool, on the CPU or the
//    weight's device, in the weight's shape; true = kept.
//
// Layout of groups and blocks: masks/block_layout.hpp. Utilities a plugin author can use to
// check their own masks: masks/mask_check.hpp, masks/kept_magnitude.hpp, masks/optimal_masks.hpp.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace qharness {
namespace masks {

enum class MaskPattern {
  Unstructured,    // keep round(numel * N / M) weights anywhere in the tensor
  NM,              // 1-D N:M: N of every M consecutive input channels (one row of a block)
  TransposableNM,  // every M x M block keeps N per row and N per column
};

enum class MaskScope {
  PerLayer,  // each layer's mask from its own weight
  Global,    // the masks of all layers together (Unstructured only)
};

inline const char* to_string(MaskPattern p) {
  switch (p) {
    case MaskPattern::Unstructured: return "unstructured";
    case MaskPattern::NM: return "N:M";
    case MaskPattern::TransposableNM: return "transposable N:M";
  }
  return "?";
}

inline const char* to_string(MaskScope s) { return s == MaskScope::Global ? "global" : "per-layer"; }

// Keep N of every M (see masks/block_layout.hpp for where the groups lie).
struct NMSpec {
  int n = 4;
  int m = 8;
  // Throws std::invalid_argument naming `who` unless 1 <= n <= m <= kMaxM.
  void validate(const std::string& who) const {
    if (m < 1 || m > kMaxM)
      throw std::invalid_argument(who + ": m = " + std::to_string(m) + " is outside [1, " + std::to_string(kMaxM) + "]");
    if (n < 1 || n > m)
      throw std::invalid_argument(who + ": n = " + std::to_string(n) + " must be in [1, m = " + std::to_string(m) +
                                  "] (keep n of every m)");
  }
  static constexpr int kMaxM = 64;
};

// Number of weights an unstructured mask of density N/M keeps in a tensor of `numel`
// elements: numel * N / M rounded half up, computed exactly in integers.
inline std::int64_t unstructured_keep_count(std::int64_t numel, const NMSpec& s) {
  return (numel * s.n * 2 + s.m) / (2 * s.m);
}

}  // namespace masks

using masks::MaskPattern;
using masks::MaskScope;
using masks::NMSpec;

// One layer a task prunes: its name in the model (e.g. "conv2") and its weight
// ([out, in] for Linear, [out, in, kh, kw] for Conv2d; float, detached).
struct MaskLayer {
  std::string name;
  at::Tensor weight;
};

class Mask {
 public:
  virtual ~Mask() = default;

  // The constraint every mask satisfies (see above). Must not change after construction.
  virtual MaskPattern pattern() const = 0;
  virtual MaskScope scope() const { return MaskScope::PerLayer; }

  // One layer's mask: a bool tensor of the weight's shape; true = kept.
  virtual at::Tensor compute(const at::Tensor& weight) = 0;

  // Every pruned layer at once, in the task's order; one mask per layer. The default calls
  // compute() per layer; a Global plugin ranks or budgets across the layers here.
  virtual std::vector<at::Tensor> compute_all(const std::vector<MaskLayer>& layers) {
    std::vector<at::Tensor> out;
    out.reserve(layers.size());
    for (const auto& l : layers) out.push_back(compute(l.weight));
    return out;
  }
};

}  // namespace qharness
