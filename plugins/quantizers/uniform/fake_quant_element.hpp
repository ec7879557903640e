#pragma once
// One element of uniform fake quantization (fake_quant.hpp's formula in float32, in its
// order): the fast kernel's inner loops and the fused Lp-error kernel (lp_error.hpp) both
// use it, so for one float32 scale (and offset) the error the second measures is the error of
// the values the first writes, to the bit.
// Internal to the uniform quantizer.
#include <cmath>

namespace qharness::plugins::uniform {

// 1.5 * 2^23: for |y| < 2^22, (y + kMagic) lies in [2^23, 2^24) where the float spacing is
// 1, so the addition rounds y to an integer (half to even, the default rounding mode) and
// the subtraction is exact. Gives +0 for y in (-0.5, 0], like the composed path's
// y + (r - y). Needs IEEE arithmetic: no -ffast-math (which would fold it away).
constexpr float kMagic = 12582912.0f;
constexpr double kMagicRange = 4194304.0;  // 2^22

// Whether the grid's level indices [lo, hi] (plus a margin of 1 for stochastic rounding's
// u < 1) are small enough for the kMagic rounding.
inline bool magic_rounding_applies(double lo, double hi) {
  return std::fmax(std::fabs(lo), std::fabs(hi)) + 1.0 < kMagicRange;
}

// The per-element work. kOffset/kStochastic/kMagicRound/kPerElement are compile-time so
// that each inner loop is branch-free and vectorizes. kPerElement: scale and offset are
// arrays indexed like x (used when channels are short runs); otherwise one value each.
template <bool kOffset, bool kStochastic, bool kMagicRound, bool kPerElement>
inline float quantize_one(float xk, float uk, float s, float o, float lo, float hi) {
  float y = kOffset ? (xk - o) / s : xk / s;
  y = y < lo ? lo : y;
  y = y > hi ? hi : y;
  float r;
  if (kStochastic) {
    const float v = y + uk;
    float n;
    if (kMagicRound) n = (v + kMagic) - kMagic;
    else n = std::nearbyint(v) + 0.0f;
    r = n > v ? n - 1.0f : n;  // floor(v) from round-to-nearest
  } else {
    if (kMagicRound) r = (y + kMagic) - kMagic;
    else r = std::nearbyint(y) + 0.0f;  // + 0 turns -0 into +0, as (y + kMagic) - kMagic does
  }
  return kOffset ? r * s + o : r * s;
}

}  // namespace qharness::plugins::uniform
