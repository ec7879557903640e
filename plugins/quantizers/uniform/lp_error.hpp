#pragma once
// The Lp error of uniform fake quantization, sum_k |Q(x_k) - x_k|^p, in one fused pass: the
// quantity the `lp` and `mse` calibrations minimize over the clip, evaluated ~25 times per
// tensor by Brent's search. Internal to the uniform quantizer.
//
// Q is fake_quant_element.hpp's quantize_one (round to nearest), so for a given float32 scale
// |Q(x) - x| is the float32 value the fake-quant kernel's output gives, to the bit. The power is
// taken in double: p = 1..4 by multiplication (grids of up to 22 bits; wider ones take the
// series), any other p >= 1 as 2^(p log2 e) with log2 and exp2 evaluated by series in double
// (relative error below 1e-13, against float32 pow's ~6e-8), and the terms are
// summed in double over fixed chunks of the input whose sums are added in order, so the result
// does not depend on the thread count or on which vector clone runs.
//
// Before, one error evaluation was five ATen passes (the fake quantization, q - x, abs_, a
// float32 pow_ with Sleef's powf, a sum in double) and a temporary of the tensor's size;
// lp-pstar spent ~40% of its time in powf. The numbers differ from that composition only by
// the rounding of pow and of the sum's order (tests/unit/test_lp_error.cpp checks the
// kernel against a float64 reference).
#include <cstdint>

#include "uniform_grid.hpp"

namespace qharness::plugins::uniform {

// One grid in float32: levels r * scale (+ offset), r an integer in [lo, hi].
struct LpErrorGrid {
  float scale = 1.0f;
  float offset = 0.0f;
  bool has_offset = false;
  float lo = 0.0f;
  float hi = 0.0f;
};

// The float32 grid the fake-quant kernel applies for g (one clip: scale and offset 0-d).
LpErrorGrid lp_error_grid(const GridParameters& g);

// sum_k |Q(x_k) - x_k|^p over x[0, n), p >= 1 finite (checked by the caller). A non-finite x_k
// gives an infinite or NaN sum, as the composition did. Runs on ATen's intra-op threads.
double lp_error_sum(const float* x, std::int64_t n, const LpErrorGrid& grid, double p);

}  // namespace qharness::plugins::uniform
