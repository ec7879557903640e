// mlp: flatten -> fc1 (512) -> ReLU -> fc2 (256) -> ReLU -> fc3 (classes).
#include <ATen/ATen.h>

#include "models/zoo.hpp"

namespace qharness {
namespace {

class Mlp : public QModel {
 public:
  explicit Mlp(const ModelSpec& s) : QModel("mlp") {
    const auto in = s.input.channels * s.input.height * s.input.width;
    fc1 = register_module("fc1", QLinear(QLinearOptions(in, 512)));
    fc2 = register_module("fc2", QLinear(QLinearOptions(512, 256).with_input_signed(false)));
    fc3 = register_module("fc3", QLinear(QLinearOptions(256, s.num_classes).with_input_signed(false)));
  }
  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor h = at::relu(fc1->forward(x.flatten(1)));
    h = at::relu(fc2->forward(h));
    return fc3->forward(h);
  }

 private:
  QLinear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};

}  // namespace

std::shared_ptr<QModel> make_mlp(const ModelSpec& spec) { return std::make_shared<Mlp>(spec); }

}  // namespace qharness
