// Zoo models and quantization-aware layers: shapes, torchvision names, first/last, the four
// slots (empty = bit-identical to torch's modules; each slot really acts), checkpoints.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <boost/filesystem.hpp>
#include <fstream>

#include "models/checkpoint.hpp"
#include "models/memory_format.hpp"
#include "models/zoo.hpp"

namespace fs = boost::filesystem;
using namespace qharness;

namespace {

// Symmetric uniform fake quantization with a straight-through round: differentiable in x
// (STE) and in clip (through the scale), like the real uniform quantizer.
class TestUniformQuantizer : public Quantizer {
 public:
  explicit TestUniformQuantizer(int bits) : levels_((1 << (bits - 1)) - 1) {}
  at::Tensor calibrate(const at::Tensor& x, const QuantTarget&) override { return x.abs().max(); }
  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget&, at::Generator&) override {
    at::Tensor scale = clip / levels_;
    at::Tensor v = at::clamp(x / scale, -levels_, levels_);
    at::Tensor r = v + (v.round() - v).detach();
    return r * scale;
  }

 private:
  double levels_;
};

// Records what it is asked to quantize and returns it scaled by `factor` (a visible change).
class RecordingQuantizer : public Quantizer {
 public:
  explicit RecordingQuantizer(double factor) : factor_(factor) {}
  at::Tensor calibrate(const at::Tensor& x, const QuantTarget&) override { return x.abs().max(); }
  at::Tensor quantize(const at::Tensor& x, const at::Tensor&, const QuantTarget& t, at::Generator&) override {
    seen.push_back(x.clone());
    roles.push_back(t.role);
    return x * factor_;
  }
  std::vector<at::Tensor> seen;
  std::vector<TensorRole> roles;

 private:
  double factor_;
};

std::vector<std::string> layer_names(QModel& m) {
  std::vector<std::string> out;
  for (const auto& l : m.quant_layers()) out.push_back(l.name);
  return out;
}

}  // namespace

TEST(Zoo, OutputShapesForFashionMnistAndCifarInputs) {
  at::manual_seed(0);
  for (const std::string arch : {"mlp", "lenet5", "resnet20", "resnet18"}) {
    auto m = make_model({arch, {1, 28, 28}, 10});
    EXPECT_EQ(m->forward(at::randn({2, 1, 28, 28})).sizes(), (std::vector<std::int64_t>{2, 10})) << arch;
  }
  for (const std::string arch : {"lenet5", "resnet20", "resnet50"}) {
    auto m = make_model({arch, {3, 32, 32}, 7});
    EXPECT_EQ(m->forward(at::randn({2, 3, 32, 32})).sizes(), (std::vector<std::int64_t>{2, 7})) << arch;
  }
  EXPECT_THROW(make_model({"vgg", {1, 28, 28}, 10}), std::invalid_argument);
}

// Channels-last memory changes strides, not values: the same parameters (objects and values),
// the same outputs and gradients up to float summation order inside the convolutions.
TEST(MemoryFormat, ChannelsLastGivesTheSameNumbersUpToSummationOrder) {
  for (const char* arch : {"lenet5", "resnet20"}) {
    at::manual_seed(0);
    auto nchw = make_model(ModelSpec{arch, {1, 28, 28}, 10});
    at::manual_seed(0);
    auto nhwc = make_model(ModelSpec{arch, {1, 28, 28}, 10});
    const at::Tensor first_weight = nhwc->parameters()[0];
    use_channels_last(*nhwc);
    EXPECT_TRUE(nhwc->parameters()[0].is_same(first_weight)) << arch;
    EXPECT_TRUE(first_weight.is_contiguous(at::MemoryFormat::ChannelsLast)) << arch;
    const at::Tensor x = at::randn({8, 1, 28, 28});
    const at::Tensor x_cl = channels_last(x);
    EXPECT_TRUE(x_cl.is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(at::equal(x_cl, x));
    nchw->train();
    nhwc->train();
    const at::Tensor y = nchw->forward(x), y_cl = nhwc->forward(x_cl);
    EXPECT_TRUE(at::allclose(y_cl, y, 1e-5, 1e-5)) << arch << " max |diff| " << (y_cl - y).abs().max().item<float>();
    y.sum().backward();
    y_cl.sum().backward();
    const auto g = nchw->parameters(), g_cl = nhwc->parameters();
    // Relative to each gradient's norm: a weight gradient sums batch x H x W products, in
    // another order in NHWC, and train-mode batch norm passes it on through 20 layers: resnet20
    // measured up to 3.6e-5 of the norm (float32, sqrt(terms) x eps); 2e-4 leaves 5x margin.
    for (std::size_t i = 0; i < g.size(); ++i) {
      const double err = (g_cl[i].grad() - g[i].grad()).norm().item<double>();
      const double norm = g[i].grad().norm().item<double>();
      EXPECT_LE(err, 2e-4 * norm + 1e-7) << arch << " parameter " << i << ": |diff| " << err << ", |grad| " << norm;
    }
  }
}

// `memory_format: auto` is channels-last for a model that is only evaluated, NCHW where it is
// trained; the other two settings force one; anything else is an error that lists them.
TEST(MemoryFormat, AutoIsChannelsLastForEvaluationOnly) {
  EXPECT_TRUE(wants_channels_last("auto", ModelUse::Evaluation));
  EXPECT_FALSE(wants_channels_last("auto", ModelUse::Training));
  for (ModelUse use : {ModelUse::Evaluation, ModelUse::Training}) {
    EXPECT_TRUE(wants_channels_last("channels-last", use));
    EXPECT_FALSE(wants_channels_last("contiguous", use));
  }
  try {
    wants_channels_last("nhwc", ModelUse::Evaluation);
    FAIL() << "no error for an unknown memory format";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("auto, contiguous or channels-last"), std::string::npos) << e.what();
  }
}

TEST(Zoo, LayerNamesFirstAndLast) {
  auto lenet = make_model({"lenet5", {1, 28, 28}, 10});
  EXPECT_EQ(layer_names(*lenet), (std::vector<std::string>{"conv1", "conv2", "fc1", "fc2", "fc3"}));
  EXPECT_EQ(lenet->find_layer("first").name, "conv1");
  EXPECT_EQ(lenet->find_layer("last").name, "fc3");
  EXPECT_TRUE(lenet->find_layer("conv1").layer->input_signed());     // normalized image
  EXPECT_FALSE(lenet->find_layer("conv2").layer->input_signed());    // post-ReLU
  try {
    lenet->find_layer("conv3");
    FAIL() << "no error for an unknown layer";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("conv1, conv2, fc1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(lenet->resolve_layer_names({"last", "first", "conv1"}), (std::vector<std::string>{"conv1", "fc3"}));

  auto r20 = make_model({"resnet20", {1, 28, 28}, 10});
  auto names = layer_names(*r20);
  EXPECT_EQ(names.size(), 1u + 9 * 2 + 2 + 1);   // stem, 9 blocks x 2, two downsamples, fc
  EXPECT_EQ(names.front(), "conv1");
  EXPECT_EQ(names[1], "layer1.0.conv1");
  EXPECT_EQ(names.back(), "fc");
  EXPECT_NE(std::find(names.begin(), names.end(), "layer2.0.downsample.0"), names.end());
  EXPECT_FALSE(r20->find_layer("layer2.0.downsample.0").layer->input_signed());
}

TEST(Zoo, ResNetsHaveTorchvisionNames) {
  auto r18 = make_model({"resnet18", {3, 224, 224}, 1000});
  EXPECT_EQ(r18->named_parameters().size(), 62u);
  EXPECT_EQ(r18->named_buffers().size(), 60u);
  for (const char* n : {"conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                        "layer2.0.downsample.1.bias", "layer4.1.bn2.weight", "fc.weight", "fc.bias"})
    EXPECT_NE(r18->named_parameters().find(n), nullptr) << n;
  EXPECT_NE(r18->named_buffers().find("layer3.1.bn1.num_batches_tracked"), nullptr);
  EXPECT_EQ(r18->named_parameters()["layer2.0.conv1.weight"].sizes(), (std::vector<std::int64_t>{128, 64, 3, 3}));
  auto r50 = make_model({"resnet50", {3, 224, 224}, 1000});
  EXPECT_EQ(r50->named_parameters().size(), 161u);
  EXPECT_EQ(r50->named_buffers().size(), 159u);
  EXPECT_EQ(r50->named_parameters()["layer1.0.conv3.weight"].sizes(), (std::vector<std::int64_t>{256, 64, 1, 1}));
  EXPECT_EQ(r50->named_parameters()["fc.weight"].sizes(), (std::vector<std::int64_t>{1000, 2048}));
}

TEST(QuantLayers, EmptySlotsAreBitIdenticalToTorchModules) {
  at::manual_seed(1);
  QConv2d qc(QConv2dOptions(3, 5, 3).with_stride(2).with_padding(1));
  torch::nn::Conv2d c(torch::nn::Conv2dOptions(3, 5, 3).stride(2).padding(1));
  {
    at::NoGradGuard g;
    c->weight.copy_(qc->weight);
    c->bias.copy_(qc->bias);
  }
  at::Tensor x = at::randn({4, 3, 9, 9});
  EXPECT_TRUE(at::equal(qc->forward(x), c->forward(x)));
  QLinear ql(QLinearOptions(6, 4));
  torch::nn::Linear l(torch::nn::LinearOptions(6, 4));
  {
    at::NoGradGuard g;
    l->weight.copy_(ql->weight);
    l->bias.copy_(ql->bias);
  }
  at::Tensor v = at::randn({3, 6});
  EXPECT_TRUE(at::equal(ql->forward(v), l->forward(v)));
  EXPECT_EQ(qc->named_parameters().size(), 2u);
  EXPECT_NE(qc->named_parameters().find("weight"), nullptr);
}

TEST(QuantLayers, WeightAndInputSlotsChangeTheOutput) {
  at::manual_seed(2);
  QLinear l(QLinearOptions(16, 8));
  at::Tensor x = at::randn({5, 16});
  at::Tensor plain = l->forward(x);
  l->weight_quant.quantizer = std::make_shared<TestUniformQuantizer>(2);
  at::Tensor wq = l->effective_weight();
  EXPECT_LE(std::get<0>(at::_unique(wq)).numel(), 3);   // levels -s, 0, s
  at::Tensor y = l->forward(x);
  EXPECT_FALSE(at::allclose(y, plain));
  EXPECT_TRUE(at::allclose(y, at::linear(x, wq, l->bias)));
  l->weight_quant.clear();
  l->input_quant.quantizer = std::make_shared<TestUniformQuantizer>(2);
  at::Tensor xq = l->input_quant.apply(x);
  EXPECT_TRUE(at::allclose(l->forward(x), at::linear(xq, l->weight, l->bias)));
  EXPECT_FALSE(at::allclose(l->forward(x), plain));
  l->input_quant.clear();
  EXPECT_TRUE(at::equal(l->forward(x), plain));
}

TEST(QuantLayers, GradientSlotQuantizesTheOutputGradientForBothProducts) {
  at::manual_seed(3);
  QLinear l(QLinearOptions(6, 4));
  auto rec = std::make_shared<RecordingQuantizer>(0.5);
  l->grad_quant.quantizer = rec;
  at::Tensor x = at::randn({3, 6}).requires_grad_();
  at::Tensor r = at::randn({3, 4});
  at::Tensor y = l->forward(x);
  EXPECT_TRUE(rec->seen.empty());   // nothing is quantized in forward
  (y * r).sum().backward();
  ASSERT_EQ(rec->seen.size(), 1u);
  EXPECT_EQ(rec->roles[0], TensorRole::Gradient);
  EXPECT_TRUE(at::allclose(rec->seen[0], r));   // dL/dy
  const at::Tensor g = r * 0.5;                 // the quantized output gradient
  EXPECT_TRUE(at::allclose(l->weight.grad(), g.t().mm(x.detach()), 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(x.grad(), g.mm(l->weight.detach()), 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(l->bias.grad(), g.sum(0), 1e-5, 1e-6));

  QConv2d c(QConv2dOptions(2, 3, 3).with_padding(1));
  auto crec = std::make_shared<RecordingQuantizer>(1.0);
  c->grad_quant.quantizer = crec;
  at::Tensor xc = at::randn({2, 2, 5, 5});
  at::Tensor rc = at::randn({2, 3, 5, 5});
  (c->forward(xc) * rc).sum().backward();
  ASSERT_EQ(crec->seen.size(), 1u);
  EXPECT_TRUE(at::allclose(crec->seen[0], rc));
}

TEST(QuantLayers, MaskZeroesWeightsStraightThrough) {
  at::manual_seed(4);
  QConv2d c(QConv2dOptions(4, 4, 3).with_bias(false));
  at::Tensor mask = at::rand(c->weight.sizes()) > 0.5;
  c->weight_mask = mask;
  at::Tensor x = at::randn({2, 4, 6, 6});
  at::Tensor masked = (c->weight * mask).detach();
  at::Tensor y = c->forward(x);
  EXPECT_TRUE(at::allclose(y, at::conv2d(x, masked), 1e-5, 1e-6));
  y.sum().backward();
  // Straight-through: the dense gradient, also at pruned positions.
  at::Tensor w = masked.clone().requires_grad_();
  at::conv2d(x, w).sum().backward();
  EXPECT_TRUE(at::allclose(c->weight.grad(), w.grad(), 1e-5, 1e-6));
  EXPECT_GT(c->weight.grad().masked_select(mask.logical_not()).abs().sum().item<double>(), 0.0);
}

TEST(QuantLayers, ClipKeepsItsGraphToTheLoss) {
  at::manual_seed(5);
  QLinear l(QLinearOptions(8, 3));
  l->input_quant.quantizer = std::make_shared<TestUniformQuantizer>(3);
  at::Tensor x = at::randn({4, 8});
  l->input_quant.calibrate(x);
  EXPECT_EQ(l->input_quant.clip.dim(), 0);
  l->input_quant.clip = (l->input_quant.clip * 0.7).detach().requires_grad_();
  l->forward(x).pow(2).sum().backward();
  ASSERT_TRUE(l->input_quant.clip.grad().defined());
  EXPECT_NE(l->input_quant.clip.grad().item<double>(), 0.0);
}

TEST(QuantLayers, ModelSlotsAreReachableByName) {
  at::manual_seed(6);
  auto m = make_model({"lenet5", {1, 28, 28}, 10});
  at::Tensor x = at::randn({2, 1, 28, 28});
  at::Tensor plain = m->forward(x);
  m->find_layer("last").layer->weight_quant.quantizer = std::make_shared<TestUniformQuantizer>(2);
  EXPECT_FALSE(at::allclose(m->forward(x), plain));
  m->clear_quantization();
  EXPECT_TRUE(at::equal(m->forward(x), plain));
}

TEST(Checkpoint, RoundTripAndClearErrors) {
  const fs::path dir = fs::temp_directory_path() / fs::unique_path("qh-ckpt-%%%%%%%%");
  fs::create_directories(dir);
  const std::string path = (dir / "m.pt").string();
  at::manual_seed(7);
  auto a = make_model({"resnet20", {1, 28, 28}, 10});
  {
    at::NoGradGuard g;
    a->named_buffers()["bn1.running_mean"].fill_(0.25);
  }
  save_checkpoint(*a, path);
  at::manual_seed(8);
  auto b = make_model({"resnet20", {1, 28, 28}, 10});
  load_checkpoint(*b, path);
  at::Tensor x = at::randn({2, 1, 28, 28});
  a->eval();
  b->eval();
  EXPECT_TRUE(at::equal(a->forward(x), b->forward(x)));
  EXPECT_TRUE(at::equal(b->named_buffers()["bn1.running_mean"], at::full({16}, 0.25)));

  auto lenet = make_model({"lenet5", {1, 28, 28}, 10});
  auto msg = [&](QModel& m, const std::string& p) {
    try {
      load_checkpoint(m, p);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(msg(*lenet, path).find("holds a resnet20, not a lenet5"), std::string::npos);
  auto wide = make_model({"resnet20", {3, 28, 28}, 10});
  EXPECT_NE(msg(*wide, path).find("conv1.weight has shape"), std::string::npos) << msg(*wide, path);
  std::ofstream((dir / "junk.pt").string()) << "not a checkpoint";
  EXPECT_NE(msg(*b, (dir / "junk.pt").string()).find("not a readable checkpoint"), std::string::npos);
  EXPECT_NE(msg(*b, (dir / "none.pt").string()).find("does not exist"), std::string::npos);
  fs::remove_all(dir);
}
