// AdaPrune (tasks/adaprune.hpp): the Gram matrix of a convolution's unfolded input reproduces
// the layer's output energy (v^T G v = ||conv(x, v)||^2 for any weight v), and the batched
// per-row solve equals an independent least-squares fit of each row over its kept inputs.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "masks/nm/nm_mask.hpp"
#include "qharness/masks/optimal_masks.hpp"
#include "models/quant_layer.hpp"
#include "models/zoo.hpp"
#include "tasks/adaprune.hpp"

using namespace qharness;

TEST(AdaPrune, ConvGramGivesTheOutputEnergyOfAnyWeight) {
  at::manual_seed(0);
  auto model = make_model({"lenet5", {1, 28, 28}, 10});
  const auto first = model->find_layer("first");
  auto* conv = dynamic_cast<QConv2dImpl*>(first.layer);
  ASSERT_NE(conv, nullptr);
  const at::Tensor images = at::randn({5, 1, 28, 28});
  const at::Tensor augmented = input_grams(*model, {first}, images, 2).at(0);   // chunks of 2: 2 + 2 + 1
  const std::int64_t d = conv->weight[0].numel();
  ASSERT_EQ(augmented.size(0), d + 1);
  // The appended constant: its entry counts the patches (5 images x 28 x 28 positions, padding 2).
  EXPECT_EQ(augmented[d][d].item<double>(), 5.0 * 28 * 28);
  const at::Tensor gram = augmented.slice(0, 0, d).slice(1, 0, d);
  const at::Tensor v = at::randn_like(conv->weight);
  const at::Tensor y = at::conv2d(images, v, {}, conv->options.stride, conv->options.padding);
  const at::Tensor flat = v.reshape({v.size(0), -1}).to(at::kDouble);
  const double from_gram = (flat.mm(gram) * flat).sum().item<double>();
  EXPECT_NEAR(from_gram, y.to(at::kDouble).pow(2).sum().item<double>(), 1e-6 * from_gram);
}

TEST(AdaPrune, EachRowIsTheLeastSquaresFitOverItsKeptInputs) {
  at::manual_seed(1);
  QLinear layer(QLinearOptions(16, 6));
  const at::Tensor x = at::randn({200, 16}, at::kDouble);
  const at::Tensor x1 = at::cat({x, at::ones({200, 1}, at::kDouble)}, 1);   // [x; 1]
  const at::Tensor gram = x1.t().mm(x1);
  const at::Tensor b = layer->bias.detach().to(at::kDouble).clone();
  const at::Tensor w = layer->weight.detach().to(at::kDouble).clone();
  for (bool structured : {true, false}) {   // nm: equal kept counts (one batch); unstructured: several
    layer->weight.detach().copy_(w);
    layer->weight_mask = structured ? masks::nm_mask(layer->weight, {2, 4}) : masks::optimal_mask(MaskPattern::Unstructured, {3, 8}, layer->weight);
    const AdaPruneResult r = adaprune_layer(*layer, gram);
    EXPECT_LT(r.error_adaprune, r.error_pruned);
    const at::Tensor target = x.mm(w.t());   // [200, 6]; the bias is not re-fitted: it cancels
    for (std::int64_t o = 0; o < 6; ++o) {
      const at::Tensor kept = layer->weight_mask[o].nonzero().squeeze(1);
      const at::Tensor fit =
          std::get<0>(at::linalg_lstsq(x.index_select(1, kept), target.select(1, o).unsqueeze(1))).squeeze(1);
      const at::Tensor got = layer->weight[o].to(at::kDouble);
      EXPECT_TRUE(at::allclose(got.index_select(0, kept), fit, 1e-4, 1e-5)) << "row " << o;
      EXPECT_EQ(got.masked_select(layer->weight_mask[o].logical_not()).abs().sum().item<double>(), 0.0);
    }
  }
}

// fit_bias (the paper's code): each row is the least-squares fit of [kept inputs, 1] to the
// dense output W x + b, and the error is never above the weights-only fit's nor above the
// paper's starting point (old bias plus the pruned weights' mean contribution).
TEST(AdaPrune, FitBiasIsTheLeastSquaresFitWithAConstantInput) {
  at::manual_seed(2);
  QLinear layer(QLinearOptions(16, 6));
  const at::Tensor x = at::randn({300, 16}, at::kDouble) + 0.7;   // a nonzero mean: the bias matters
  const at::Tensor x1 = at::cat({x, at::ones({300, 1}, at::kDouble)}, 1);
  const at::Tensor gram = x1.t().mm(x1);
  const at::Tensor w = layer->weight.detach().to(at::kDouble).clone();
  const at::Tensor b = layer->bias.detach().to(at::kDouble).clone();
  const at::Tensor mask = masks::nm_mask(layer->weight, {2, 4});
  const at::Tensor target = x.mm(w.t()) + b;   // [300, 6]

  auto run = [&](bool fit_bias) {
    layer->weight.detach().copy_(w);
    layer->bias.detach().copy_(b);
    layer->weight_mask = mask;
    return adaprune_layer(*layer, gram, AdaPruneOptions{fit_bias});
  };
  const AdaPruneResult weights_only = run(false);
  EXPECT_TRUE(at::allclose(layer->bias.to(at::kDouble), b));   // untouched without fit_bias
  const AdaPruneResult with_bias = run(true);
  EXPECT_LT(with_bias.error_adaprune, weights_only.error_adaprune);
  EXPECT_DOUBLE_EQ(with_bias.error_pruned, weights_only.error_pruned);
  for (std::int64_t o = 0; o < 6; ++o) {
    const at::Tensor kept = mask[o].nonzero().squeeze(1);
    const at::Tensor design = at::cat({x.index_select(1, kept), at::ones({300, 1}, at::kDouble)}, 1);
    const at::Tensor fit = std::get<0>(at::linalg_lstsq(design, target.select(1, o).unsqueeze(1))).squeeze(1);
    EXPECT_TRUE(at::allclose(layer->weight[o].to(at::kDouble).index_select(0, kept), fit.slice(0, 0, -1), 1e-4, 1e-5));
    EXPECT_NEAR(layer->bias[o].item<double>(), fit[-1].item<double>(), 1e-4);
  }
  // The paper's initialization: pruned weights' mean contribution absorbed into the bias.
  const at::Tensor absorbed = b + (w * mask.logical_not().to(at::kDouble)).mv(x.mean(0));
  const at::Tensor start_out = x.mm((w * mask.to(at::kDouble)).t()) + absorbed;
  const at::Tensor fitted_out = x.mm(layer->weight.to(at::kDouble).t()) + layer->bias.to(at::kDouble);
  EXPECT_LE((fitted_out - target).pow(2).sum().item<double>(), (start_out - target).pow(2).sum().item<double>());
}

