#pragma once
// The generic `aciq` calibration (Banner, Nahshan, Soudry, NeurIPS 2019), the paper's
// reference form: a Laplace(mu, b) fit per tensor or per channel, b = mean|x - mu|, and the
// clip |mu| + alpha(bits) b with alpha from qharness/aciq.hpp (two-sided for signed data,
// one-sided for unsigned), capped at the minmax clip, at least kMinClip.
//
// ACIQ's alpha is derived for a uniform grid of 2^bits levels; a quantizer with another grid
// gets the uniform grid's clip for its bits (it may supply its own by overriding
// Quantizer::calibrate_method). Needs only x, the signedness and bits; deterministic.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace qharness {

// bits in [1, 31].
at::Tensor aciq_clip(const at::Tensor& x, bool is_signed, bool per_channel, std::int64_t axis, std::int64_t bits);

}  // namespace qharness
