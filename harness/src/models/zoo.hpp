#pragma once
// The model zoo: builds an architecture by name for an input shape and class count.
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

std::vector<std::string> arch_names();
// Throws std::invalid_argument for an unknown arch (listing the known ones).
std::shared_ptr<QModel> make_model(const ModelSpec& spec);

// The individual builders (zoo.cpp dispatches on the name).
std::shared_ptr<QModel> make_mlp(const ModelSpec& spec);
std::shared_ptr<QModel> make_lenet5(const ModelSpec& spec);
std::shared_ptr<QModel> make_resnet(const ModelSpec& spec);   // resnet20 | resnet18 | resnet50

}  // namespace qharness
