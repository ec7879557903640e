#include "models/quant_layer.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/nn/init.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "models/one_channel_conv.hpp"

namespace qharness {
namespace {

// Identity forward; backward quantizes the incoming gradient (dL/dy) with the slot, so that
// the producer of y (conv/linear backward) computes dL/dW and dL/dx from one quantized tensor.
// The slot is passed by address: the layer owns it and outlives the graphs it builds.
struct OutputGradientQuantization : public torch::autograd::Function<OutputGradientQuantization> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& y, QuantSlot* slot) {
    ctx->saved_data["slot"] = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(slot));
    return y;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto* slot = reinterpret_cast<QuantSlot*>(static_cast<std::intptr_t>(ctx->saved_data["slot"].toInt()));
    at::NoGradGuard no_grad;
    return {slot->apply(grads[0]), at::Tensor()};
  }
};

}  // namespace

at::Tensor QuantSlot::calibrate(const at::Tensor& x) {
  if (!quantizer) throw std::logic_error("QuantSlot::calibrate: the slot has no quantizer");
  at::NoGradGuard no_grad;
  clip = quantizer->calibrate(x.detach(), target);
  return clip;
}

at::Tensor QuantSlot::apply(const at::Tensor& x) {
  if (!quantizer) return x;
  if (!generator.defined()) generator = at::make_generator<at::CPUGeneratorImpl>(0);
  at::Tensor c = clip;
  if (!c.defined()) {
    at::NoGradGuard no_grad;
    c = quantizer->calibrate(x.detach(), target);
  }
  return quantizer->quantize(x, c, target, generator);
}

void QuantSlot::clear() {
  quantizer.reset();
  clip = at::Tensor();
}

void QuantLayer::init_slots(bool input_signed) {
  weight_quant.target = QuantTarget{TensorRole::Weight, true, 0};
  input_quant.target = QuantTarget{TensorRole::Activation, input_signed, 1};
  grad_quant.target = QuantTarget{TensorRole::Gradient, true, 1};
}

at::Tensor QuantLayer::effective_weight() {
  at::Tensor w = weight_param();
  if (weight_mask.defined()) {
    if (weight_mask.sizes() != w.sizes()) {
      std::ostringstream msg;
      msg << kind() << ": weight_mask has shape " << weight_mask.sizes() << ", the weight " << w.sizes();
      throw std::invalid_argument(msg.str());
    }
    // Forward: w * mask. Backward: identity to the dense weight (straight-through).
    w = w - (w * weight_mask.logical_not()).detach();
  }
  return weight_quant.apply(w);
}

at::Tensor QuantLayer::quantize_output_gradient(const at::Tensor& y) {
  if (!y.requires_grad()) return y;
  return OutputGradientQuantization::apply(y, &grad_quant);
}

namespace {

// torch's reset_parameters of Conv2d and Linear.
void torch_default_init(at::Tensor& weight, at::Tensor& bias, std::int64_t fan_in) {
  at::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

}  // namespace

QConv2dImpl::QConv2dImpl(QConv2dOptions o) : options(o) { reset(); }

void QConv2dImpl::reset() {
  const auto& o = options;
  if (o.in_channels % o.groups || o.out_channels % o.groups)
    throw std::invalid_argument("QConv2d: channels must be divisible by groups");
  weight = register_parameter("weight", at::empty({o.out_channels, o.in_channels / o.groups, o.kernel_size, o.kernel_size}));
  bias = o.bias ? register_parameter("bias", at::empty({o.out_channels})) : register_parameter("bias", at::Tensor(), false);
  init_slots(o.input_signed);
  torch_default_init(weight, bias, o.in_channels / o.groups * o.kernel_size * o.kernel_size);
}

at::Tensor QConv2dImpl::forward(const at::Tensor& x) {
  const auto& o = options;
  return quantized_forward(x, [&](const at::Tensor& in, const at::Tensor& w) {
    // A one-channel input (grayscale images' first layer) takes our weight gradient: faster than
    // oneDNN's and the same for any thread count (models/one_channel_conv.hpp).
    if (one_input_channel_conv_applies(in, w, o.stride, o.groups)) return conv2d_one_input_channel(in, w, bias, o.padding);
    return at::conv2d(in, w, bias, {o.stride, o.stride}, {o.padding, o.padding}, {1, 1}, o.groups);
  });
}

void QConv2dImpl::pretty_print(std::ostream& s) const {
  s << "qharness::QConv2d(" << options.in_channels << ", " << options.out_channels << ", kernel_size="
    << options.kernel_size << ", stride=" << options.stride << ", padding=" << options.padding
    << (options.bias ? "" : ", bias=false") << ")";
}

QLinearImpl::QLinearImpl(QLinearOptions o) : options(o) { reset(); }

void QLinearImpl::reset() {
  weight = register_parameter("weight", at::empty({options.out_features, options.in_features}));
  bias = options.bias ? register_parameter("bias", at::empty({options.out_features}))
                      : register_parameter("bias", at::Tensor(), false);
  init_slots(options.input_signed);
  torch_default_init(weight, bias, options.in_features);
}

at::Tensor QLinearImpl::forward(const at::Tensor& x) {
  return quantized_forward(x, [&](const at::Tensor& in, const at::Tensor& w) { return at::linear(in, w, bias); });
}

void QLinearImpl::pretty_print(std::ostream& s) const {
  s << "qharness::QLinear(in_features=" << options.in_features << ", out_features=" << options.out_features
    << (options.bias ? "" : ", bias=false") << ")";
}

}  // namespace qharness
