#pragma once
// Quantization-aware Conv2d and Linear: the layers every zoo model is built from, and the
// quantization points of PTQ (LAPQ), Hessian studies, LUQ 4-bit training and N:M sparsity.
//
// Each layer has four named slots, all empty by default:
//   weight_quant  quantizes the weight (after the mask) before the product;
//   input_quant   quantizes the layer's input activation;
//   grad_quant    quantizes, in backward, the gradient with respect to the layer's OUTPUT.
//                 A custom autograd function (identity forward) sits on the output, so ONE
//                 quantized gradient feeds both products of backward: dL/dW and dL/dx;
//   weight_mask   a bool tensor of the weight's shape: forward uses weight * mask; backward
//                 is straight-through, so the dense weight receives the full gradient (as
//                 sparse training with masks recomputed on the fly needs).
// With every slot empty, forward is exactly torch's conv2d/linear call on the input (the
// result is bit-identical to torch::nn::Conv2d / Linear with the same parameters) and costs
// nothing extra.
//
// Order in forward: w' = quant_w(w * mask), x' = quant_x(x), y = op(x', w') + b,
// y = grad_quant_fn(y).
//
// Parameter names are torch's ("weight", "bias"), and initialization is torch's default
// (kaiming_uniform with a = sqrt(5), bias uniform in +-1/sqrt(fan_in)), so models built from
// these layers load state dicts of the torch modules they replace.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "qharness/quantizer.hpp"

namespace qharness {

// One quantization point.
struct QuantSlot {
  // Empty = the slot is off (the tensor passes unchanged, at no cost).
  std::shared_ptr<Quantizer> quantizer;
  // What is quantized: role, signedness, channel axis. The layer sets it when it is built:
  // weights signed with channel axis 0 (output channels); input activations unsigned when the
  // model knows the input is post-ReLU (QConv2dOptions::input_signed), channel axis 1;
  // gradients signed, channel axis 1.
  QuantTarget target;
  // The clipping value(s): 0-d (per-tensor) or 1-d with one entry per channel. Read and set
  // freely (LAPQ searches it). When it requires grad, forward keeps the graph from clip to
  // the loss (the quantizer decides whether its quantize() is differentiable in clip).
  // Undefined = dynamic: the quantizer calibrates on every tensor it sees (the usual choice
  // for gradients). calibrate() fixes it from a tensor.
  at::Tensor clip;
  // Source of stochastic rounding. Undefined = a CPU generator seeded with 0 is made on first
  // use, so runs repeat; seed it with generator.set_current_seed(s).
  at::Generator generator;

  bool active() const { return quantizer != nullptr; }
  // Sets clip = quantizer->calibrate(x) (no graph) and returns it.
  at::Tensor calibrate(const at::Tensor& x);
  // x fake-quantized with this slot (x itself when the slot is off).
  at::Tensor apply(const at::Tensor& x);
  // Turns the slot off and forgets clip.
  void clear();
};

// What the conv and linear layers share: the slots and the slot logic.
class QuantLayer {
 public:
  virtual ~QuantLayer() = default;
  QuantSlot weight_quant, input_quant, grad_quant;
  at::Tensor weight_mask;   // undefined = dense; else bool, the weight's shape

  virtual const char* kind() const = 0;          // "conv2d" | "linear"
  virtual at::Tensor& weight_param() = 0;
  virtual at::Tensor& bias_param() = 0;          // undefined when the layer has no bias
  // Whether the layer's input can be negative (false after a ReLU): the input slot's signedness.
  bool input_signed() const { return input_quant.target.is_signed; }
  bool slots_empty() const {
    return !weight_quant.active() && !input_quant.active() && !grad_quant.active() && !weight_mask.defined();
  }
  // The weight as the product sees it: masked, then quantized.
  at::Tensor effective_weight();

 protected:
  void init_slots(bool input_signed);
  // Applies input/weight slots, `op`, then the gradient slot.
  template <class Op>
  at::Tensor quantized_forward(const at::Tensor& x, Op op) {
    if (slots_empty()) return op(x, weight_param());
    at::Tensor y = op(input_quant.apply(x), effective_weight());
    return grad_quant.active() ? quantize_output_gradient(y) : y;
  }
  at::Tensor quantize_output_gradient(const at::Tensor& y);
};

struct QConv2dOptions {
  QConv2dOptions(std::int64_t in, std::int64_t out, std::int64_t kernel) : in_channels(in), out_channels(out), kernel_size(kernel) {}
  std::int64_t in_channels, out_channels;
  std::int64_t kernel_size;                 // square kernels
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t groups = 1;
  bool bias = true;
  bool input_signed = true;                 // false when the input is post-ReLU
  QConv2dOptions& with_stride(std::int64_t s) { stride = s; return *this; }
  QConv2dOptions& with_padding(std::int64_t p) { padding = p; return *this; }
  QConv2dOptions& with_bias(bool b) { bias = b; return *this; }
  QConv2dOptions& with_input_signed(bool s) { input_signed = s; return *this; }
};

class QConv2dImpl : public torch::nn::Cloneable<QConv2dImpl>, public QuantLayer {
 public:
  explicit QConv2dImpl(QConv2dOptions options);
  void reset() override;
  at::Tensor forward(const at::Tensor& x);
  const char* kind() const override { return "conv2d"; }
  at::Tensor& weight_param() override { return weight; }
  at::Tensor& bias_param() override { return bias; }
  void pretty_print(std::ostream& stream) const override;

  QConv2dOptions options;
  at::Tensor weight, bias;   // torch's names: [out, in/groups, k, k] and [out]
};
TORCH_MODULE(QConv2d);

struct QLinearOptions {
  QLinearOptions(std::int64_t in, std::int64_t out) : in_features(in), out_features(out) {}
  std::int64_t in_features, out_features;
  bool bias = true;
  bool input_signed = true;                 // false when the input is post-ReLU
  QLinearOptions& with_bias(bool b) { bias = b; return *this; }
  QLinearOptions& with_input_signed(bool s) { input_signed = s; return *this; }
};

class QLinearImpl : public torch::nn::Cloneable<QLinearImpl>, public QuantLayer {
 public:
  explicit QLinearImpl(QLinearOptions options);
  void reset() override;
  at::Tensor forward(const at::Tensor& x);
  const char* kind() const override { return "linear"; }
  at::Tensor& weight_param() override { return weight; }
  at::Tensor& bias_param() override { return bias; }
  void pretty_print(std::ostream& stream) const override;

  QLinearOptions options;
  at::Tensor weight, bias;   // [out, in] and [out]
};
TORCH_MODULE(QLinear);

}  // namespace qharness
