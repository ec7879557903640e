#pragma once
// Uniform fake quantization, the two implementations that must agree bit for bit:
//
//   y = clamp((x - offset) / scale, lo, hi)           (per tensor or per channel)
//   r = round_half_even(y)           nearest rounding
//     = floor(y + u), u ~ U[0, 1)    stochastic rounding (u given as a tensor `noise`)
//   q = r * scale + offset
//
// with float32 arithmetic in exactly this order (the offset term is skipped when the grid
// has no offset). `lo`, `hi` are integers (the grid's level indices), so clamping before
// rounding equals clamping after it.
//
// * fake_quant_composed: ATen ops, differentiable. The rounding is straight-through,
//   y + (r - y).detach(), so dq/dx = 1 inside the clipping range and 0 outside, and scale and
//   offset receive the usual STE gradients (LSQ-style: d q / d scale = r - y inside,
//   hi or lo at the clamps). Every op is twice differentiable (clamp and the detached term
//   have zero second derivative), so Hessians by double backward go through it. In
//   floating point y + (r - y) == r exactly (r - y is exact by Sterbenz' lemma), so the
//   forward value is the rounded grid value.
// * fake_quant_kernel: the fast path for float32 tensors when no gradient is needed. One
//   pass over memory, split across threads with at::parallel_for, with a branch-free inner
//   loop that compilers vectorize at the baseline ISA (SSE2 on x86-64): the clamp is two
//   selects and round-half-even is the add-and-subtract of 1.5 * 2^23, exact for
//   |y| < 2^22 (levels of up to 22 bits; wider grids fall back to std::nearbyint). Outputs of
//   4 Mi elements or more (nearest rounding) go through explicit SSE2 code that writes with
//   non-temporal stores, which saves the read-for-ownership of the output (clone()'s memcpy
//   does the same). It returns the same bits as fake_quant_composed (tested), including the
//   sign of zero.
// * fake_quant_ste: the kernel's forward with a straight-through backward to x (training).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace qharness::plugins::uniform {

struct FakeQuantSpec {
  // Level indices: y is clamped to [lo, hi] before rounding. Integers.
  double lo = 0.0;
  double hi = 0.0;
  // Axis along which scale and offset vary (per-channel); ignored when they hold one value.
  std::int64_t channel_axis = 0;
};

// scale: 0-d or 1-element (per tensor), or [x.size(channel_axis)] (per channel); > 0.
// offset: undefined (no offset) or the same shape as scale.
// noise: undefined (round to nearest) or U[0, 1) samples of x's shape (stochastic rounding).
at::Tensor fake_quant_composed(const at::Tensor& x, const at::Tensor& scale,
                               const at::Tensor& offset, const FakeQuantSpec& spec,
                               const at::Tensor& noise);

// Same contract; x must be float32 (any layout: it is made contiguous). Not differentiable:
// the result does not require grad. Throws std::invalid_argument on a wrong dtype or shape.
at::Tensor fake_quant_kernel(const at::Tensor& x, const at::Tensor& scale,
                             const at::Tensor& offset, const FakeQuantSpec& spec,
                             const at::Tensor& noise);

// scale/offset of shape [C] (or one value) viewed so that they broadcast against x along `axis`.
at::Tensor broadcastable(const at::Tensor& v, const at::Tensor& x, std::int64_t axis);

// The kernel's forward, differentiable in x only (scale and offset are constants): the
// straight-through gradient of fake_quant_composed with respect to x (equal up to the last
// bit: composed computes (g * scale) / scale). For float32 CPU tensors; training uses it.
at::Tensor fake_quant_ste(const at::Tensor& x, const at::Tensor& scale,
                          const at::Tensor& offset, const FakeQuantSpec& spec,
                          const at::Tensor& noise);

}  // namespace qharness::plugins::uniform
