#pragma once
// The model API shared by every zoo architecture: a torch::nn::Module with one forward, plus
// the list of its quantizable layers (every QConv2d and QLinear) in torchvision's order and
// with torchvision-style names ("conv1", "layer1.0.conv1", "layer2.0.downsample.0", "fc").
// Later stages (PTQ, Hessians, LUQ, masks) address layers through this list; `first` and
// `last` name its ends.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "models/quant_layer.hpp"

namespace qharness {

struct NamedQuantLayer {
  std::string name;       // torchvision-style module path
  QuantLayer* layer;      // owned by the model
};

class QModel : public torch::nn::Module {
 public:
  explicit QModel(std::string arch) : torch::nn::Module(arch), arch_(std::move(arch)) {}
  const std::string& arch() const { return arch_; }
  virtual at::Tensor forward(const at::Tensor& x) = 0;

  // Every QConv2d/QLinear, in registration order (torchvision's; for these architectures
  // also the order of forward, but for a residual block's downsample, which runs beside the
  // block's convolutions).
  std::vector<NamedQuantLayer> quant_layers();
  // A layer by name, or "first"/"last"; throws std::invalid_argument listing the valid names.
  NamedQuantLayer find_layer(const std::string& name);
  // Names, resolving first/last, in model order; duplicates removed.
  std::vector<std::string> resolve_layer_names(const std::vector<std::string>& names);
  // Turns every slot of every layer off.
  void clear_quantization();

 private:
  std::string arch_;
};

}  // namespace qharness
