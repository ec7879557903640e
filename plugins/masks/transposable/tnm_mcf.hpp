#pragma once
// Exact transposable N:M masks: one min-cost flow per M x M block (Hubara et al. 2021, Sec. 4.1).
//
// The network and its integer costs are qharness/masks/block_flow.hpp's (exact to within
// m*n*2^-41 of each block's largest weight), solved with LEMON's NetworkSimplex.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "qharness/mask.hpp"

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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The optimal transposable N:M mask of a weight [out, in, kernel...] (block_layout.hpp).
at::Tensor tnm_mcf_mask(const at::Tensor& weight, const TnmMcfOptions& options);

}  // namespace qharness::masks
