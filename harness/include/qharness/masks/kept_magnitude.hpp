#pragma once
// Kept magnitude: the sum of |w| over the kept weights, the quantity every mask solver
// maximizes. Summed in double so that ratios between solvers are not rounding noise.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace qharness::masks {

double kept_magnitude(const at::Tensor& weight, const at::Tensor& mask);
// Sum of |w| over the whole weight (the dense model's "kept magnitude").
double total_magnitude(const at::Tensor& weight);
// Kept magnitude of one m x m block (row-major magnitudes and 0/1 keep).
double block_kept_magnitude(const float* block_abs, const std::uint8_t* keep, int m);

}  // namespace qharness::masks
