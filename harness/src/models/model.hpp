#pragma once
// The model API shared by every zoo architecture: a torch::nn::Module with one forward, plus
// the list of its quantizable layers (every QConv2d and QLinear) in torchvision's order and
// with torchvision-style names ("conv1", "layer1.0.conv1", "layer2.0.downsample.0", "fc").
// Later stages (PTQ, Hessians, LUQ, masks) address layers through this list; `first` and
// `last` name its ends.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/quant_layer.hpp"

namespace qharness {

struct NamedQuantLayer {
  std::string name;       // torchvision-style module path
  QuantLayer* layer;      // owned by the model
};

// One link of a model's forward as a chain, forward(x) = stage_n(...stage_1(x)...): what lets
// an evaluation that changes only later layers' clips restart from a stage's cached input
// (models/incremental_forward.hpp). `layers` are the quantizable layers the stage runs.
struct ModelStage {
  std::function<at::Tensor(const at::Tensor&)> run;
  std::vector<QuantLayer*> layers;
};

class QModel : public torch::nn::Module {
 public:
  explicit QModel(std::string arch) : torch::nn::Module(arch), arch_(std::move(arch)) {}
  const std::string& arch() const { return arch_; }
  virtual at::Tensor forward(const at::Tensor& x) = 0;
  // forward as a chain of stages. The default is one stage, the whole forward (nothing to
  // reuse); lenet5 and the resnets split at every layer or residual block, and their forward
  // runs exactly these stages, so both give the same bits.
  virtual std::vector<ModelStage> stages();

  // Every QConv2d/QLinear, in registration order (torchvision's; for these architectures
  // also the order of forward, but for a residual block's downsample, which runs beside the
  // block's convolutions).
  std::vector<NamedQuantLayer> quant_layers();
  // The quantizable layers among `module` and its descendants, in registration order.
  static std::vector<QuantLayer*> quant_layers_of(torch::nn::Module& module);
  // A layer by name, or "first"/"last"; throws std::invalid_argument listing the valid names.
  NamedQuantLayer find_layer(const std::string& name);
  // Names, resolving first/last, in model order; duplicates removed.
  std::vector<std::string> resolve_layer_names(const std::vector<std::string>& names);
  // Turns every slot of every layer off.
  void clear_quantization();

 protected:
  // x through every stage in order: the forward of a model that defines stages().
  at::Tensor run_stages(const at::Tensor& x);

 private:
  std::string arch_;
};

}  // namespace qharness
