// A quantizer plugin for the tests of the quantizer contract (tests/cli/test_quantizer_traits.py):
// `frozen-clip`, a symmetric uniform quantizer whose quantize() treats the clip as a constant
// (it detaches it), and so declares no clip_gradient. The harness must compute every ptq
// calibration method for it through quantize(), run hessian fd and quadfit, and refuse
// hessian method exact before any trial runs. Kept out of the plugin folder: the test puts it
// on the plugin path itself.
#include <ATen/ATen.h>
#include <qharness/plugin.hpp>

#include <cmath>

namespace {

class FrozenClipQuantizer : public qharness::Quantizer {
 public:
  explicit FrozenClipQuantizer(const qharness::Params& p) : bits_(p.get_int("bits")) {}

  at::Tensor calibrate(const at::Tensor& x, const qharness::QuantTarget& target) override {
    return (target.is_signed ? x.detach().abs() : x.detach()).max().clamp_min(1e-12);
  }

  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const qharness::QuantTarget& target,
                      at::Generator&) override {
    const double qmax = target.is_signed ? std::pow(2.0, bits_ - 1) - 1 : std::pow(2.0, bits_) - 1;
    const at::Tensor scale = clip.detach().to(x.scalar_type()) / qmax;   // no gradient to the clip
    const at::Tensor q = (x.detach() / scale).round().clamp(target.is_signed ? -qmax : 0.0, qmax) * scale;
    return x + (q - x).detach();   // straight-through to x
  }

 private:
  int64_t bits_;
};

void register_plugins(qharness::Registrar& registrar) {
  // Every role; clip_gradient left at its default, false.
  registrar.add_quantizer({"frozen-clip", "test: uniform, per tensor, the clip a constant (no clip gradient)", {}},
                          [](const qharness::Params& p) { return std::make_unique<FrozenClipQuantizer>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
