// Exact mask-diversity counts (Boost.Multiprecision) against known values.
#include <gtest/gtest.h>

#include <cmath>

#include "qharness/masks/mask_diversity.hpp"

namespace {

using namespace qharness::masks;

TEST(MaskDiversity, TransposableBlockCountsAreTheKnownValues) {
  // OEIS A058527 (2n x 2n, n ones per row and column): 2, 90, 297200, 116963796250, ...
  EXPECT_EQ(transposable_block_count({1, 2}), 2);
  EXPECT_EQ(transposable_block_count({2, 4}), 90);
  EXPECT_EQ(transposable_block_count({3, 6}), 297200);
  EXPECT_EQ(transposable_block_count({4, 8}), BigInt("116963796250"));
  // One per row and column: permutations, M!. All kept: one pattern. 2 per row of 5: A001499.
  EXPECT_EQ(transposable_block_count({1, 4}), 24);
  EXPECT_EQ(transposable_block_count({1, 7}), 5040);
  EXPECT_EQ(transposable_block_count({5, 5}), 1);
  EXPECT_EQ(transposable_block_count({2, 5}), 2040);
  // Complement symmetry: N per row/column <-> M-N per row/column.
  EXPECT_EQ(transposable_block_count({3, 7}), transposable_block_count({4, 7}));
  // A058527's next term, 10x10 with 5 per row and column.
  EXPECT_EQ(transposable_block_count({5, 10}), BigInt("6736218287430460752"));
}

TEST(MaskDiversity, UnstructuredAndOneDimensionalCounts) {
  EXPECT_EQ(nm_diversity({2, 4}, 16), 1296);           // C(4,2)^4
  EXPECT_EQ(unstructured_diversity({2, 4}, 16), 12870);  // C(16,8)
  EXPECT_EQ(transposable_diversity({2, 4}, 32), 8100);   // 90^2
  EXPECT_EQ(nm_diversity({4, 8}, 64), BigInt(70) * 70 * 70 * 70 * 70 * 70 * 70 * 70);
  EXPECT_EQ(binomial(64, 32), BigInt("1832624140942590534"));
  // Transposable <= 1-D N:M <= unstructured on the same block.
  EXPECT_LT(transposable_diversity({4, 8}, 64), nm_diversity({4, 8}, 64));
  EXPECT_LT(nm_diversity({4, 8}, 64), unstructured_diversity({4, 8}, 64));
}

TEST(MaskDiversity, SizesMustTileThePattern) {
  EXPECT_THROW(nm_diversity({2, 4}, 10), std::invalid_argument);
  EXPECT_THROW(transposable_diversity({2, 4}, 24), std::invalid_argument);
  EXPECT_THROW(unstructured_diversity({2, 4}, 0), std::invalid_argument);
  EXPECT_THROW(nm_diversity({2, 4}, kMaxExactDiversitySize * 2), std::invalid_argument);
  EXPECT_THROW(transposable_block_count({5, 4}), std::invalid_argument);
}

TEST(MaskDiversity, Log10MatchesTheExactCounts) {
  EXPECT_NEAR(log10_of(BigInt("116963796250")), std::log10(116963796250.0), 1e-12);
  const BigInt big = nm_diversity({2, 4}, 4096);  // 6^1024: ~797 digits, beyond double
  EXPECT_NEAR(log10_of(big), 1024 * std::log10(6.0), 1e-9);
  EXPECT_NEAR(log10_nm_diversity({2, 4}, 4096), 1024 * std::log10(6.0), 1e-9);
  EXPECT_NEAR(log10_unstructured_diversity({2, 4}, 4096), log10_of(unstructured_diversity({2, 4}, 4096)), 1e-6);
  EXPECT_NEAR(log10_transposable_diversity({4, 8}, 6400), 100 * std::log10(116963796250.0), 1e-8);
}

}  // namespace
