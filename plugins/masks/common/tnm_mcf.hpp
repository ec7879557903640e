#pragma once
// Exact transposable N:M masks: one min-cost flow per M x M block (Hubara et al. 2021, Sec. 4.1).
//
// Network: source -> row i (capacity N), row i -> column j (capacity 1, cost -|w_ij|),
// column j -> sink (capacity N); supply M*N at the source. Solved in the equivalent
// transportation form (row i supplies N, column j demands N, arcs row -> column of capacity 1),
// which has no source, sink or capacity-N arcs. An integral min-cost flow of value
// M*N is a 0/1 matrix with N per row and per column of maximum kept magnitude (bipartite
// b-matching polytopes are integral), solved with LEMON's NetworkSimplex.
//
// Integer costs: NetworkSimplex is exact on integers. Per block the magnitudes are scaled by a
// power of two 2^(kCostBits - e), where max|w| < 2^e, and rounded: that maps every float of the
// block that is at least 2^-(kCostBits-24) = 2^-16 of the block's largest to an exact integer
// (a float has a 24-bit significand), so their order and their sums are kept exactly; smaller
// ones are rounded monotonically (their order is kept, ties may appear) with an error below
// 2^-(kCostBits+1) of the largest each, so the kept magnitude is optimal to within
// M*N*2^-41 of the block's largest weight. 2^40 leaves NetworkSimplex's int64 potentials
// (sums along tree paths of at most 2M arcs) far from overflow for M <= 64.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "masks/common/mask_spec.hpp"

namespace qharness::masks {

struct TnmMcfOptions {
  NMSpec spec{4, 8};
  // Pivot rule of NetworkSimplex. "block-search" is LEMON's default and the one benchmarked
  // (bench_masks); the others give the same optimum and are offered for study, not measured here.
  enum class Pivot { FirstEligible, BestEligible, BlockSearch, CandidateList, AlteringList };
  Pivot pivot = Pivot::BlockSearch;
};

// Solves one block; build once, call solve() for any number of blocks (not thread-safe: one per thread).
class TnmFlowBlockSolver {
 public:
  explicit TnmFlowBlockSolver(const TnmMcfOptions& options);
  ~TnmFlowBlockSolver();
  TnmFlowBlockSolver(TnmFlowBlockSolver&&) noexcept;
  // block_abs: m x m row-major magnitudes (>= 0, finite). keep: m x m 0/1, the optimal pattern.
  void solve(const float* block_abs, std::uint8_t* keep);

  static constexpr int kCostBits = 40;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The optimal transposable N:M mask of a weight [out, in, kernel...] (block_layout.hpp).
at::Tensor tnm_mcf_mask(const at::Tensor& weight, const TnmMcfOptions& options);

}  // namespace qharness::masks
