#include "tasks/gradient_statistics.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "tasks/recording_quantizer.hpp"

namespace qharness {
namespace {

// dL/dW of the layer for output gradient g and layer input x.
at::Tensor weight_gradient(QuantLayer& layer, const at::Tensor& x, const at::Tensor& g) {
  at::Tensor w = layer.effective_weight().detach();
  if (auto* conv = dynamic_cast<QConv2dImpl*>(&layer)) {
    const auto& o = conv->options;
    return std::get<1>(at::convolution_backward(g, x, w, c10::nullopt, {o.stride, o.stride}, {o.padding, o.padding},
                                                {1, 1}, false, {0, 0}, o.groups, {false, true, false}));
  }
  return g.reshape({-1, g.size(-1)}).t().matmul(x.reshape({-1, x.size(-1)}));
}

}  // namespace

double debiased_bias(double bias, double error, int samples) {
  if (samples < 2) throw std::invalid_argument("debiased_bias: needs at least 2 samples");
  const double s = samples;
  return std::sqrt(std::max(0.0, (s * bias * bias - error) / (s - 1.0)));
}

GradientStatistics measure_gradient_statistics(QModel& model, const std::vector<NamedQuantLayer>& layers,
                                               const at::Tensor& images, const at::Tensor& labels, int samples) {
  if (samples < 2) throw std::invalid_argument("gradient statistics: stats_samples must be >= 2 (the debiased bias needs two)");
  const bool was_training = model.is_training();
  model.eval();
  // Keep the parameters' gradients: measuring must not disturb a training step.
  std::vector<at::Tensor> saved;
  for (auto& p : model.parameters()) saved.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());

  std::vector<std::shared_ptr<RecordingQuantizer>> grads, inputs;
  for (const auto& l : layers) {
    auto g = std::make_shared<RecordingQuantizer>(l.layer->grad_quant.quantizer);
    l.layer->grad_quant.quantizer = g;
    grads.push_back(g);
    // Every layer's input as its product sees it: through the input quantizer when there is
    // one, else a pass-through probe (a layer with FP32 inputs, or the first layer's image,
    // flattened for a Linear as the layer flattens it).
    auto in = std::make_shared<RecordingQuantizer>(l.layer->input_quant.quantizer);
    l.layer->input_quant.quantizer = in;
    inputs.push_back(in);
  }
  at::Tensor loss = at::cross_entropy_loss(model.forward(images), labels);
  loss.backward();

  GradientStatistics s;
  {
    at::NoGradGuard no_grad;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      QuantLayer& layer = *layers[i].layer;
      const at::Tensor x = inputs[i]->returned;
      const at::Tensor g = grads[i]->seen;
      QuantSlot& slot = layer.grad_quant;
      const at::Tensor clip = slot.clip.defined() ? slot.clip : grads[i]->inner->calibrate(g, slot.target);
      const at::Tensor reference = weight_gradient(layer, x, g);
      const double ref_sq = reference.pow(2).sum().item<double>();
      at::Tensor mean = at::zeros_like(reference);
      double err = 0;
      for (int k = 0; k < samples; ++k) {
        at::Tensor d = weight_gradient(layer, x, grads[i]->inner->quantize(g, clip, slot.target, slot.generator));
        mean += d / samples;
        err += (d - reference).pow(2).sum().item<double>() / samples;
      }
      s.layers.push_back(layers[i].name);
      s.bias.push_back(ref_sq > 0 ? std::sqrt((mean - reference).pow(2).sum().item<double>() / ref_sq) : 0.0);
      s.error.push_back(ref_sq > 0 ? err / ref_sq : 0.0);
      s.debiased_bias.push_back(debiased_bias(s.bias.back(), s.error.back(), samples));
    }
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    layers[i].layer->grad_quant.quantizer = grads[i]->inner;
    layers[i].layer->input_quant.quantizer = inputs[i]->inner;   // empty again where it was
  }
  std::size_t k = 0;
  for (auto& p : model.parameters()) {
    if (saved[k].defined()) p.mutable_grad() = saved[k];
    else p.mutable_grad() = at::Tensor();
    ++k;
  }
  if (was_training) model.train();
  return s;
}

}  // namespace qharness
