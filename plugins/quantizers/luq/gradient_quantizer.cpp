#include "gradient_quantizer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <qharness/vector_clones.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace qharness::gradquant {
namespace {

// SplitMix64 finalizer: a well-mixed 64-bit value (used once per call, for the stream keys).
inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The random stream of one sample: a counter-based generator, element i -> a uniform in [0, 1).
// The per-element hash is Wellons' "lowbias32" (two rounds of xorshift-multiply on 32 bits)
// with the second half of the key injected between the rounds, so that two samples' streams
// are not shifted copies of each other. 32-bit arithmetic only: the element loop vectorizes
// at the x86-64 baseline, where a 64-bit multiply (SplitMix64 per element, as before) does not.
struct Stream {
  std::uint32_t k1, k2;
  Stream(std::uint64_t seed, int sample) {
    const std::uint64_t z = mix(seed + std::uint64_t(sample + 1) * 0xd1b54a32d192ed03ULL);
    k1 = static_cast<std::uint32_t>(z);
    k2 = static_cast<std::uint32_t>(z >> 32);
  }
  // 24 random bits: float resolution, enough for rounding probabilities.
  float uniform(std::uint32_t i) const {
    std::uint32_t x = i * 0x9e3779b9u + k1;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= k2;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return static_cast<float>(x >> 8) * 0x1.0p-24f;
  }
};

int magnitudes(const Options& o) {  // nonzero magnitudes of the log formats: 2^(b-1) - 1
  return (1 << (o.bits - 1)) - 1;
}

// The largest power of two <= r, for a normal float r >= 1 (its exponent bits alone): what
// std::ldexp(1, e - 1) after std::frexp(r, &e) gives, without the two library calls, so that
// the element loop below compiles to branch-free code.
inline float power_of_two_floor(float r) {
  std::uint32_t bits;
  std::memcpy(&bits, &r, sizeof bits);
  bits &= 0x7f800000u;
  float p;
  std::memcpy(&p, &bits, sizeof p);
  return p;
}

// One element, |x| already clamped to <= alpha. `a` is the underflow threshold (log formats)
// or the grid step (int4-sr). A template on the format: the per-element switch is resolved at
// compile time.
template <Format F>
inline float quantize_magnitude(float ax, float a, float u, int levels) {
  if constexpr (F == Format::Int4Sr) {
    float y = ax / a;
    float lo = std::floor(y);
    float q = lo + (u < y - lo ? 1.0f : 0.0f);
    return std::fmin(q, float(levels)) * a;
  } else {
    // Below the threshold: luq rounds stochastically to a or 0 (unbiased), fp4-rdn to the
    // nearer of the two, fp4-sr flushes to zero.
    float under;
    if constexpr (F == Format::Luq) under = u * a < ax ? a : 0.0f;
    else if constexpr (F == Format::Fp4Rdn) under = ax >= 0.5f * a ? a : 0.0f;
    else under = 0.0f;
    // lo <= ax < 2 lo, both on the code book (ax / a >= 1 here, so the floor is exact).
    const float r = ax / a;
    const float lo = a * power_of_two_floor(r > 1.0f ? r : 1.0f);
    float over;
    if constexpr (F == Format::Fp4Rdn) over = ax >= 1.5f * lo ? 2.0f * lo : lo;
    else over = u * lo < ax - lo ? 2.0f * lo : lo;
    return ax < a ? under : over;
  }
}

// |x| clamped to alpha, quantized, with the sign of x put back (bitwise: branch-free).
template <Format F>
inline float quantize_element(float v, float fa, float a, float u, int levels) {
  const float mag = std::fabs(v);
  const float ax = mag < fa ? mag : fa;  // a comparison, not std::fmin: that one is a library call here
  const float q = quantize_magnitude<F>(ax, a, u, levels);
  std::uint32_t qb, vb;
  std::memcpy(&qb, &q, sizeof qb);
  std::memcpy(&vb, &v, sizeof vb);
  qb |= vb & 0x80000000u;
  float out;
  std::memcpy(&out, &qb, sizeof out);
  return out;
}

template <Format F, bool Add>
[[gnu::always_inline]] inline void quantize_run_as(const float* in, float* dst, std::int64_t begin, std::int64_t end,
                                                   float fa, float a, int levels, const Stream& st) {
  for (std::int64_t i = begin; i < end; ++i) {
    const float q = quantize_element<F>(in[i], fa, a, st.uniform(static_cast<std::uint32_t>(i)), levels);
    if constexpr (Add) dst[i] += q;
    else dst[i] = q;
  }
}

template <Format F>
[[gnu::always_inline]] inline void quantize_run_format(bool add, const float* in, float* dst, std::int64_t begin,
                                                       std::int64_t end, float fa, float a, int levels,
                                                       const Stream& st) {
  if (add) quantize_run_as<F, true>(in, dst, begin, end, fa, a, levels, st);
  else quantize_run_as<F, false>(in, dst, begin, end, fa, a, levels, st);
}

// One sample's quantization of in[begin, end), written to dst or added to it. The element
// loop, compiled for AVX2 and for the baseline (it is compute-bound: hash and selects).
QHARNESS_VECTOR_CLONES void quantize_run(Format f, bool add, const float* in, float* dst, std::int64_t begin,
                                         std::int64_t end, float fa, float a, int levels, const Stream& st) {
  switch (f) {
    case Format::Luq: return quantize_run_format<Format::Luq>(add, in, dst, begin, end, fa, a, levels, st);
    case Format::Fp4Rdn: return quantize_run_format<Format::Fp4Rdn>(add, in, dst, begin, end, fa, a, levels, st);
    case Format::Fp4Sr: return quantize_run_format<Format::Fp4Sr>(add, in, dst, begin, end, fa, a, levels, st);
    case Format::Int4Sr: return quantize_run_format<Format::Int4Sr>(add, in, dst, begin, end, fa, a, levels, st);
  }
}

void quantize_elements(Format f, const float* in, float* dst, std::int64_t n, float fa, float a, int levels,
                       int samples, std::uint64_t seed) {
  if (n > std::int64_t(0xFFFFFFFFu))  // the stream's counter is 32 bits
    throw std::invalid_argument("gradient quantizer: tensors of more than 2^32 elements are not supported");
  std::vector<Stream> streams;
  for (int s = 0; s < samples; ++s) streams.emplace_back(seed, s);
  const float inv_samples = 1.0f / float(samples);
  at::parallel_for(0, n, 1 << 14, [&](std::int64_t begin, std::int64_t end) {
    if (samples == 1) {
      quantize_run(f, false, in, dst, begin, end, fa, a, levels, streams[0]);
      return;
    }
    // SMP: a pass per sample over a cache-resident chunk, then the mean.
    constexpr std::int64_t kChunk = 2048;
    for (std::int64_t c = begin; c < end; c += kChunk) {
      const std::int64_t c_end = std::min(end, c + kChunk);
      std::fill(dst + c, dst + c_end, 0.0f);
      for (const Stream& st : streams) quantize_run(f, true, in, dst, c, c_end, fa, a, levels, st);
      for (std::int64_t i = c; i < c_end; ++i) dst[i] *= inv_samples;
    }
  });
}

}  // namespace

Format format_from_name(const std::string& name) {
  if (name == "luq") return Format::Luq;
  if (name == "fp4-rdn") return Format::Fp4Rdn;
  if (name == "fp4-sr") return Format::Fp4Sr;
  if (name == "int4-sr") return Format::Int4Sr;
  throw std::invalid_argument("unknown gradient format '" + name + "'");
}

double underflow_threshold(const Options& o, double alpha) {
  if (o.format == Format::Int4Sr) return alpha / magnitudes(o);
  return std::ldexp(alpha, -(magnitudes(o) - 1));
}

std::vector<double> codebook(const Options& o, double alpha) {
  std::vector<double> pos;
  if (o.format == Format::Int4Sr) {
    for (int j = 1; j <= magnitudes(o); ++j) pos.push_back(static_cast<float>(alpha / magnitudes(o)) * j);
  } else {
    for (int k = magnitudes(o) - 1; k >= 0; --k) pos.push_back(std::ldexp(static_cast<float>(alpha), -k));
  }
  std::vector<double> book;
  for (auto it = pos.rbegin(); it != pos.rend(); ++it) book.push_back(-*it);
  book.push_back(0.0);
  book.insert(book.end(), pos.begin(), pos.end());
  return book;
}

at::Tensor quantize(const at::Tensor& g, double alpha, const Options& o, std::uint64_t seed) {
  if (o.bits < 2 || o.bits > 8) throw std::invalid_argument("gradient quantizer: bits must be in [2, 8]");
  if (o.samples < 1) throw std::invalid_argument("gradient quantizer: samples must be >= 1");
  if (!(alpha >= 0) || !std::isfinite(alpha)) throw std::invalid_argument("gradient quantizer: scale is not finite");
  at::Tensor x = g.to(at::kFloat).contiguous();
  if (alpha == 0.0 || x.numel() == 0) return at::zeros_like(g);
  at::Tensor out = at::empty_like(x);   // every element is written below
  const float fa = static_cast<float>(alpha);
  const float a = static_cast<float>(underflow_threshold(o, alpha));
  const int levels = magnitudes(o);
  const float* in = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const std::int64_t n = x.numel();
  quantize_elements(o.format, in, dst, n, fa, a, levels, o.samples, seed);
  return out.to(g.scalar_type());
}

GradientQuantizer::GradientQuantizer(const std::string& name, const qharness::Params& p) {
  options_.format = format_from_name(name);
  options_.bits = static_cast<int>(p.get_int("bits"));
  options_.samples = static_cast<int>(p.get_int("samples"));
  if (p.get_string("granularity") != "per-tensor")
    throw std::invalid_argument(name + " quantizes per tensor (its scale is the tensor's max|g|)");
  if (options_.bits < 2 || options_.bits > 8) throw std::invalid_argument(name + ": bits must be in [2, 8]");
}

std::vector<qharness::ParamSpec> GradientQuantizer::param_specs() {
  return {{"samples", qharness::ParamType::Int, std::int64_t{1}, "SMP: average of this many independent quantizations",
           {}, false, 1.0, 64.0}};
}

double max_abs(const at::Tensor& g) {
  const at::Tensor x = g.detach().to(at::kFloat).contiguous();
  const float* p = x.data_ptr<float>();
  // One pass (abs().max() makes a temporary: two passes and an allocation per step). A NaN
  // sticks: once m is NaN no comparison replaces it, so the slot sees a non-finite scale.
  return at::parallel_reduce(
      0, x.numel(), 1 << 14, 0.0f,
      [&](std::int64_t begin, std::int64_t end, float m) {
        for (std::int64_t i = begin; i < end; ++i) {
          const float a = std::fabs(p[i]);
          m = (a > m) | (a != a) ? a : m;
        }
        return m;
      },
      [](float a, float b) { return (a > b) | (a != a) ? a : b; });
}

at::Tensor GradientQuantizer::calibrate(const at::Tensor& g, const qharness::QuantTarget&) {
  return at::scalar_tensor(max_abs(g), g.options().dtype(at::kFloat));
}

at::Tensor GradientQuantizer::quantize(const at::Tensor& g, const at::Tensor& clip, const qharness::QuantTarget&,
                                       at::Generator& gen) {
  std::uint64_t seed;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
  }
  return gradquant::quantize(g.detach(), clip.item<double>(), options_, seed);
}

}  // namespace qharness::gradquant
