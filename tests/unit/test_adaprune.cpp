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
  const at::Tensor gram = input_grams(*model, {first}, images, 2).at(0);   // chunks of 2: 2 + 2 + 1
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
  const at::Tensor gram = x.t().mm(x);
  const at::Tensor w = layer->weight.detach().to(at::kDouble).clone();
  for (bool structured : {true, false}) {   // nm: equal kept counts (one batch); unstructured: several
    layer->weight.detach().copy_(w);
    layer->weight_mask = structured ? masks::nm_mask(layer->weight, {2, 4}) : masks::optimal_mask(MaskPattern::Unstructured, {3, 8}, layer->weight);
    const AdaPruneResult r = adaprune_layer(*layer, gram);
    EXPECT_LT(r.error_adaprune, r.error_pruned);
    const at::Tensor target = x.mm(w.t());   // [200, 6]
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
