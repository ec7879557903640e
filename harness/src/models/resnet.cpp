// ResNets: the CIFAR resnet20 and torchvision's resnet18/resnet50, from QConv2d/QLinear and
// torch BatchNorm2d, with torchvision's module names and initialization
// (torchvision/models/resnet.py, v0.14: kaiming_normal_(fan_out, relu) for convolutions,
// BN weight 1 and bias 0, torch's default for fc).
#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include <stdexcept>

#include "models/zoo.hpp"

namespace qharness {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::BatchNorm2dOptions;

// Every block's input is the output of a ReLU: all its convolutions see unsigned inputs.
QConv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride, bool input_signed = false) {
  return QConv2d(QConv2dOptions(in, out, k).with_stride(stride).with_padding(k / 2).with_bias(false).with_input_signed(input_signed));
}

class Block : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& x) = 0;
};

torch::nn::Sequential make_downsample(std::int64_t in, std::int64_t out, std::int64_t stride) {
  return torch::nn::Sequential(conv(in, out, 1, stride), BatchNorm2d(BatchNorm2dOptions(out)));
}

class BasicBlock : public Block {
 public:
  static constexpr std::int64_t expansion = 1;
  BasicBlock(std::int64_t in, std::int64_t planes, std::int64_t stride) {
    conv1 = register_module("conv1", conv(in, planes, 3, stride));
    bn1 = register_module("bn1", BatchNorm2d(BatchNorm2dOptions(planes)));
    conv2 = register_module("conv2", conv(planes, planes, 3, 1));
    bn2 = register_module("bn2", BatchNorm2d(BatchNorm2dOptions(planes)));
    if (stride != 1 || in != planes) downsample = register_module("downsample", make_downsample(in, planes, stride));
  }
  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor out = at::relu(bn1->forward(conv1->forward(x)));
    out = bn2->forward(conv2->forward(out));
    out = out + (downsample ? downsample->forward(x) : x);
    return at::relu(out);
  }

 private:
  QConv2d conv1{nullptr}, conv2{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};

// torchvision's Bottleneck (ResNet v1.5: the stride sits on the 3x3 convolution).
class Bottleneck : public Block {
 public:
  static constexpr std::int64_t expansion = 4;
  Bottleneck(std::int64_t in, std::int64_t planes, std::int64_t stride) {
    conv1 = register_module("conv1", conv(in, planes, 1, 1));
    bn1 = register_module("bn1", BatchNorm2d(BatchNorm2dOptions(planes)));
    conv2 = register_module("conv2", conv(planes, planes, 3, stride));
    bn2 = register_module("bn2", BatchNorm2d(BatchNorm2dOptions(planes)));
    conv3 = register_module("conv3", conv(planes, planes * expansion, 1, 1));
    bn3 = register_module("bn3", BatchNorm2d(BatchNorm2dOptions(planes * expansion)));
    if (stride != 1 || in != planes * expansion)
      downsample = register_module("downsample", make_downsample(in, planes * expansion, stride));
  }
  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor out = at::relu(bn1->forward(conv1->forward(x)));
    out = at::relu(bn2->forward(conv2->forward(out)));
    out = bn3->forward(conv3->forward(out));
    out = out + (downsample ? downsample->forward(x) : x);
    return at::relu(out);
  }

 private:
  QConv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};


class ResNet : public QModel {
 public:
  ResNet(const ModelSpec& s, const ResNetLayout& l) : QModel(s.arch) {
    const std::int64_t expansion = l.bottleneck ? Bottleneck::expansion : BasicBlock::expansion;
    std::int64_t in = l.planes[0];
    imagenet_stem_ = l.imagenet_stem;
    conv1 = register_module("conv1", QConv2d(QConv2dOptions(s.input.channels, in, imagenet_stem_ ? 7 : 3)
                                                 .with_stride(imagenet_stem_ ? 2 : 1)
                                                 .with_padding(imagenet_stem_ ? 3 : 1)
                                                 .with_bias(false)));
    bn1 = register_module("bn1", BatchNorm2d(BatchNorm2dOptions(in)));
    for (std::size_t stage = 0; stage < l.blocks.size(); ++stage) {
      torch::nn::ModuleList list;
      std::vector<std::shared_ptr<Block>> blocks;
      for (std::int64_t b = 0; b < l.blocks[stage]; ++b) {
        const std::int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
        std::shared_ptr<Block> block;
        if (l.bottleneck) block = std::make_shared<Bottleneck>(in, l.planes[stage], stride);
        else block = std::make_shared<BasicBlock>(in, l.planes[stage], stride);
        in = l.planes[stage] * expansion;
        list->push_back(block);
        blocks.push_back(block);
      }
      register_module("layer" + std::to_string(stage + 1), list);
      stages_.push_back(std::move(blocks));
    }
    fc = register_module("fc", QLinear(QLinearOptions(in, s.num_classes).with_input_signed(false)));
    init_like_torchvision();
  }

  at::Tensor forward(const at::Tensor& x) override { return run_stages(x); }
  // The stem, each residual block, the head (pool and fc).
  std::vector<ModelStage> stages() override {
    std::vector<ModelStage> out;
    out.push_back({[this](const at::Tensor& x) {
                     at::Tensor h = at::relu(bn1->forward(conv1->forward(x)));
                     return imagenet_stem_ ? at::max_pool2d(h, {3, 3}, {2, 2}, {1, 1}) : h;
                   },
                   {conv1.get()}});
    for (auto& stage : stages_)
      for (auto& block : stage)
        out.push_back({[b = block.get()](const at::Tensor& h) { return b->forward(h); }, quant_layers_of(*block)});
    out.push_back({[this](const at::Tensor& h) { return fc->forward(at::adaptive_avg_pool2d(h, {1, 1}).flatten(1)); },
                   {fc.get()}});
    return out;
  }

 private:
  void init_like_torchvision() {
    at::NoGradGuard no_grad;
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* c = m->as<QConv2dImpl>()) {
        torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      } else if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
        bn->weight.fill_(1.0);
        bn->bias.zero_();
      }
    }
  }

  bool imagenet_stem_ = false;
  QConv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  std::vector<std::vector<std::shared_ptr<Block>>> stages_;
  QLinear fc{nullptr};
};

}  // namespace

std::shared_ptr<QModel> make_resnet(const ModelSpec& spec, const ResNetLayout& layout) {
  return std::make_shared<ResNet>(spec, layout);
}

}  // namespace qharness
