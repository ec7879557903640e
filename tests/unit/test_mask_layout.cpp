// Block layout, the rule for dimensions not divisible by M, and the one mask checker.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "qharness/masks/block_layout.hpp"
#include "qharness/masks/mask_check.hpp"
#include "masks/nm/nm_mask.hpp"
#include "masks/transposable/tnm_exhaustive.hpp"
#include "masks/transposable/tnm_greedy.hpp"
#include "masks/transposable/tnm_mcf.hpp"
#include "qharness/masks/optimal_masks.hpp"

namespace {

using namespace qharness::masks;

at::Tensor bool_tensor(std::vector<std::vector<int>> rows) {
  at::Tensor t = at::zeros({(long)rows.size(), (long)rows[0].size()}, at::kBool);
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) t[i][j] = rows[i][j] != 0;
  return t;
}

TEST(MaskLayout, BlocksTileOutputByInputChannelsAtEachKernelPosition) {
  at::Tensor w = at::zeros({6, 5, 3, 3});
  BlockLayout l = BlockLayout::of(w, 4, "test");
  EXPECT_EQ(l.blocks_out, 2);
  EXPECT_EQ(l.blocks_in, 2);
  EXPECT_EQ(l.kernel, 9);
  EXPECT_EQ(l.num_blocks(), 36);
  // The last block: output channels 4..5, input channel 4, kernel position 8.
  EXPECT_EQ(l.rows(35), 2);
  EXPECT_EQ(l.cols(35), 1);
  EXPECT_EQ(l.kernel_pos(35), 8);
  // Element (o=5, i=4, kh=2, kw=1) sits at row 1, column 0 of the block at kernel position 7.
  w[5][4][2][1] = -3.5f;
  std::vector<float> block(16);
  const std::int64_t b = (1 * l.blocks_in + 1) * l.kernel + 7;
  l.gather_abs(w.contiguous().data_ptr<float>(), b, block.data());
  EXPECT_EQ(block[1 * 4 + 0], 3.5f);
  float others = 0;
  for (float v : block) others += v;
  EXPECT_EQ(others, 3.5f);  // the padding reads as zero
}

TEST(MaskLayout, RejectsTensorsThatHaveNoRowsAndColumns) {
  EXPECT_THROW(BlockLayout::of(at::zeros({8}), 4, "t"), std::invalid_argument);
  EXPECT_THROW(nm_mask(at::zeros({8}), {2, 4}), std::invalid_argument);
  EXPECT_THROW(tnm_mcf_mask(at::zeros({0, 4}), {}), std::invalid_argument);
}

TEST(MaskLayout, RejectsImpossibleSpecs) {
  EXPECT_THROW(nm_mask(at::ones({4, 4}), {5, 4}), std::invalid_argument);
  EXPECT_THROW(tnm_greedy_mask(at::ones({4, 4}), {0, 4}), std::invalid_argument);
  EXPECT_THROW(tnm_exhaustive_mask(at::ones({8, 8}), {4, 8}), std::invalid_argument);
  EXPECT_THROW(tnm_mcf_mask(at::ones({8, 8}), TnmMcfOptions{{2, 65}}), std::invalid_argument);
  at::Tensor bad = at::ones({4, 4});
  bad[1][2] = std::nanf("");
  EXPECT_THROW(tnm_mcf_mask(bad, {}), std::invalid_argument);
  EXPECT_THROW(tnm_greedy_mask(bad, {2, 4}), std::invalid_argument);
}

TEST(MaskCheck, TransposableNeedsNPerRowAndColumnOneDimensionalOnlyPerRow) {
  // 2 per row, but column 0 keeps 4: 1-D 2:4 yes, transposable no.
  at::Tensor rows_only = bool_tensor({{1, 1, 0, 0}, {1, 0, 1, 0}, {1, 0, 0, 1}, {1, 1, 0, 0}});
  EXPECT_TRUE(check_mask(rows_only, MaskPattern::NM, {2, 4}).valid);
  MaskCheck t = check_mask(rows_only, MaskPattern::TransposableNM, {2, 4});
  EXPECT_FALSE(t.valid);
  EXPECT_NE(t.first_problem.find("column 0 keeps 4"), std::string::npos) << t.first_problem;
  at::Tensor good = bool_tensor({{1, 1, 0, 0}, {0, 1, 1, 0}, {0, 0, 1, 1}, {1, 0, 0, 1}});
  EXPECT_TRUE(check_mask(good, MaskPattern::TransposableNM, {2, 4}).valid);
  // Its transpose (the mask of W^T) is valid too, and the 1-D check of W^T is the column check of W.
  EXPECT_TRUE(check_mask(good.t().contiguous(), MaskPattern::TransposableNM, {2, 4}).valid);
  EXPECT_FALSE(check_mask(rows_only.t().contiguous(), MaskPattern::NM, {2, 4}).valid);
  good[3][3] = false;
  MaskCheck g = check_mask(good, MaskPattern::TransposableNM, {2, 4});
  EXPECT_FALSE(g.valid);
  EXPECT_EQ(g.invalid_groups, 1);
  EXPECT_NE(g.first_problem.find("row 3 keeps 1"), std::string::npos) << g.first_problem;
}

TEST(MaskCheck, PartialBlocksMustBeTheCropOfAValidPaddedPattern) {
  // M = 4, N = 2, a 3x3 weight: one padded row and column.
  // Crop of a valid 4x4 pattern (rows 1100/0110/0011/1001 cropped): valid.
  at::Tensor crop = bool_tensor({{1, 1, 0}, {0, 1, 1}, {0, 0, 1}});
  EXPECT_TRUE(check_mask(crop, MaskPattern::TransposableNM, {2, 4}).valid);
  // A 3x3 permutation: every real row and column keeps 1, within [N-(M-3), N] = [1, 2], yet
  // the single padded column would need 3 ones: no completion exists.
  at::Tensor perm = bool_tensor({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
  MaskCheck c = check_mask(perm, MaskPattern::TransposableNM, {2, 4});
  EXPECT_FALSE(c.valid);
  EXPECT_NE(c.first_problem.find("not the crop"), std::string::npos) << c.first_problem;
  // 1-D: a partial group of c = 3 real inputs keeps between N-(M-c) = 1 and min(N, c) = 2.
  EXPECT_TRUE(check_mask(perm, MaskPattern::NM, {2, 4}).valid);
  EXPECT_FALSE(check_mask(bool_tensor({{1, 1, 1}}), MaskPattern::NM, {2, 4}).valid);
  EXPECT_FALSE(check_mask(bool_tensor({{0, 0, 0}}), MaskPattern::NM, {2, 4}).valid);
}

TEST(MaskCheck, UnstructuredCountsTheKeptWeights) {
  at::Tensor m = at::zeros({3, 5}, at::kBool);  // 15 * 2/4 = 7.5 -> 8 kept (half up)
  m.view({-1}).slice(0, 0, 8).fill_(true);
  EXPECT_TRUE(check_mask(m, MaskPattern::Unstructured, {2, 4}).valid);
  m[2][4] = true;
  EXPECT_FALSE(check_mask(m, MaskPattern::Unstructured, {2, 4}).valid);
}

// The rule for dimensions not divisible by M, through every solver: masks are valid crops,
// 1-D partial groups keep min(N, c), and the crop agrees with solving the zero-padded weight.
TEST(MaskLayout, NonDivisibleDimensionsFollowTheZeroPaddingRule) {
  at::manual_seed(3);
  for (auto shape : std::vector<std::vector<int64_t>>{{6, 10}, {5, 3, 3, 3}, {3, 1, 5, 5}, {10, 7}, {1, 1}}) {
    at::Tensor w = at::randn(shape);
    for (NMSpec s : {NMSpec{2, 4}, NMSpec{1, 4}, NMSpec{3, 4}}) {
      SCOPED_TRACE(::testing::PrintToString(shape) + " " + std::to_string(s.n) + ":" + std::to_string(s.m));
      at::Tensor nm = nm_mask(w, s);
      EXPECT_TRUE(check_mask(nm, MaskPattern::NM, s).valid) << check_mask(nm, MaskPattern::NM, s).first_problem;
      for (at::Tensor t : {tnm_mcf_mask(w, {s}), tnm_greedy_mask(w, s), tnm_exhaustive_mask(w, s)}) {
        MaskCheck c = check_mask(t, MaskPattern::TransposableNM, s);
        EXPECT_TRUE(c.valid) << c.first_problem;
      }
      // 1-D: each output row of each kernel position keeps sum over groups of min(N, c).
      const int64_t in = shape[1];
      int64_t per_row = (in / s.m) * s.n + std::min<int64_t>(s.n, in % s.m);
      EXPECT_EQ(nm.sum().item<int64_t>(), per_row * (w.numel() / in));
    }
  }
  // The crop of the padded problem: solving [6, 10] equals solving it padded to [8, 12] (exact
  // solver, kept magnitude, as padding weighs nothing).
  at::Tensor w = at::randn({6, 10});
  at::Tensor padded = at::zeros({8, 12});
  padded.slice(0, 0, 6).slice(1, 0, 10).copy_(w);
  at::Tensor crop = tnm_mcf_mask(padded, {{2, 4}}).slice(0, 0, 6).slice(1, 0, 10);
  at::Tensor direct = tnm_mcf_mask(w, {{2, 4}});
  EXPECT_NEAR((w.abs() * direct).sum().item<double>(), (w.abs() * crop).sum().item<double>(), 1e-4);
}

}  // namespace
