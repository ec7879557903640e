#pragma once
// Exact transposable N:4 masks by exhaustive search: every valid 4x4 pattern (N ones per row
// and column: 24 for N=1, 90 for N=2, 24 for N=3, 1 for N=4) is scored against every block at
// once as one matrix product, blocks [B, 16] x patterns [16, P] (BLAS, vectorized), and each
// block takes its best pattern (the first in lexicographic order on ties). Scores are float
// sums of 2N values, so a pattern may win over the true optimum by float rounding only
// (relative 1e-7).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "qharness/mask.hpp"

namespace qharness::masks {

// The valid m x m patterns with n ones per row and column, each as m*m 0/1 row-major, in
// increasing order of the row-major bit string. Enumerates 2^(m*m) candidates: m <= 5.
std::vector<std::vector<std::uint8_t>> transposable_patterns(const NMSpec& spec);

// spec.m must be 4 (throws std::invalid_argument otherwise).
at::Tensor tnm_exhaustive_mask(const at::Tensor& weight, const NMSpec& spec);

}  // namespace qharness::masks
