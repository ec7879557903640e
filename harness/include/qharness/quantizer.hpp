#pragma once
// Quantizer plugins: calibrate a clipping value from data, and fake-quantize a tensor.
//
// A quantizer is built once per quantization slot (a layer's weight, input activation or
// output gradient) from its Params: the YAML block `{quantizer: NAME, bits: B, ...}`. Every
// quantizer receives the common options the driver declares for all quantizers (`bits`,
// `granularity`, `rounding`) beside its own.
//
// The contract (docs/plugins.md, "Quantizers"). The harness relies on exactly this, and on
// nothing else about a quantizer, in every task (ptq, hessian, landscape, quant-train):
//
//   Clips. A clip is a tensor of x's floating dtype on x's device: 0-d when the slot is
//     per-tensor (`granularity: per-tensor`), 1-d with one entry per slice of x along
//     QuantTarget::channel_axis when it is per-channel. Entries are finite and > 0.
//   calibrate(x, target): the clip the quantizer itself picks for x. It is what a slot with
//     no fixed clip uses on every tensor (dynamic quantization: quant-train, gradients). It is
//     not differentiated (the harness calls it under no-grad) and must be deterministic: the
//     same x gives the same clip.
//   quantize(x, clip, target, generator): x fake-quantized, in x's dtype and shape. It must
//     accept any clip of the shapes above with any positive values (the harness searches
//     clips: LAPQ, Hessians, landscapes, calibration) and any x of the target's role,
//     including a per-channel x of one channel (a slice with a 1-entry clip, which the
//     harness's generic calibration evaluates slice by slice). Gradients:
//       - with respect to x: the quantizer's backward rule, straight-through for weights and
//         activations (training and AdaPrune need it). A gradient quantizer is applied inside
//         backward, under no-grad, and need not be differentiable at all;
//       - with respect to clip: only if the plugin declares QuantizerTraits::clip_gradient
//         (plugin.hpp). Then, when clip requires grad, the result is differentiable in clip,
//         twice (hessian `method: exact` takes a double backward through it, LAPQ's gradient
//         optimizers a single one). Without it the harness never asks.
//     Randomness (stochastic rounding) is drawn only from `generator`, so a seeded run repeats
//     exactly; with the same generator state, x and clip the result is the same.
//   calibrate_method(x, target, method): optional. The clip a named calibration method gives
//     for x on this quantizer's own grid (ptq's minmax / mse / lp / aciq, the lp-pstar grid).
//     The default returns an undefined tensor, which tells the harness to compute the method
//     generically through quantize() (harness/src/quant/: max|x|; the Lp error minimized by
//     Brent's method over the clip; ACIQ's closed form). A plugin overrides it where it has a
//     faster or exact way (the built-in `uniform` does), and returns a clip as above.
//
// Tensors only: this header pulls in ATen's core Tensor, not all of torch (which costs ~15 s
// of compile time per translation unit).
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace qharness {

enum class TensorRole { Weight, Activation, Gradient };

inline const char* to_string(TensorRole r) {
  switch (r) {
    case TensorRole::Weight: return "weight";
    case TensorRole::Activation: return "activation";
    case TensorRole::Gradient: return "gradient";
  }
  return "?";
}

// What is being quantized. Weights and most gradients are signed; post-ReLU activations are
// not. For per-channel quantization, channel_axis names the axis with one clip per entry.
struct QuantTarget {
  TensorRole role = TensorRole::Weight;
  bool is_signed = true;
  std::int64_t channel_axis = 0;
};

// A calibration method of ptq and of the studies' starting points (lp-pstar):
//   MinMax  max|x| (signed) or max(x) (unsigned);
//   Mse     the clip minimizing mean((Q(x) - x)^2): Lp with p = 2;
//   Lp      the clip minimizing mean(|Q(x) - x|^p), p >= 1 (LAPQ's initialization);
//   Aciq    Banner, Nahshan, Soudry (NeurIPS 2019): the clip minimizing the analytic
//           clipping + rounding error of a Laplace fit for `bits` bits, |mean| + alpha(bits) b.
// Q is the quantizer's own quantize() with its own grid.
struct CalibrationMethod {
  enum class Kind { MinMax, Mse, Lp, Aciq };
  Kind kind = Kind::MinMax;
  double p = 2.0;   // Lp's exponent (>= 1); Mse uses 2 whatever it holds
};

class Quantizer {
 public:
  virtual ~Quantizer() = default;

  // The clipping value(s) for x: a 0-d tensor (per-tensor) or a 1-d tensor with one value per
  // channel (per-channel). Values are > 0. Not differentiable. Deterministic.
  virtual at::Tensor calibrate(const at::Tensor& x, const QuantTarget& target) = 0;

  // x fake-quantized with `clip` (as returned by calibrate, possibly changed by a search):
  // values on the quantizer's grid, in x's dtype and shape. Differentiable with respect to x
  // following the quantizer's backward rule (straight-through for weights and activations),
  // and with respect to clip where the plugin declares clip_gradient. Stochastic rounding
  // draws from `generator` only, so that a seeded run repeats exactly.
  virtual at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip,
                              const QuantTarget& target, at::Generator& generator) = 0;

  // The clip `method` gives for x, where the plugin computes it itself; an undefined tensor
  // (the default) lets the harness compute it through quantize(). Not differentiable.
  // Deterministic.
  virtual at::Tensor calibrate_method(const at::Tensor& x, const QuantTarget& target,
                                      const CalibrationMethod& method) {
    (void)x, (void)target, (void)method;
    return at::Tensor();
  }
};

}  // namespace qharness
