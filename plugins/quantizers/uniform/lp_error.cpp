#include "lp_error.hpp"

#include <ATen/Parallel.h>
#include <qharness/vector_clones.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "fake_quant_element.hpp"

namespace qharness::plugins::uniform {
namespace {

// ---- e^p for a float e >= 0, in double ------------------------------------------------------
// Branch-free so that the element loop vectorizes: every floating-point operation runs
// unconditionally and only values are selected; the file is compiled with -fno-trapping-math
// (CMakeLists.txt), without which GCC keeps float compares behind branches.

// The bits of a float or double as an unsigned integer of its width, and back (std::bit_cast
// is C++20).
template <class To, class From>
inline To bit_cast(From v) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast between types of one size");
  To to;
  std::memcpy(&to, &v, sizeof to);
  return to;
}

// log2(e) for a finite float e > 0 (subnormals included), absolute error ~1e-15.
// e = m 2^k with m in [sqrt(1/2), sqrt(2)); log2 m = (2 / ln 2) atanh(s), s = (m - 1) / (m + 1),
// |s| <= 0.1716, by its odd series up to s^15 (the next term is < 4e-14 of the first).
inline double log2_positive(float e) {
  const bool subnormal = e < 0x1p-100f;  // scaled into the normal range first
  const std::uint32_t b = bit_cast<std::uint32_t>(e * (subnormal ? 0x1p64f : 1.0f));
  const float mantissa = bit_cast<float>((b & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  const bool upper = mantissa > 1.41421356f;
  const std::int32_t k = static_cast<std::int32_t>(b >> 23) - (subnormal ? 127 + 64 : 127) + (upper ? 1 : 0);
  const float m = mantissa * (upper ? 0.5f : 1.0f);  // exact
  const double md = m;
  const double s = (md - 1.0) / (md + 1.0), s2 = s * s;
  constexpr double c = 2.0 / 0.69314718055994530942;  // 2 / ln 2
  double poly = c / 15.0;
  poly = poly * s2 + c / 13.0;
  poly = poly * s2 + c / 11.0;
  poly = poly * s2 + c / 9.0;
  poly = poly * s2 + c / 7.0;
  poly = poly * s2 + c / 5.0;
  poly = poly * s2 + c / 3.0;
  poly = poly * s2 + c;
  return static_cast<double>(k) + s * poly;
}

// 2^y: inf where it overflows, 0 below -1022 (where e^p < 2.3e-308 cannot move a sum of
// errors). y = n + f, n the nearest integer, |f| <= 1/2; 2^f = exp(f ln 2) by its Taylor series
// to degree 11 (remainder < 1e-14 relative), 2^n from the exponent bits. Above 1022 it takes
// 2^(y - 1) * 2, so that 2^n stays a finite double and the last doubling overflows to inf.
inline double exp2_of(double y) {
  constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  const bool underflow = y < -1022.0;
  const bool high = y > 1022.0;
  y = underflow ? -1022.0 : y;
  y = y - (high ? 1.0 : 0.0);
  y = y > 1023.0 ? 1023.0 : y;
  const double t = y + kRound;
  const double n = t - kRound;
  const double u = (y - n) * 0.69314718055994530942;
  // n sits in t's low mantissa bits: bits(kRound + n) = bits(kRound) + n for |n| < 2^51.
  const std::uint64_t n_bits = bit_cast<std::uint64_t>(t) - bit_cast<std::uint64_t>(kRound);
  const double two_n = bit_cast<double>((n_bits + 1023u) << 52);
  double poly = 1.0 / 39916800.0;  // 1/11!
  poly = poly * u + 1.0 / 3628800.0;
  poly = poly * u + 1.0 / 362880.0;
  poly = poly * u + 1.0 / 40320.0;
  poly = poly * u + 1.0 / 5040.0;
  poly = poly * u + 1.0 / 720.0;
  poly = poly * u + 1.0 / 120.0;
  poly = poly * u + 1.0 / 24.0;
  poly = poly * u + 1.0 / 6.0;
  poly = poly * u + 0.5;
  poly = poly * u + 1.0;
  poly = poly * u + 1.0;
  return poly * two_n * (underflow ? 0.0 : 1.0) * (high ? 2.0 : 1.0);
}

// e^p, kPower = 1..4 by multiplication, kPower = 0 for any p >= 1. e = 0 gives 0; e = inf
// gives inf and NaN gives NaN (the sum then says the tensor was not finite).
template <int kPower>
inline double power(float e, double p) {
  const double d = e;
  if constexpr (kPower == 1) {
    return d;
  } else if constexpr (kPower == 2) {
    return d * d;
  } else if constexpr (kPower == 3) {
    return d * d * d;
  } else if constexpr (kPower == 4) {
    return (d * d) * (d * d);
  } else {
    const double general = exp2_of(p * log2_positive(e));
    // inf stays inf, NaN stays NaN (NaN * 0), 0 gives 0.
    const double special = d * (e > 0.0f ? 1.0 : 0.0);
    const bool finite_positive = (e > 0.0f) & (e <= std::numeric_limits<float>::max());
    return finite_positive ? general : special;
  }
}

// |Q(v) - v|^p for one element.
template <bool kOffset, bool kMagicRound, int kPower>
inline double term(float v, float s, float o, float qlo, float qhi, double p) {
  const float q = quantize_one<kOffset, false, kMagicRound, false>(v, 0.0f, s, o, qlo, qhi);
  return power<kPower>(std::fabs(q - v), p);
}

// One chunk x[lo, hi): sum of |Q(x) - x|^p over 8 lanes (lane l takes the elements l, l + 8,
// ... in order), then the lanes in order, then the ragged end: the same sum whatever the
// vector width. (No lambda here: GCC does not vectorize the loop when a lambda captures the
// grid's scalars by reference.)
template <bool kOffset, bool kMagicRound, int kPower>
__attribute__((always_inline)) inline double chunk_sum(const float* __restrict x, std::int64_t lo,
                                                       std::int64_t hi, const LpErrorGrid& g, double p) {
  constexpr int kLanes = 8;
  double lane[kLanes] = {};
  const float s = g.scale, o = g.offset, qlo = g.lo, qhi = g.hi;
  const std::int64_t body_end = lo + (hi - lo) / kLanes * kLanes;
  for (std::int64_t i = lo; i < body_end; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += term<kOffset, kMagicRound, kPower>(x[i + l], s, o, qlo, qhi, p);
  double tail = 0.0;
  for (std::int64_t i = body_end; i < hi; ++i) tail += term<kOffset, kMagicRound, kPower>(x[i], s, o, qlo, qhi, p);
  double sum = 0.0;
  for (double v : lane) sum += v;
  return sum + tail;
}

using ChunkSum = double (*)(const float*, std::int64_t, std::int64_t, const LpErrorGrid&, double);

// The vectorized variants (magic rounding: grids of up to 22 bits), each compiled for AVX2 and
// the baseline. Plain functions: target_clones takes no templates.
#define QH_LP_CHUNK(NAME, OFFSET, POWER)                                                       \
  QHARNESS_VECTOR_CLONES double NAME(const float* x, std::int64_t lo, std::int64_t hi,       \
                                     const LpErrorGrid& g, double p) {                        \
    return chunk_sum<OFFSET, true, POWER>(x, lo, hi, g, p);                                    \
  }
QH_LP_CHUNK(chunk_p1, false, 1)
QH_LP_CHUNK(chunk_p2, false, 2)
QH_LP_CHUNK(chunk_p3, false, 3)
QH_LP_CHUNK(chunk_p4, false, 4)
QH_LP_CHUNK(chunk_p, false, 0)
QH_LP_CHUNK(chunk_offset_p1, true, 1)
QH_LP_CHUNK(chunk_offset_p2, true, 2)
QH_LP_CHUNK(chunk_offset_p3, true, 3)
QH_LP_CHUNK(chunk_offset_p4, true, 4)
QH_LP_CHUNK(chunk_offset_p, true, 0)
#undef QH_LP_CHUNK

// Grids wider than 22 bits round with std::nearbyint: one variant per offset setting.
double chunk_wide(const float* x, std::int64_t lo, std::int64_t hi, const LpErrorGrid& g, double p) {
  return chunk_sum<false, false, 0>(x, lo, hi, g, p);
}
double chunk_wide_offset(const float* x, std::int64_t lo, std::int64_t hi, const LpErrorGrid& g, double p) {
  return chunk_sum<true, false, 0>(x, lo, hi, g, p);
}

ChunkSum pick(const LpErrorGrid& g, double p) {
  if (!magic_rounding_applies(g.lo, g.hi)) return g.has_offset ? chunk_wide_offset : chunk_wide;
  const ChunkSum plain[] = {chunk_p, chunk_p1, chunk_p2, chunk_p3, chunk_p4};
  const ChunkSum offset[] = {chunk_offset_p, chunk_offset_p1, chunk_offset_p2, chunk_offset_p3, chunk_offset_p4};
  const int power = (p == 1.0 || p == 2.0 || p == 3.0 || p == 4.0) ? static_cast<int>(p) : 0;
  return g.has_offset ? offset[power] : plain[power];
}

// Chunks of a fixed size (not a share of the thread count): the sum's order is fixed.
constexpr std::int64_t kChunk = 1 << 15;

}  // namespace

LpErrorGrid lp_error_grid(const GridParameters& g) {
  // The fake-quant kernel casts scale and offset to float32 the same way.
  LpErrorGrid lg;
  lg.scale = static_cast<float>(g.scale.item<double>());
  lg.has_offset = g.offset.defined();
  if (lg.has_offset) lg.offset = static_cast<float>(g.offset.item<double>());
  lg.lo = static_cast<float>(g.spec.lo);
  lg.hi = static_cast<float>(g.spec.hi);
  return lg;
}

double lp_error_sum(const float* x, std::int64_t n, const LpErrorGrid& grid, double p) {
  if (n <= 0) return 0.0;
  const ChunkSum chunk = pick(grid, p);
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks == 1) return chunk(x, 0, n, grid, p);
  std::vector<double> part(static_cast<std::size_t>(chunks));
  at::parallel_for(0, chunks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) part[c] = chunk(x, c * kChunk, std::min(n, (c + 1) * kChunk), grid, p);
  });
  double sum = 0.0;
  for (double v : part) sum += v;
  return sum;
}

}  // namespace qharness::plugins::uniform
