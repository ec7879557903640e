#pragma once
// What the generic calibration methods share: a tensor seen as one row per clip, and the clip
// tensor made from one value per row.
//
// Per-tensor: one row holding every element, and a 0-d clip. Per-channel: one row per slice
// along the channel axis, and a 1-d clip with one entry per slice (the Quantizer contract,
// quantizer.hpp).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace qharness {

// The smallest clip handed out: an all-zero tensor or channel still gets a valid (> 0) clip.
inline constexpr double kMinClip = 1e-12;

// x (detached) as a float64 matrix [C, K]: one row per channel along `axis`, or [1, numel].
// Throws std::invalid_argument when x is empty or the axis is outside x.
at::Tensor clip_rows(const at::Tensor& x, bool per_channel, std::int64_t axis);

// Per row: max|x| (signed) or max(x) (unsigned), the minmax clip before its floor.
std::vector<double> row_max(const at::Tensor& rows, bool is_signed);

// The clip tensor from one value per row, each at least kMinClip, in `like`'s dtype and on its
// device: 0-d when not per_channel (one value), else 1-d.
at::Tensor clip_tensor(std::vector<double> values, bool per_channel, const at::Tensor& like);

}  // namespace qharness
