#pragma once
// 1-D N:M magnitude pruning: in every group of M consecutive input channels (one row of a
// block, block_layout.hpp) keep the N largest |w|; a partial group of c < M inputs keeps
// min(N, c) (its zero padding is never preferred to a real weight). Ties go to the lower input.
// This is optimal for 1-D N:M (groups are independent) but only W is N:M, not W^T.
#include <ATen/core/Tensor.h>

#include "qharness/mask.hpp"

namespace qharness::masks {

at::Tensor nm_mask(const at::Tensor& weight, const NMSpec& spec);

}  // namespace qharness::masks
