#pragma once
// The generic `minmax` calibration: the clip is max|x| (signed) or max(x) (unsigned), per
// tensor or per channel, at least kMinClip. Exact (no rounding: the maximum of the values
// themselves, in their own dtype), and needs nothing of the quantizer.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace qharness {

at::Tensor minmax_clip(const at::Tensor& x, bool is_signed, bool per_channel, std::int64_t axis);

}  // namespace qharness
