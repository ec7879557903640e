#include "models/zoo.hpp"

#include <stdexcept>

#include "util/named_table.hpp"

namespace qharness {
namespace {

std::function<std::shared_ptr<QModel>(const ModelSpec&)> resnet(ResNetLayout layout) {
  return [layout](const ModelSpec& spec) { return make_resnet(spec, layout); };
}

}  // namespace

const std::vector<ModelInfo>& all_models() {
  static const std::vector<ModelInfo> models = {
      {"mlp", "flatten -> 512 -> 256 -> classes, ReLU between", 28, false, make_mlp},
      {"lenet5", "LeNet-5 (conv1 pads inputs below 32x32 up to LeNet's 32x32)", 28, false, make_lenet5},
      {"resnet20", "CIFAR ResNet-20 (16/32/64 channels, 1x1-conv shortcuts)", 32, true,
       resnet({false, false, {3, 3, 3}, {16, 32, 64}})},
      {"resnet18", "torchvision's ResNet-18 (its parameter names and initialization)", 224, true,
       resnet({true, false, {2, 2, 2, 2}, {64, 128, 256, 512}})},
      {"resnet50", "torchvision's ResNet-50 (its parameter names and initialization)", 224, true,
       resnet({true, true, {3, 4, 6, 3}, {64, 128, 256, 512}})},
  };
  return models;
}

std::vector<std::string> arch_names() { return names_of(all_models()); }

const ModelInfo& model_info(const std::string& arch) { return require_named(all_models(), arch, "model"); }

std::shared_ptr<QModel> make_model(const ModelSpec& spec) {
  const ModelInfo& info = model_info(spec.arch);
  if (spec.num_classes < 1) throw std::invalid_argument("model: num_classes must be >= 1");
  return info.build(spec);
}

}  // namespace qharness
