#pragma once
// Quantizer plugins: calibrate a clipping value from data, and fake-quantize a tensor.
//
// A quantizer is built once per quantization slot (a layer's weight, input activation or
// output gradient) from its Params: the YAML block `{quantizer: NAME, bits: B, ...}`. Every
// quantizer receives the common options the driver declares for all quantizers (`bits`,
// `granularity`, `rounding`) beside its own.
//
// Tensors only: this header pulls in ATen's core Tensor, not all of torch (which costs ~15 s
// of compile time per translation unit).
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace qharness {

enum class TensorRole { Weight, Activation, Gradient };

// What is being quantized. Weights and most gradients are signed; post-ReLU activations are
// not. For per-channel quantization, channel_axis names the axis with one clip per entry.
struct QuantTarget {
  TensorRole role = TensorRole::Weight;
  bool is_signed = true;
  std::int64_t channel_axis = 0;
};

class Quantizer {
 public:
  virtual ~Quantizer() = default;

  // The clipping value(s) for x: a 0-d tensor (per-tensor) or a 1-d tensor with one value per
  // channel (per-channel). Values are > 0. Not differentiable.
  virtual at::Tensor calibrate(const at::Tensor& x, const QuantTarget& target) = 0;

  // x fake-quantized with `clip` (as returned by calibrate, possibly changed by a search):
  // values on the quantizer's grid, in x's dtype and shape. Differentiable with respect to x
  // (and, where the quantizer supports it, to clip) following the quantizer's backward rule:
  // straight-through for weights and activations. Stochastic rounding draws from `generator`
  // only, so that a seeded run repeats exactly.
  virtual at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip,
                              const QuantTarget& target, at::Generator& generator) = 0;
};

}  // namespace qharness
