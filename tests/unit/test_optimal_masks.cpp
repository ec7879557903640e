// The harness's reference optimum (qharness/masks/optimal_masks.hpp), which kept_ratio divides
// by: it must be valid for its pattern and truly optimal. Checked against brute force on
// sampled blocks (every 0/1 4x4 pattern with n per row and column), and against the plugins'
// exact solvers, which use other algorithms (tnm-mcf: NetworkSimplex; nm: per-block partial
// sort), at 2:4, 4:8 and 8:16.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <functional>
#include <stdexcept>

#include "masks/nm/nm_mask.hpp"
#include "masks/transposable/tnm_greedy.hpp"
#include "masks/transposable/tnm_mcf.hpp"
#include "qharness/masks/kept_magnitude.hpp"
#include "qharness/masks/mask_check.hpp"
#include "qharness/masks/optimal_masks.hpp"

namespace {

using namespace qharness;
using namespace qharness::masks;

// The best kept magnitude of one 4x4 block with n per row and per column, by enumeration.
double brute_force_block(const at::Tensor& block, int n) {
  const at::Tensor magnitudes = block.abs().contiguous();
  auto a = magnitudes.accessor<float, 2>();
  std::vector<int> rows;  // 4-bit row patterns with n ones
  for (int r = 0; r < 16; ++r)
    if (__builtin_popcount(r) == n) rows.push_back(r);
  double best = -1;
  std::function<void(int, std::array<int, 4>, double)> go = [&](int i, std::array<int, 4> cols, double kept) {
    if (i == 4) {
      for (int c : cols)
        if (c != n) return;
      best = std::max(best, kept);
      return;
    }
    for (int r : rows) {
      std::array<int, 4> next = cols;
      double k = kept;
      bool ok = true;
      for (int j = 0; j < 4; ++j)
        if (r >> j & 1) {
          ok &= ++next[j] <= n;
          k += a[i][j];
        }
      if (ok) go(i + 1, next, k);
    }
  };
  go(0, {0, 0, 0, 0}, 0.0);
  return best;
}

TEST(OptimalMasks, TransposableMatchesBruteForceOnSampledBlocks) {
  at::Generator g = at::detail::createCPUGenerator(7);
  for (int n : {1, 2, 3}) {
    for (int trial = 0; trial < 40; ++trial) {
      const at::Tensor w = trial % 2 ? at::normal(0, 1, {4, 4}, g) : at::randint(0, 3, {4, 4}, g).to(at::kFloat);
      const at::Tensor mask = optimal_mask(MaskPattern::TransposableNM, {n, 4}, w);
      ASSERT_TRUE(check_mask(mask, MaskPattern::TransposableNM, {n, 4}).valid);
      EXPECT_NEAR(kept_magnitude(w, mask), brute_force_block(w, n), 1e-5) << "n=" << n << " trial " << trial;
    }
  }
}

TEST(OptimalMasks, TransposableEqualsNetworkSimplexAndBoundsGreedy) {
  at::Generator g = at::detail::createCPUGenerator(11);
  for (NMSpec spec : {NMSpec{2, 4}, NMSpec{4, 8}, NMSpec{8, 16}}) {
    // Gaussian, heavy-tailed (a Student-t-like ratio), a conv weight with partial blocks, ties.
    const std::vector<at::Tensor> weights = {at::normal(0, 1, {64, 48}, g),
                                             at::normal(0, 1, {64, 48}, g) / (at::rand({64, 48}, g) + 0.01),
                                             at::normal(0, 1, {30, 42, 3, 3}, g),
                                             at::randint(0, 4, {48, 64}, g).to(at::kFloat)};
    for (const at::Tensor& w : weights) {
      const at::Tensor opt = optimal_mask(MaskPattern::TransposableNM, spec, w);
      ASSERT_TRUE(check_mask(opt, MaskPattern::TransposableNM, spec).valid);
      const double best = kept_magnitude(w, opt);
      const double mcf = kept_magnitude(w, tnm_mcf_mask(w, TnmMcfOptions{spec}));
      EXPECT_NEAR(mcf, best, 1e-9 * best) << spec.n << ":" << spec.m;
      const double greedy = kept_magnitude(w, tnm_greedy_mask(w, spec));
      EXPECT_LE(greedy, best * (1 + 1e-12));
      EXPECT_GE(greedy, 0.5 * best);
    }
  }
}

TEST(OptimalMasks, NmEqualsThePluginSolverIncludingPartialGroups) {
  at::Generator g = at::detail::createCPUGenerator(3);
  for (NMSpec spec : {NMSpec{2, 4}, NMSpec{4, 8}, NMSpec{3, 16}}) {
    const std::vector<at::Tensor> weights = {at::normal(0, 1, {10, 37}, g), at::normal(0, 1, {6, 20, 3, 3}, g)};
    for (const at::Tensor& w : weights) {
      const at::Tensor opt = optimal_mask(MaskPattern::NM, spec, w);
      ASSERT_EQ(opt.sizes(), w.sizes());
      ASSERT_TRUE(check_mask(opt, MaskPattern::NM, spec).valid) << check_mask(opt, MaskPattern::NM, spec).first_problem;
      EXPECT_NEAR(kept_magnitude(w, opt), kept_magnitude(w, nm_mask(w, spec)), 1e-9);
    }
  }
  // Groups are independent: the optimum keeps the n largest of each group. One row of 8, 2:4.
  const at::Tensor row = at::tensor({0.1f, -5.f, 3.f, 0.2f, 1.f, 2.f, -4.f, 0.f}).reshape({1, 8});
  const at::Tensor expect = at::tensor({0, 1, 1, 0, 0, 1, 1, 0}).to(at::kBool).reshape({1, 8});
  EXPECT_TRUE(at::equal(optimal_mask(MaskPattern::NM, {2, 4}, row), expect));
}

TEST(OptimalMasks, GlobalUnstructuredRanksAllLayersTogether) {
  const at::Tensor big = at::full({4, 4}, 10.f), small = at::full({4, 4}, 1.f);
  const auto masks = optimal_masks(MaskPattern::Unstructured, MaskScope::Global, {2, 4}, {big, small});
  EXPECT_EQ(masks[0].sum().item<int64_t>(), 16);   // the whole budget of 16 goes to the large layer
  EXPECT_EQ(masks[1].sum().item<int64_t>(), 0);
  const auto per_layer = optimal_masks(MaskPattern::Unstructured, MaskScope::PerLayer, {2, 4}, {big, small});
  EXPECT_EQ(per_layer[0].sum().item<int64_t>(), 8);
  EXPECT_EQ(per_layer[1].sum().item<int64_t>(), 8);
}

TEST(OptimalMasks, RefusesWhatHasNoOptimum) {
  const at::Tensor w = at::ones({4, 4});
  EXPECT_THROW(optimal_masks(MaskPattern::NM, MaskScope::Global, {2, 4}, {w}), std::invalid_argument);
  EXPECT_THROW(optimal_mask(MaskPattern::TransposableNM, {2, 4}, at::full({4, 4}, NAN)), std::invalid_argument);
  EXPECT_THROW(optimal_mask(MaskPattern::Unstructured, {5, 4}, w), std::invalid_argument);
}

}  // namespace
