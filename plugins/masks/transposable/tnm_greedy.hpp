#pragma once
// Transposable N:M masks by the greedy 2-approximation (Hubara et al. 2021, Sec. 4.2), made
// always valid. Per M x M block:
//   1. Greedy: visit the entries by decreasing |w| (ties: lower row-major index first) and keep
//      an entry when its row and its column both keep fewer than N so far.
//   2. Repair, only when step 1 ends with fewer than M*N kept (it can: a maximal b-matching of
//      K_{M,M} need not extend to an N-regular one, e.g. M=3, N=2 after (0,0),(0,1),(1,0),(1,1)):
//      (a) keep the heaviest free entry between a deficient row and a deficient column, if any;
//      (b) otherwise swap along a path r -> c' -> r' -> c: keep (r,c'), drop (r',c'), keep (r',c),
//          for the deficient row r and column c with the largest gain w(r,c') + w(r',c) - w(r',c').
//      Each step adds one kept entry and keeps every other row/column count, so it ends with
//      exactly N per row and column.
//   3. Certificate: a repaired block is kept only if its kept magnitude is >= U/2, where
//      U = min(sum over rows of the row's N largest, sum over columns of the column's N largest)
//      is an upper bound on the optimum (both sums in one pass over the visit order); otherwise
//      (never seen in practice, see the tests) the block is solved exactly by min-cost flow.
//
// Why (b) always finds a path: when (a) finds nothing, every deficient row r keeps every
// deficient column, so a column c' that r does not keep is saturated (N kept), and a row r'
// that does not keep the deficient column c is saturated. Let A = rows not keeping c
// (|A| >= M - (N-1)) and B = columns not kept by r (|B| >= M - (N-1)). A row of A keeps N
// entries and at most N-1 of them lie outside B (those are columns that r keeps, and r keeps
// fewer than N), so it keeps at least one entry (r',c') in B: the path exists.
//
// Proof that the result keeps at least half of the optimum OPT:
//   Let G be the greedy set of step 1 and H* an optimal valid pattern (N per row and column).
//   Take f = (u,v) in H* \ G. When f was visited it was refused, so u or v (call it x) already
//   kept N entries of G, all at least as heavy as f (they were visited first). At x, H* keeps
//   N entries, so the number of H* \ G entries refused because of x is at most
//   N - |H* n G at x| = |G \ H* at x|: charge each to a distinct entry of G \ H* at x, which
//   is at least as heavy. Each entry of G \ H* has two endpoints, so it is charged at most
//   twice, hence w(H* \ G) <= 2 w(G \ H*), and
//       OPT = w(H* n G) + w(H* \ G) <= w(H* n G) + 2 w(G \ H*) <= 2 w(G).
//   If step 1 already keeps M*N entries the result is G: w(G) >= OPT/2. Otherwise step 3
//   returns either a repaired pattern with w >= U/2 >= OPT/2 (every valid pattern keeps N per
//   row, so OPT <= U), or the optimum. In every case w(result) >= OPT/2. []
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "qharness/mask.hpp"

namespace qharness::masks {

struct TnmGreedyStats {
  std::int64_t blocks = 0;
  std::int64_t repaired = 0;  // blocks where step 1 kept fewer than M*N
  std::int64_t exact_fallback = 0;  // repaired blocks that failed the certificate (solved exactly)
};

class TnmGreedyBlockSolver {
 public:
  explicit TnmGreedyBlockSolver(const NMSpec& spec);
  ~TnmGreedyBlockSolver();
  TnmGreedyBlockSolver(TnmGreedyBlockSolver&&) noexcept;
  void solve(const float* block_abs, std::uint8_t* keep);
  const TnmGreedyStats& stats() const { return stats_; }

 private:
  // Blocks up to this many entries are ordered by counting ranks, larger ones by a radix sort.
  static constexpr int kRankSortMax = 64;
  const std::uint16_t* visit_order(const float* block_abs);
  void repair(const float* a, std::uint8_t* keep, int kept);
  // order: the block's entries by decreasing |w| (from visit_order). Uses the row/column counts.
  bool certified(const float* a, const std::uint8_t* keep, const std::uint16_t* order);

  NMSpec spec_;
  std::vector<std::uint32_t> radix_keys_;   // 2 * M*M: keys and the sort's scratch
  std::vector<std::uint16_t> radix_order_;  // 2 * M*M: entry indices, likewise
  std::vector<int> row_count_, col_count_;
  TnmGreedyStats stats_;
  struct Exact;
  std::unique_ptr<Exact> exact_;  // made on first need
};

// stats (optional): totals over all blocks of the weight.
at::Tensor tnm_greedy_mask(const at::Tensor& weight, const NMSpec& spec, TnmGreedyStats* stats = nullptr);

}  // namespace qharness::masks
