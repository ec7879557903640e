// A minimal quantizer plugin: symmetric uniform quantization with max|x| ("min-max") clipping,
// round-to-nearest or stochastic rounding, straight-through rounding, differentiable in the
// clip. Copy this folder to start your own quantizer; docs/plugins.md walks through it.
//
// What the harness needs of a quantizer is written in <qharness/quantizer.hpp>. This one meets
// all of it, so it runs in every task: ptq with every method (the harness computes minmax, mse,
// lp and aciq through quantize() below, since it does not override calibrate_method), hessian
// with every method (exact needs the clip gradient it declares), landscape and quant-train.
#include <ATen/ATen.h>
#include <qharness/plugin.hpp>

#include <cmath>

#ifndef QHARNESS_PLUGIN_NAME
#define QHARNESS_PLUGIN_NAME "template"
#endif

namespace {

class TemplateQuantizer : public qharness::Quantizer {
 public:
  // Every quantizer gets the common options bits / granularity / rounding, plus its own.
  explicit TemplateQuantizer(const qharness::Params& p)
      : bits_(p.get_int("bits")),
        per_channel_(p.get_string("granularity") == "per-channel"),
        stochastic_(p.get_string("rounding") == "stochastic") {}

  // The clip used where no method fixes one (dynamic slots, e.g. quant-train): max|x|, per
  // tensor (0-d) or per channel (1-d along target.channel_axis).
  at::Tensor calibrate(const at::Tensor& x, const qharness::QuantTarget& target) override {
    at::Tensor a = target.is_signed ? x.detach().abs() : x.detach();
    if (!per_channel_) return a.max().clamp_min(1e-12);
    // One clip per channel: the max over every other axis.
    return a.transpose(0, target.channel_axis).flatten(1).amax(1).clamp_min(1e-12);
  }

  // Uniform grid with zero representable: levels k * clip / qmax, k in [-qmax, qmax] signed,
  // [0, qmax] unsigned. Built from differentiable ops only, so it is differentiable in x
  // (straight-through inside the clipping range, 0 outside) and, twice, in clip (the scale's
  // gradient, as in LSQ): hessian exact and LAPQ's gradient optimizers work.
  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const qharness::QuantTarget& target,
                      at::Generator& generator) override {
    if (bits_ >= 32) return x;  // bits: 32 means "not quantized"
    const double qmax = target.is_signed ? std::pow(2.0, bits_ - 1) - 1 : std::pow(2.0, bits_) - 1;
    const double qmin = target.is_signed ? -qmax : 0.0;
    const at::Tensor scale = broadcast_clip(clip.to(x.scalar_type()), x, target) / qmax;
    const at::Tensor y = (x / scale).clamp(qmin, qmax);
    at::Tensor rounded;
    if (stochastic_) {
      // floor(y + u), u ~ U[0, 1): rounds up with probability equal to the fraction (unbiased).
      // Noise comes from `generator` only, so a seeded run repeats.
      const at::Tensor u = at::empty_like(y).uniform_(0.0, 1.0, generator);
      rounded = (y.detach() + u).floor().clamp(qmin, qmax);
    } else {
      rounded = y.detach().round();
    }
    // Straight-through rounding: the value is rounded * scale, the gradient that of y * scale.
    return (y + (rounded - y).detach()) * scale;
  }

  // A plugin with a faster or closed-form way to compute a calibration method would override
  //   at::Tensor calibrate_method(const at::Tensor& x, const qharness::QuantTarget& target,
  //                               const qharness::CalibrationMethod& method) override;
  // and return an undefined tensor for the methods it leaves to the harness.

 private:
  // A per-channel clip [C] viewed as [1, .., C, .., 1] along the channel axis.
  static at::Tensor broadcast_clip(const at::Tensor& clip, const at::Tensor& x, const qharness::QuantTarget& t) {
    if (clip.dim() == 0) return clip;
    std::vector<int64_t> shape(x.dim(), 1);
    shape[t.channel_axis] = clip.numel();
    return clip.reshape(shape);
  }

  int64_t bits_;
  bool per_channel_;
  bool stochastic_;
};

void register_plugins(qharness::Registrar& registrar) {
  qharness::PluginInfo info{QHARNESS_PLUGIN_NAME,
                            "template: symmetric uniform, max|x| clipping, straight-through, differentiable in the "
                            "clip (copy me)",
                            {}};
  // Weights, activations and gradients (the defaults), and quantize() is differentiable in clip.
  info.quantizer.clip_gradient = true;
  registrar.add_quantizer(info, [](const qharness::Params& p) { return std::make_unique<TemplateQuantizer>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
