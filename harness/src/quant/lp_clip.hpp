#pragma once
// The generic `lp` (and `mse` = lp with p = 2) calibration, for any quantizer: the clip
// minimizing the mean Lp quantization error
//
//   E(c) = mean(|Q(x; c) - x|^p),   Q = the quantizer's own quantize(),
//
// over (0, m], m = the minmax clip, found by Boost.Math's Brent minimizer
// (boost::math::tools::brent_find_minima) on [1e-6 m, m] with a relative precision of 2^-19;
// m itself competes, so the result is never worse than minmax's in E. Per channel the search
// runs on each slice along the channel axis alone (x.narrow(axis, c, 1) with a 1-entry clip),
// so each channel's clip minimizes its own error.
//
// Every evaluation of Q draws from a copy of the same generator state (`noise`), so with
// stochastic rounding E is still a deterministic function of c and the search repeats run to
// run. Runs without autograd; E is accumulated in float64.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "qharness/quantizer.hpp"

namespace qharness {

// p >= 1 and finite. `noise`: the generator whose state every evaluation starts from
// (undefined: a CPU generator seeded with 0).
at::Tensor lp_clip(Quantizer& quantizer, const at::Tensor& x, const QuantTarget& target, bool per_channel, double p,
                   const at::Generator& noise);

// E(c) for one clip tensor (0-d, or 1-d per channel): the objective lp_clip minimizes.
double lp_error(Quantizer& quantizer, const at::Tensor& x, const at::Tensor& clip, const QuantTarget& target,
                double p, const at::Generator& noise);

}  // namespace qharness
