// The first layer's own weight gradient (models/one_channel_conv.hpp): the same gradients as
// ATen's convolution backward up to float summation order, against a float64 reference, the
// same bits for any thread count, ATen's formula when the backward is differentiated, and the
// layer (QConv2d) takes it only where it applies.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <limits>
#include <tuple>

#include "models/one_channel_conv.hpp"
#include "models/quant_layer.hpp"

namespace qharness {
namespace {

struct Shape {
  std::int64_t images, rows, cols, out, kernel, padding;
};

// grad_weight and grad_bias in float64, straight from the definition.
std::tuple<at::Tensor, at::Tensor> reference(const at::Tensor& x, const at::Tensor& g, std::int64_t kernel,
                                             std::int64_t padding) {
  at::Tensor xd = at::constant_pad_nd(x.to(at::kDouble), {padding, padding, padding, padding});
  at::Tensor gd = g.to(at::kDouble);
  const std::int64_t oh = g.size(2), ow = g.size(3);
  at::Tensor gw = at::empty({g.size(1), 1, kernel, kernel}, at::kDouble);
  for (std::int64_t i = 0; i < kernel; ++i)
    for (std::int64_t j = 0; j < kernel; ++j) {
      at::Tensor window = xd.slice(2, i, i + oh).slice(3, j, j + ow);   // (N, 1, OH, OW)
      gw.select(2, i).select(2, j).copy_((gd * window).sum({0, 2, 3}).unsqueeze(1));
    }
  return {gw, gd.sum({0, 2, 3})};
}

double rel(const at::Tensor& a, const at::Tensor& b) {
  return ((a.to(at::kDouble) - b.to(at::kDouble)).norm() / b.to(at::kDouble).norm()).item<double>();
}

// An input, weight and bias that all want gradients (square images, square kernels), and an
// independent copy of them for ATen's own path.
struct Leaves {
  static std::tuple<at::Tensor, at::Tensor, at::Tensor> make(std::int64_t images, std::int64_t size, std::int64_t out,
                                                             std::int64_t kernel) {
    return {at::randn({images, 1, size, size}).requires_grad_(true),
            at::randn({out, 1, kernel, kernel}).requires_grad_(true), at::randn({out}).requires_grad_(true)};
  }
  static std::tuple<at::Tensor, at::Tensor, at::Tensor> copy_of(const at::Tensor& x, const at::Tensor& w,
                                                                const at::Tensor& b) {
    auto leaf = [](const at::Tensor& t) { return t.detach().clone().requires_grad_(true); };
    return {leaf(x), leaf(w), leaf(b)};
  }
};

class OneChannelConv : public ::testing::TestWithParam<Shape> {};

// Output widths that are a multiple of the 8 lanes (16, 24: no partial block) and that are not
// (28, 7, 21, 1: a partial last block); with and without padding; 3x3 and 5x5.
INSTANTIATE_TEST_SUITE_P(Shapes, OneChannelConv,
                         ::testing::Values(Shape{6, 28, 28, 6, 5, 2}, Shape{5, 13, 11, 4, 5, 0}, Shape{3, 28, 28, 16, 3, 1},
                                           Shape{2, 9, 23, 3, 3, 0}, Shape{1, 5, 5, 2, 5, 0}, Shape{4, 16, 16, 5, 3, 1},
                                           Shape{2, 12, 28, 3, 5, 0}));

TEST_P(OneChannelConv, TheGradientsAreAtensUpToSummationOrderAndMatchAFloat64Reference) {
  const Shape s = GetParam();
  at::manual_seed(1);
  at::Tensor x = at::randn({s.images, 1, s.rows, s.cols});
  at::Tensor w = at::randn({s.out, 1, s.kernel, s.kernel}).requires_grad_(true);
  at::Tensor b = at::randn({s.out}).requires_grad_(true);
  at::Tensor y = conv2d_one_input_channel(x, w, b, s.padding);
  at::Tensor expected_y = at::conv2d(x, w, b, {1, 1}, {s.padding, s.padding});
  EXPECT_TRUE(at::equal(y, expected_y)) << "the forward pass is ATen's";
  at::Tensor g = at::randn_like(y);
  auto ours = torch::autograd::grad({y}, {w, b}, {g});
  auto aten = torch::autograd::grad({expected_y}, {w, b}, {g});
  auto [ref_w, ref_b] = reference(x, g, s.kernel, s.padding);
  EXPECT_LT(rel(ours[0], ref_w), 1e-6);
  EXPECT_LT(rel(ours[1], ref_b), 1e-6);
  EXPECT_LT(rel(ours[0], aten[0]), 1e-5);
  EXPECT_LT(rel(ours[1], aten[1]), 1e-5);
}

TEST(OneChannelConv, TheGradientsAreTheSameBitsForAnyThreadCount) {
  at::manual_seed(2);
  at::Tensor x = at::randn({32, 1, 28, 28});
  at::Tensor g = at::randn({32, 6, 28, 28});
  const int before = at::get_num_threads();
  at::Tensor first_w, first_b;
  for (int threads : {1, 2, 3, 5}) {
    at::set_num_threads(threads);
    at::Tensor gw = at::empty({6, 1, 5, 5}), gb = at::empty({6});
    one_input_channel_weight_gradient(x, g, 2, gw, gb);
    if (!first_w.defined()) {
      first_w = gw;
      first_b = gb;
    } else {
      EXPECT_TRUE(at::equal(gw, first_w)) << threads << " threads";
      EXPECT_TRUE(at::equal(gb, first_b)) << threads << " threads";
    }
  }
  at::set_num_threads(before);
}

TEST(OneChannelConv, AColumnOnlyPastTheOutputsWidthDoesNotEnterTheSum) {
  // 11 columns, 5x5, no padding: 7 output columns, so the 8-lane block's last lane lines up with
  // input columns 7..11 that no output position of kernel column j = 0 reads. An inf in column 7
  // reaches the true gradient only through kernel columns j >= 1 (7 - 6 = 1 and more).
  at::manual_seed(3);
  at::Tensor x = at::randn({2, 1, 9, 11});
  x.index_put_({0, 0, 4, 7}, std::numeric_limits<float>::infinity());
  at::Tensor g = at::randn({2, 3, 5, 7});
  at::Tensor gw = at::empty({3, 1, 5, 5}), gb = at::empty({3});
  one_input_channel_weight_gradient(x, g, 0, gw, gb);
  auto [ref_w, ref_b] = reference(x, g, 5, 0);
  at::Tensor col0 = gw.select(3, 0), ref_col0 = ref_w.select(3, 0);
  ASSERT_TRUE(at::isfinite(ref_col0).all().item<bool>());
  EXPECT_TRUE(at::isfinite(col0).all().item<bool>()) << "0 * inf entered the sum of kernel column 0: " << col0;
  EXPECT_LT(rel(col0, ref_col0), 1e-6);
  EXPECT_TRUE(at::isinf(gw.select(3, 1)).any().item<bool>()) << "kernel column 1 does read the inf";
}

TEST(OneChannelConv, TheInputGradientIsAtensAndADifferentiatedBackwardUsesAtensFormula) {
  at::manual_seed(4);
  auto [x, w, b] = Leaves::make(4, 12, 5, 3);
  auto [x2, w2, b2] = Leaves::copy_of(x, w, b);
  at::Tensor y = conv2d_one_input_channel(x, w, b, 1), y2 = at::conv2d(x2, w2, b2, {1, 1}, {1, 1});
  // First order: the input's gradient is ATen's own, to the bit.
  at::Tensor gx = torch::autograd::grad({y.square().sum()}, {x}, {}, true)[0];
  at::Tensor gx2 = torch::autograd::grad({y2.square().sum()}, {x2}, {}, true)[0];
  EXPECT_TRUE(at::equal(gx, gx2));
  // Differentiated again (create_graph): the weight's gradient must carry a graph back to the
  // input; ours has none, so the backward has to take ATen's formula here.
  at::Tensor gw = torch::autograd::grad({y.square().sum()}, {w}, {}, true, true)[0];
  at::Tensor gw2 = torch::autograd::grad({y2.square().sum()}, {w2}, {}, true, true)[0];
  ASSERT_TRUE(gw.requires_grad());
  at::Tensor hx = torch::autograd::grad({gw.square().sum()}, {x})[0];
  at::Tensor hx2 = torch::autograd::grad({gw2.square().sum()}, {x2})[0];
  EXPECT_LT(rel(hx, hx2), 1e-5);
}

TEST(OneChannelConv, InputWeightAndBiasGradientsInOneBackwardMatchAtens) {
  // The common training case when a clip upstream has a gradient: all three wanted at once.
  at::manual_seed(7);
  auto [x, w, b] = Leaves::make(4, 14, 6, 5);
  auto [x2, w2, b2] = Leaves::copy_of(x, w, b);
  at::Tensor g = at::randn({4, 6, 14, 14});
  auto ours = torch::autograd::grad({conv2d_one_input_channel(x, w, b, 2)}, {x, w, b}, {g});
  auto aten = torch::autograd::grad({at::conv2d(x2, w2, b2, {1, 1}, {2, 2})}, {x2, w2, b2}, {g});
  EXPECT_TRUE(at::equal(ours[0], aten[0])) << "the input's gradient is ATen's";
  EXPECT_LT(rel(ours[1], aten[1]), 1e-5);
  EXPECT_LT(rel(ours[2], aten[2]), 1e-5);
}

TEST(OneChannelConv, AMaskedLayersDenseWeightGetsTheMaskedGradient) {
  // QConv2d's weight mask (forward w * mask, straight-through backward) wraps the op unchanged.
  at::manual_seed(8);
  QConv2d conv(QConv2dOptions(1, 4, 3).with_padding(1));
  conv->weight_mask = at::rand({4, 1, 3, 3}) > 0.5;
  at::Tensor x = at::randn({3, 1, 9, 9});
  at::Tensor y = conv->forward(x);
  at::Tensor masked = (conv->weight * conv->weight_mask).detach();
  EXPECT_TRUE(at::equal(y, at::conv2d(x, masked, conv->bias.detach(), {1, 1}, {1, 1})));
  at::Tensor g = at::randn_like(y);
  y.backward(g);
  auto [ref_w, ref_b] = reference(x, g, 3, 1);
  EXPECT_LT(rel(conv->weight.grad(), ref_w), 1e-6) << "straight-through: the dense weight gets the whole gradient";
  EXPECT_LT(rel(conv->bias.grad(), ref_b), 1e-6);
}

TEST(OneChannelConv, ALayerWithoutBiasGetsItsWeightGradient) {
  at::manual_seed(6);
  at::Tensor x = at::randn({3, 1, 10, 10});
  at::Tensor w = at::randn({4, 1, 3, 3}).requires_grad_(true);
  at::Tensor y = conv2d_one_input_channel(x, w, at::Tensor(), 1);
  EXPECT_TRUE(at::equal(y, at::conv2d(x, w, {}, {1, 1}, {1, 1})));
  at::Tensor g = at::randn_like(y);
  y.backward(g);
  auto [ref_w, ref_b] = reference(x, g, 3, 1);
  EXPECT_LT(rel(w.grad(), ref_w), 1e-6);
}

TEST(OneChannelConv, TheLayerTakesItOnlyWhereItApplies) {
  at::Tensor x1 = at::randn({2, 1, 8, 8}), x3 = at::randn({2, 3, 8, 8});
  at::Tensor w1 = at::randn({4, 1, 3, 3}).requires_grad_(true), w3 = at::randn({4, 3, 3, 3}).requires_grad_(true);
  EXPECT_TRUE(one_input_channel_conv_applies(x1, w1, 1, 1));
  EXPECT_FALSE(one_input_channel_conv_applies(x3, w3, 1, 1)) << "three input channels";
  EXPECT_FALSE(one_input_channel_conv_applies(x1, w1, 2, 1)) << "stride 2";
  EXPECT_FALSE(one_input_channel_conv_applies(x1, w1.detach(), 1, 1)) << "no weight gradient wanted";
  {
    at::NoGradGuard no_grad;
    EXPECT_FALSE(one_input_channel_conv_applies(x1, w1, 1, 1)) << "evaluation";
  }
  EXPECT_FALSE(one_input_channel_conv_applies(x1.to(at::kDouble), w1.to(at::kDouble), 1, 1)) << "float64";
  // The layer: a one-channel QConv2d's weight gradient is ours (the same bits as the kernel's).
  at::manual_seed(5);
  QConv2d conv(QConv2dOptions(1, 4, 3).with_padding(1));
  at::Tensor y = conv->forward(x1);
  at::Tensor g = at::randn_like(y);
  y.backward(g);
  at::Tensor gw = at::empty({4, 1, 3, 3}), gb = at::empty({4});
  one_input_channel_weight_gradient(x1, g, 1, gw, gb);
  EXPECT_TRUE(at::equal(conv->weight.grad(), gw));
  EXPECT_TRUE(at::equal(conv->bias.grad(), gb));
}

}  // namespace
}  // namespace qharness
