// fake_quant_ste: the fast kernel's forward with the straight-through backward to x, for
// training (quant-train, sparse training): the activations require grad there, and the
// composed ATen path would cost six passes over memory forward and as many backward, where
// this costs one forward (the kernel) and one fused select backward.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <qharness/vector_clones.hpp>
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

// grad where lo <= (x - offset) / scale <= hi, else 0, over [begin, end).
QHARNESS_VECTOR_CLONES void straight_through_run(const float* xp, const float* gp, float* op, std::int64_t begin,
                                                 std::int64_t end, float scale, bool has_offset, float offset,
                                                 float lo, float hi) {
  for (std::int64_t i = begin; i < end; ++i) {
    const float shifted = has_offset ? xp[i] - offset : xp[i];
    const float y = shifted / scale;
    op[i] = (y >= lo) & (y <= hi) ? gp[i] : 0.0f;
  }
}

// The backward for one scale (and offset) for the whole tensor, fused: one pass reading x and
// the incoming gradient, where the ATen composition below makes five. Same float32 operations,
// so the same mask.
at::Tensor straight_through_per_tensor(const at::Tensor& x, const at::Tensor& grad, float scale, bool has_offset,
                                       float offset, float lo, float hi) {
  const at::Tensor xc = x.contiguous(), gc = grad.to(at::kFloat).contiguous();
  at::Tensor out = at::empty_like(xc);
  const float* xp = xc.data_ptr<float>();
  const float* gp = gc.data_ptr<float>();
  float* op = out.data_ptr<float>();
  at::parallel_for(0, xc.numel(), 1 << 14, [&](std::int64_t begin, std::int64_t end) {
    straight_through_run(xp, gp, op, begin, end, scale, has_offset, offset, lo, hi);
  });
  return out.to(grad.scalar_type());
}

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
    const at::Tensor scale = ctx->saved_data["scale"].toTensor();
    const bool has_offset = ctx->saved_data["has_offset"].toBool();
    if (scale.numel() == 1 && x.scalar_type() == at::kFloat && x.device().is_cpu() && grads[0].device().is_cpu())
      return {straight_through_per_tensor(
                  x, grads[0], scale.to(at::kFloat).item<float>(), has_offset,
                  has_offset ? ctx->saved_data["offset"].toTensor().to(at::kFloat).item<float>() : 0.0f,
                  static_cast<float>(ctx->saved_data["lo"].toDouble()),
                  static_cast<float>(ctx->saved_data["hi"].toDouble())),
              at::Tensor()};
    at::Tensor shifted = x;
    if (has_offset)
      shifted = x - broadcastable(ctx->saved_data["offset"].toTensor().to(x.scalar_type()), x, axis);
    const at::Tensor y = shifted / broadcastable(scale.to(x.scalar_type()), x, axis);
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
