#include "tasks/layer_macs.hpp"

#include <ATen/ATen.h>

#include <memory>

#include "tasks/recording_quantizer.hpp"

namespace qharness {

std::vector<double> forward_macs(QModel& model, const at::Tensor& one_image) {
  auto layers = model.quant_layers();
  std::vector<std::shared_ptr<Quantizer>> saved;
  std::vector<std::shared_ptr<RecordingQuantizer>> probes;  // pass-through: the layers' inputs
  for (auto& l : layers) {
    saved.push_back(l.layer->input_quant.quantizer);
    probes.push_back(std::make_shared<RecordingQuantizer>());
    l.layer->input_quant.quantizer = probes.back();
  }
  {
    at::NoGradGuard no_grad;
    const bool was_training = model.is_training();
    model.eval();
    model.forward(one_image);
    if (was_training) model.train();
  }
  std::vector<double> macs;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    layers[i].layer->input_quant.quantizer = saved[i];
    const at::Tensor& w = layers[i].layer->weight_param();
    const auto in = probes[i]->seen.sizes();
    if (auto* conv = dynamic_cast<QConv2dImpl*>(layers[i].layer)) {
      const auto& o = conv->options;
      const double oh = double((in[2] + 2 * o.padding - o.kernel_size) / o.stride + 1);
      const double ow = double((in[3] + 2 * o.padding - o.kernel_size) / o.stride + 1);
      macs.push_back(oh * ow * double(w.numel()));
    } else {
      macs.push_back(double(w.numel()));
    }
  }
  return macs;
}

}  // namespace qharness
