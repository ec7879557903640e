#include "fake_quant.hpp"
#include "fake_quant_element.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace qharness::plugins::uniform {
namespace {

// The per-element work over [0, count). kOffset/kStochastic/kMagicRound/kPerElement are
// compile-time so that each loop is branch-free. kPerElement: scale and offset are arrays
// indexed like x (used when channels are short runs); otherwise one value each.
// `stream`: the result is written with non-temporal stores (large tensors: the output would
// only evict useful cache lines, and skipping the read-for-ownership of every output line
// saves a third of the memory traffic, as memcpy/clone do).
template <bool kOffset, bool kStochastic, bool kMagicRound, bool kPerElement>
inline void quantize_run(const float* __restrict x, const float* __restrict u,
                         float* __restrict out, std::int64_t count,
                         const float* __restrict scale, const float* __restrict offset,
                         float lo, float hi, bool stream) {
  const float s0 = kPerElement ? 0.0f : scale[0];
  const float o0 = (kPerElement || !kOffset) ? 0.0f : offset[0];
  auto element = [&](std::int64_t k) {
    return quantize_one<kOffset, kStochastic, kMagicRound, kPerElement>(
        x[k], kStochastic ? u[k] : 0.0f, kPerElement ? scale[k] : s0,
        kOffset ? (kPerElement ? offset[k] : o0) : 0.0f, lo, hi);
  };
  std::int64_t k = 0;
#if defined(__SSE2__)
  if constexpr (kMagicRound && !kStochastic) {
    if (stream) {
      // The same operations as quantize_one, 4 lanes at a time (SSE2 is x86-64's baseline).
      // maxps/minps return their second operand when either is NaN or both are zeros, which
      // is exactly `y < lo ? lo : y` / `y > hi ? hi : y` with y second.
      for (; k < count && (reinterpret_cast<std::uintptr_t>(out + k) & 15u) != 0; ++k) out[k] = element(k);
      const __m128 lo_v = _mm_set1_ps(lo), hi_v = _mm_set1_ps(hi), magic_v = _mm_set1_ps(kMagic);
      const __m128 s_v = _mm_set1_ps(s0), o_v = _mm_set1_ps(o0);
      for (; k + 4 <= count; k += 4) {
        const __m128 sv = kPerElement ? _mm_loadu_ps(scale + k) : s_v;
        __m128 y = _mm_loadu_ps(x + k);
        __m128 ov = o_v;
        if (kOffset) {
          if (kPerElement) ov = _mm_loadu_ps(offset + k);
          y = _mm_sub_ps(y, ov);
        }
        y = _mm_div_ps(y, sv);
        y = _mm_max_ps(lo_v, y);
        y = _mm_min_ps(hi_v, y);
        const __m128 r = _mm_sub_ps(_mm_add_ps(y, magic_v), magic_v);
        __m128 q = _mm_mul_ps(r, sv);
        if (kOffset) q = _mm_add_ps(q, ov);
        _mm_stream_ps(out + k, q);
      }
      for (; k < count; ++k) out[k] = element(k);
      _mm_sfence();  // order the non-temporal stores before the threads join
      return;
    }
  }
#endif
  (void)stream;
  for (; k < count; ++k) out[k] = element(k);
}

// Chunks of >= 64 Ki elements: enough work per thread to amortize the fork, small enough to
// balance.
constexpr std::int64_t kGrain = 1 << 16;

// Channels in runs of `inner` >= kMinRun elements: one scale per run.
template <bool kOffset, bool kStochastic, bool kMagicRound>
void quantize_runs(const float* x, const float* u, float* out, std::int64_t numel,
                   std::int64_t channels, std::int64_t inner, const float* scale,
                   const float* offset, float lo, float hi, bool stream) {
  at::parallel_for(0, numel, kGrain, [&](std::int64_t begin, std::int64_t end) {
    std::int64_t i = begin;
    while (i < end) {
      // A run of elements that share one channel: [i, run_end).
      const std::int64_t row = i / inner;
      const std::int64_t run_end = std::min(end, (row + 1) * inner);
      const std::int64_t c = channels == 1 ? 0 : row % channels;
      quantize_run<kOffset, kStochastic, kMagicRound, false>(
          x + i, kStochastic ? u + i : nullptr, out + i, run_end - i, scale + c,
          kOffset ? offset + c : nullptr, lo, hi, stream);
      i = run_end;
    }
  });
}

// Channels in short runs (e.g. [N, C] activations, inner = 1): scale and offset expanded to
// one period of `period` = channels * inner elements, and x walked period by period.
template <bool kOffset, bool kStochastic, bool kMagicRound>
void quantize_periodic(const float* x, const float* u, float* out, std::int64_t numel,
                       std::int64_t period, const float* scale, const float* offset, float lo,
                       float hi, bool stream) {
  at::parallel_for(0, numel, kGrain, [&](std::int64_t begin, std::int64_t end) {
    std::int64_t i = begin;
    while (i < end) {
      const std::int64_t phase = i % period;
      const std::int64_t run_end = std::min(end, i - phase + period);
      quantize_run<kOffset, kStochastic, kMagicRound, true>(
          x + i, kStochastic ? u + i : nullptr, out + i, run_end - i, scale + phase,
          kOffset ? offset + phase : nullptr, lo, hi, stream);
      i = run_end;
    }
  });
}

// Runs shorter than kMinRun elements use the periodic walk (the per-run bookkeeping would
// cost more than the run), when one period of expanded scales (and offsets) stays in L2.
constexpr std::int64_t kMinRun = 1024;
constexpr std::int64_t kMaxPeriod = 1 << 16;
// Outputs of at least this many elements (16 MiB) are written with non-temporal stores.
constexpr std::int64_t kStreamElements = std::int64_t{1} << 22;

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("fake quantization: " + what);
}

void check_shapes(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& offset,
                  const FakeQuantSpec& spec, const at::Tensor& noise) {
  check(scale.defined(), "scale is undefined");
  if (scale.numel() != 1) {
    check(scale.dim() == 1, "a per-channel scale must be 1-d, got " + std::to_string(scale.dim()) + "-d");
    check(spec.channel_axis >= 0 && spec.channel_axis < x.dim(),
          "channel axis " + std::to_string(spec.channel_axis) + " is outside a " +
              std::to_string(x.dim()) + "-d tensor");
    check(scale.numel() == x.size(spec.channel_axis),
          "per-channel scale has " + std::to_string(scale.numel()) + " entries but axis " +
              std::to_string(spec.channel_axis) + " has " + std::to_string(x.size(spec.channel_axis)));
  }
  if (offset.defined())
    check(offset.numel() == scale.numel(), "offset and scale differ in size");
  if (noise.defined()) check(noise.sizes() == x.sizes(), "noise and x differ in shape");
  check(spec.lo <= spec.hi, "lo > hi");
}

}  // namespace

at::Tensor broadcastable(const at::Tensor& v, const at::Tensor& x, std::int64_t axis) {
  if (v.numel() == 1) return v.reshape({});
  std::vector<std::int64_t> shape(x.dim(), 1);
  shape[axis] = v.numel();
  return v.reshape(shape);
}

at::Tensor fake_quant_composed(const at::Tensor& x, const at::Tensor& scale,
                               const at::Tensor& offset, const FakeQuantSpec& spec,
                               const at::Tensor& noise) {
  check_shapes(x, scale, offset, spec, noise);
  const at::Tensor s = broadcastable(scale.to(x.scalar_type()), x, spec.channel_axis);
  at::Tensor o;
  if (offset.defined()) o = broadcastable(offset.to(x.scalar_type()), x, spec.channel_axis);
  const at::Tensor shifted = o.defined() ? x - o : x;
  const at::Tensor y = (shifted / s).clamp(spec.lo, spec.hi);
  const at::Tensor r = noise.defined() ? (y + noise).floor() : y.round();
  const at::Tensor y_ste = y + (r - y).detach();  // straight-through rounding
  const at::Tensor q = y_ste * s;
  return o.defined() ? q + o : q;
}

at::Tensor fake_quant_kernel(const at::Tensor& x_in, const at::Tensor& scale_in,
                             const at::Tensor& offset_in, const FakeQuantSpec& spec,
                             const at::Tensor& noise_in) {
  check(x_in.scalar_type() == at::kFloat, "the fast kernel takes float32 tensors, got " +
                                              std::string(c10::toString(x_in.scalar_type())));
  check_shapes(x_in, scale_in, offset_in, spec, noise_in);
  check(x_in.device().is_cpu(), "the fast kernel runs on the CPU");
  // A dense tensor in another memory order (channels-last activations and weights,
  // models/memory_format.hpp) keeps that order where it does not matter to the scales: one
  // scale for the whole tensor, or one per slice of axis 0 when axis 0 is outermost in memory
  // (weights [out, ...] per output channel). The loops below then run in memory order and the
  // output gets the input's strides, instead of a copy to NCHW and back.
  const bool keep_layout =
      !x_in.is_contiguous() && x_in.is_non_overlapping_and_dense() &&
      (scale_in.numel() == 1 || (spec.channel_axis == 0 && x_in.stride(0) * x_in.size(0) == x_in.numel())) &&
      (!noise_in.defined() || noise_in.strides() == x_in.strides());
  const at::Tensor x = keep_layout ? x_in.detach() : x_in.detach().contiguous();
  const at::Tensor scale = scale_in.detach().to(at::kFloat).contiguous();
  const at::Tensor offset =
      offset_in.defined() ? offset_in.detach().to(at::kFloat).contiguous() : at::Tensor();
  const at::Tensor noise = !noise_in.defined() ? at::Tensor()
                           : keep_layout       ? noise_in.detach().to(at::kFloat)
                                               : noise_in.detach().to(at::kFloat).contiguous();
  at::Tensor out = keep_layout ? at::empty_like(x) : at::empty_like(x, at::MemoryFormat::Contiguous);
  const std::int64_t numel = x.numel();
  if (numel == 0) return out;

  const std::int64_t channels = scale.numel();
  std::int64_t inner = numel;
  if (channels > 1) {
    inner = 1;
    for (std::int64_t d = spec.channel_axis + 1; d < x.dim(); ++d) inner *= x.size(d);
  }
  const float* xp = x.data_ptr<float>();
  const float* up = noise.defined() ? noise.data_ptr<float>() : nullptr;
  float* op = out.data_ptr<float>();
  const float* sp = scale.data_ptr<float>();  // may point into an expanded copy below
  const float* fp = offset.defined() ? offset.data_ptr<float>() : nullptr;
  const float lo = static_cast<float>(spec.lo);
  const float hi = static_cast<float>(spec.hi);
  const bool magic = magic_rounding_applies(spec.lo, spec.hi);

  at::Tensor scale_period, offset_period;
  const bool periodic = channels > 1 && inner < kMinRun && channels * inner <= kMaxPeriod;
  if (periodic) {
    scale_period = scale.repeat_interleave(inner).contiguous();
    sp = scale_period.data_ptr<float>();
    if (fp) {
      offset_period = offset.repeat_interleave(inner).contiguous();
      fp = offset_period.data_ptr<float>();
    }
  }
  const std::int64_t period = channels * inner;
  // Non-temporal stores pay off once the output is far larger than what the caches keep.
  const bool stream = numel >= kStreamElements;
#define QH_DISPATCH(OFF, STO, MAG)                                                          \
  if (periodic) quantize_periodic<OFF, STO, MAG>(xp, up, op, numel, period, sp, fp, lo, hi, stream); \
  else quantize_runs<OFF, STO, MAG>(xp, up, op, numel, channels, inner, sp, fp, lo, hi, stream)
  const bool off = fp != nullptr;
  const bool sto = up != nullptr;
  if (magic) {
    if (off) { if (sto) { QH_DISPATCH(true, true, true); } else { QH_DISPATCH(true, false, true); } }
    else     { if (sto) { QH_DISPATCH(false, true, true); } else { QH_DISPATCH(false, false, true); } }
  } else {
    if (off) { if (sto) { QH_DISPATCH(true, true, false); } else { QH_DISPATCH(true, false, false); } }
    else     { if (sto) { QH_DISPATCH(false, true, false); } else { QH_DISPATCH(false, false, false); } }
  }
#undef QH_DISPATCH
  return out;
}

}  // namespace qharness::plugins::uniform
