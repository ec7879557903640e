#pragma once
// Mask plugins: given a weight, a boolean mask of the same shape that meets a sparsity spec
// (`nm`, `tnm-mcf`, `tnm-greedy`, `unstructured`, ...; N and M are the plugin's options).
//
// Layout of transposable N:M blocks: a block spans M consecutive output channels x M
// consecutive input channels at one kernel position (Linear: M rows x M columns), so that
// both W (reduction over inputs) and W^T (reduction over outputs) are N:M.
#include <ATen/core/Tensor.h>

namespace qharness {

class Mask {
 public:
  virtual ~Mask() = default;
  // weight: [out, in] (Linear) or [out, in, kh, kw] (Conv2d), float. Returns a bool tensor of
  // the same shape; true = kept. Deterministic for a given weight.
  virtual at::Tensor compute(const at::Tensor& weight) = 0;
};

}  // namespace qharness
