#pragma once
// The model zoo: builds an architecture by name for an input shape and class count. Every
// architecture is one entry of the table in zoo.cpp (the way tasks are in tasks/task.cpp): the
// schema's allowed model.arch values, `qharness import --arch` and make_model() read it, so
// adding a model is its builder and one entry there, plus its test (docs/data-models.md).
//
//   mlp       flatten -> fc1 (512) -> ReLU -> fc2 (256) -> ReLU -> fc3. Any input shape.
//   lenet5    conv1 (6, 5x5) -> ReLU -> maxpool 2 -> conv2 (16, 5x5) -> ReLU -> maxpool 2 ->
//             fc1 (120) -> fc2 (84) -> fc3, ReLU between. conv1 pads inputs smaller than 32x32
//             up to LeNet's 32x32 (padding 2 for Fashion-MNIST's 28x28), so the feature map
//             sizes are the classic ones; larger inputs are not padded.
//   resnet20  CIFAR ResNet (He et al. 2016, sec. 4.2): 3x3 conv (16) and three stages of three
//             BasicBlocks with 16/32/64 channels, stride 2 at stages 2 and 3; shortcuts that
//             change shape are 1x1 conv + BN ("downsample.0/1", option B). Any input channel
//             count and size: 28x28 gives maps of 28, 14 and 7 (global average pooling).
//   resnet18, resnet50   torchvision's ResNets with its exact parameter and buffer names
//             (conv1, bn1, layer1.0.conv1, ..., layer2.0.downsample.0, fc) and its
//             initialization, so `qharness import` copies torchvision weights one to one.
//             For 1x28x28 (Fashion-MNIST) conv1 takes 1 channel and the maps shrink to 1x1 at
//             layer4 (28 -> 14 -> 7 -> 4 -> 2 -> 1): runs, but an ImageNet stem wastes most of
//             such a small image.
// Every architecture builds from QConv2d/QLinear (quant_layer.hpp); BatchNorm stays FP32.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "models/model.hpp"

namespace qharness {

struct ModelSpec {
  std::string arch;
  ImageShape input{1, 28, 28};
  std::int64_t num_classes = 10;
};

struct ModelInfo {
  std::string name;          // the value of model.arch
  std::string description;   // one line, for the YAML reference
  // The image side it is built for when nothing else says (`qharness import`'s default
  // --input-size): its usual dataset's.
  std::int64_t native_input = 28;
  // true: any image size works (global average pooling before the classifier), so its weights
  // do not depend on the input size; false: the classifier is sized for the input.
  bool any_input_size = false;
  std::function<std::shared_ptr<QModel>(const ModelSpec&)> build;
};

// Every architecture, in the order of the YAML reference.
const std::vector<ModelInfo>& all_models();
std::vector<std::string> arch_names();
// std::invalid_argument "unknown model 'x'; known: mlp, lenet5, ..." for an unknown name.
const ModelInfo& model_info(const std::string& arch);
// Throws std::invalid_argument for an unknown arch (listing the known ones) or num_classes < 1.
std::shared_ptr<QModel> make_model(const ModelSpec& spec);

// The individual builders (the table in zoo.cpp names them).
std::shared_ptr<QModel> make_mlp(const ModelSpec& spec);
std::shared_ptr<QModel> make_lenet5(const ModelSpec& spec);
// A ResNet's shape (the zoo's table gives resnet20's, resnet18's and resnet50's).
struct ResNetLayout {
  bool imagenet_stem;                       // 7x7/2 conv + 3x3/2 max pool, else 3x3/1 conv
  bool bottleneck;                          // Bottleneck blocks (expansion 4), else BasicBlocks
  std::vector<std::int64_t> blocks, planes; // per stage: blocks, and the blocks' width
};
std::shared_ptr<QModel> make_resnet(const ModelSpec& spec, const ResNetLayout& layout);

}  // namespace qharness
