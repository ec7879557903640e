// fake_quant_ste: the fast kernel's forward with the straight-through backward to x, for
// training (quant-train, sparse training): the activations require grad there, and the
// composed ATen path would cost six passes over memory forward and as many backward, where
// this costs one forward (the kernel) and one fused select backward.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include "fake_quant.hpp"

namespace qharness::plugins::uniform {
namespace {

// What the quantization of x takes besides x. Passed to apply() as one non-tensor argument:
// autograd would track tensor arguments (and refuses undefined ones, as offset and noise may be).
struct Constants {
  at::Tensor scale, offset, noise;
  FakeQuantSpec spec;
};

struct FakeQuantStraightThrough : public torch::autograd::Function<FakeQuantStraightThrough> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const Constants& c) {
    const at::Tensor scale = c.scale.detach();
    const at::Tensor offset = c.offset.defined() ? c.offset.detach() : c.offset;
    const FakeQuantSpec& spec = c.spec;
    ctx->save_for_backward({x});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["has_offset"] = offset.defined();
    if (offset.defined()) ctx->saved_data["offset"] = offset;
    ctx->saved_data["lo"] = spec.lo;
    ctx->saved_data["hi"] = spec.hi;
    ctx->saved_data["axis"] = spec.channel_axis;
    return fake_quant_kernel(x, scale, offset, spec, c.noise);
  }

  // d q / d x = 1 where lo <= (x - offset) / scale <= hi, else 0: the mask of clamp's
  // backward in fake_quant_composed, computed with the same float32 operations.
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    const std::int64_t axis = ctx->saved_data["axis"].toInt();
    at::Tensor shifted = x;
    if (ctx->saved_data["has_offset"].toBool())
      shifted = x - broadcastable(ctx->saved_data["offset"].toTensor().to(x.scalar_type()), x, axis);
    const at::Tensor y = shifted / broadcastable(ctx->saved_data["scale"].toTensor().to(x.scalar_type()), x, axis);
    const at::Tensor inside = y.ge(ctx->saved_data["lo"].toDouble()).logical_and_(y.le(ctx->saved_data["hi"].toDouble()));
    return {at::where(inside, grads[0], at::zeros({}, grads[0].options())), at::Tensor()};
  }
};

}  // namespace

at::Tensor fake_quant_ste(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& offset,
                          const FakeQuantSpec& spec, const at::Tensor& noise) {
  return FakeQuantStraightThrough::apply(x, Constants{scale, offset, noise, spec});
}

}  // namespace qharness::plugins::uniform
