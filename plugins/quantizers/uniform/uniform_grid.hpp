#pragma once
// The two grids of the `uniform` quantizer, as the scale/offset/levels that fake_quant.hpp
// consumes. M = bits, a = the clipping value (> 0).
//
// integer (default): zero is a level.
//   signed:    levels k * s, k in [-(2^(M-1) - 1), 2^(M-1) - 1], s = a / (2^(M-1) - 1)
//              (symmetric: 2^M - 1 levels, the most negative integer code unused); M >= 2.
//   unsigned:  levels k * s, k in [0, 2^M - 1], s = a / (2^M - 1).
// reference: the LAPQ reference implementation's grid (gemmlowp-style, "IntQuantizer"):
//   signed:    2^M levels -a + k * s, k in [0, 2^M - 1], s = 2a / (2^M - 1): both ends
//              are levels, zero is not (the two middle levels are +-s/2).
//   unsigned:  2^M levels k * s, s = a / (2^M - 1), the same as the integer grid.
// luq-sawb: the grid of the LUQ reference code's SAWB quantizer (offered by `sawb` only):
//   signed:    2^M + 1 levels k * s, k in [-2^(M-1), 2^(M-1)], s = a / 2^(M-1) (17 levels at
//              4 bits: one more than 4 bits can encode; zero is a level);
//   unsigned:  2^M levels k * s, k in [0, 2^M - 1], s = 2a / (2^M - 1): the range is [0, 2a].
#include <ATen/core/Tensor.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fake_quant.hpp"

namespace qharness::plugins::uniform {

enum class Grid { Integer, Reference, LuqSawb };

struct GridParameters {
  at::Tensor scale;   // clip's shape and dtype; differentiable in clip
  at::Tensor offset;  // undefined when the grid has none
  FakeQuantSpec spec;
};

inline GridParameters grid_parameters(Grid grid, std::int64_t bits, bool is_signed,
                                      const at::Tensor& clip, std::int64_t channel_axis) {
  if (bits < 1 || bits > 31)
    throw std::invalid_argument("uniform quantizer: bits must be in [1, 31] to quantize, got " +
                                std::to_string(bits));
  GridParameters g;
  g.spec.channel_axis = channel_axis;
  const double levels_minus_1 = std::ldexp(1.0, static_cast<int>(bits)) - 1.0;  // 2^M - 1
  if (grid == Grid::Integer && is_signed) {
    if (bits < 2)
      throw std::invalid_argument(
          "uniform quantizer: bits: 1 on a signed tensor leaves the integer grid only the "
          "level 0; use bits >= 2 or grid: reference (levels -a and +a)");
    const double qmax = std::ldexp(1.0, static_cast<int>(bits) - 1) - 1.0;
    g.scale = clip.div(qmax);
    g.spec.lo = -qmax;
    g.spec.hi = qmax;
  } else if (grid == Grid::Reference && is_signed) {
    g.scale = clip.mul(2.0).div(levels_minus_1);
    g.offset = clip.neg();
    g.spec.lo = 0.0;
    g.spec.hi = levels_minus_1;
  } else if (grid == Grid::LuqSawb && is_signed) {
    const double half = std::ldexp(1.0, static_cast<int>(bits) - 1);  // 2^(M-1)
    g.scale = clip.div(half);
    g.spec.lo = -half;
    g.spec.hi = half;
  } else if (grid == Grid::LuqSawb) {
    g.scale = clip.mul(2.0).div(levels_minus_1);
    g.spec.lo = 0.0;
    g.spec.hi = levels_minus_1;
  } else {  // unsigned integer and reference grids: [0, a] with 2^M levels
    g.scale = clip.div(levels_minus_1);
    g.spec.lo = 0.0;
    g.spec.hi = levels_minus_1;
  }
  return g;
}

}  // namespace qharness::plugins::uniform
