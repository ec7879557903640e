// A minimal quantizer plugin: symmetric uniform quantization with max|x| ("min-max") clipping,
// round-to-nearest or stochastic rounding, straight-through backward. Copy this folder to
// start your own quantizer; docs/plugins.md walks through it.
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

  at::Tensor calibrate(const at::Tensor& x, const qharness::QuantTarget& target) override {
    at::Tensor a = x.detach().abs();
    if (!per_channel_) return a.max().clamp_min(1e-12);
    // One clip per channel: the max over every other axis.
    return a.transpose(0, target.channel_axis).flatten(1).amax(1).clamp_min(1e-12);
  }

  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const qharness::QuantTarget& target,
                      at::Generator& generator) override {
    if (bits_ >= 32) return x;  // bits: 32 means "not quantized"
    // Integer grid with zero representable: [-qmax, qmax] signed, [0, 2^bits - 1] unsigned.
    const double qmax = target.is_signed ? std::pow(2.0, bits_ - 1) - 1 : std::pow(2.0, bits_) - 1;
    const double qmin = target.is_signed ? -qmax : 0.0;
    at::Tensor scale = broadcast_clip(clip.to(x.scalar_type()), x, target) / qmax;
    at::Tensor y = (x.detach() / scale).clamp(qmin, qmax);
    if (stochastic_) {
      // floor(y + u), u ~ U[0, 1): rounds up with probability equal to the fraction (unbiased).
      y = (y + at::empty_like(y).uniform_(0.0, 1.0, generator)).floor().clamp(qmin, qmax);
    } else {
      y = y.round();
    }
    at::Tensor q = y * scale;
    return x + (q - x).detach();  // straight-through: forward q, gradient of the identity
  }

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
  registrar.add_quantizer(
      {QHARNESS_PLUGIN_NAME, "template: symmetric uniform, max|x| clipping, straight-through (copy me)", {}},
      [](const qharness::Params& p) { return std::make_unique<TemplateQuantizer>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
