// lenet5: LeCun et al. 1998 with ReLU and max pooling (the common modern form).
#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

#include "models/zoo.hpp"

namespace qharness {
namespace {

class LeNet5 : public QModel {
 public:
  explicit LeNet5(const ModelSpec& s) : QModel("lenet5") {
    // Pad small inputs up to 32x32 (Fashion-MNIST: 2), so the maps are 28 -> 14 -> 10 -> 5.
    const std::int64_t pad = std::max<std::int64_t>(0, (32 - std::min(s.input.height, s.input.width)) / 2);
    const std::int64_t h = (s.input.height + 2 * pad - 4) / 2 - 4, w = (s.input.width + 2 * pad - 4) / 2 - 4;
    if (h < 2 || w < 2) throw std::invalid_argument("lenet5: input " + std::to_string(s.input.height) + "x" +
                                                    std::to_string(s.input.width) + " is too small");
    conv1 = register_module("conv1", QConv2d(QConv2dOptions(s.input.channels, 6, 5).with_padding(pad)));
    conv2 = register_module("conv2", QConv2d(QConv2dOptions(6, 16, 5).with_input_signed(false)));
    fc1 = register_module("fc1", QLinear(QLinearOptions(16 * (h / 2) * (w / 2), 120).with_input_signed(false)));
    fc2 = register_module("fc2", QLinear(QLinearOptions(120, 84).with_input_signed(false)));
    fc3 = register_module("fc3", QLinear(QLinearOptions(84, s.num_classes).with_input_signed(false)));
  }
  at::Tensor forward(const at::Tensor& x) override { return run_stages(x); }
  // A stage per layer: conv -> relu -> pool, twice, then the three Linear layers.
  std::vector<ModelStage> stages() override {
    return {{[this](const at::Tensor& x) { return at::max_pool2d(at::relu(conv1->forward(x)), {2, 2}); }, {conv1.get()}},
            {[this](const at::Tensor& h) { return at::max_pool2d(at::relu(conv2->forward(h)), {2, 2}); }, {conv2.get()}},
            {[this](const at::Tensor& h) { return at::relu(fc1->forward(h.flatten(1))); }, {fc1.get()}},
            {[this](const at::Tensor& h) { return at::relu(fc2->forward(h)); }, {fc2.get()}},
            {[this](const at::Tensor& h) { return fc3->forward(h); }, {fc3.get()}}};
  }

 private:
  QConv2d conv1{nullptr}, conv2{nullptr};
  QLinear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};

}  // namespace

std::shared_ptr<QModel> make_lenet5(const ModelSpec& spec) { return std::make_shared<LeNet5>(spec); }

}  // namespace qharness
