#include "masks/transposable/tnm_greedy.hpp"

#include <qharness/vector_clones.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "masks/transposable/tnm_mcf.hpp"
#include "qharness/masks/transposable_blocks.hpp"

namespace qharness::masks {

struct TnmGreedyBlockSolver::Exact {
  TnmFlowBlockSolver solver;
};

TnmGreedyBlockSolver::TnmGreedyBlockSolver(const NMSpec& spec)
    : spec_(spec),
      radix_keys_(2 * static_cast<std::size_t>(spec.m) * spec.m),
      radix_order_(2 * static_cast<std::size_t>(spec.m) * spec.m),
      row_count_(spec.m),
      col_count_(spec.m) {
  spec_.validate("tnm-greedy");
}
TnmGreedyBlockSolver::~TnmGreedyBlockSolver() = default;
TnmGreedyBlockSolver::TnmGreedyBlockSolver(TnmGreedyBlockSolver&&) noexcept = default;

namespace {

// Small blocks: each entry's place is the number of entries that go before it (heavier, or as
// heavy at a lower index), counted with comparisons that compile to vector compares, no branch.
QHARNESS_VECTOR_CLONES void rank_order(const std::uint32_t* key, int mm, std::uint16_t* idx) {
  for (int k = 0; k < mm; ++k) {
    const std::uint32_t v = key[k];
    int before = 0;
    for (int j = 0; j < k; ++j) before += key[j] >= v;
    for (int j = k + 1; j < mm; ++j) before += key[j] > v;
    idx[before] = static_cast<std::uint16_t>(k);
  }
}

}  // namespace

// The block's entries by decreasing |w|, ties at the lower row-major index first, without the
// branches of a comparison sort (every comparison of random weights is a coin flip for the
// branch predictor). A non-negative float's bit pattern orders like its value, so both paths
// work on the bits: up to kRankSortMax entries rank_order() counts ranks; above, a stable LSD
// radix sort (8-bit digits) of the complemented bits (~bits ascending is |w| descending),
// skipping digits on which all entries agree (common in the exponent byte).
const std::uint16_t* TnmGreedyBlockSolver::visit_order(const float* a) {
  const int mm = spec_.m * spec_.m;
  if (mm <= kRankSortMax) {
    std::uint32_t* key = radix_keys_.data();
    for (int k = 0; k < mm; ++k) std::memcpy(&key[k], &a[k], sizeof key[k]);
    rank_order(key, mm, radix_order_.data());
    return radix_order_.data();
  }
  std::uint32_t* key = radix_keys_.data();
  std::uint32_t* key_tmp = key + mm;
  std::uint16_t* idx = radix_order_.data();
  std::uint16_t* idx_tmp = idx + mm;
  std::uint32_t count[4][256] = {};
  for (int k = 0; k < mm; ++k) {
    std::uint32_t bits;
    std::memcpy(&bits, &a[k], sizeof bits);
    key[k] = ~bits;
    idx[k] = static_cast<std::uint16_t>(k);
    for (int d = 0; d < 4; ++d) ++count[d][(key[k] >> (8 * d)) & 0xFF];
  }
  for (int d = 0; d < 4; ++d) {
    const int shift = 8 * d;
    if (count[d][(key[0] >> shift) & 0xFF] == static_cast<std::uint32_t>(mm)) continue;  // one digit value
    std::uint32_t start = 0;
    for (auto& c : count[d]) {
      const std::uint32_t here = c;
      c = start;
      start += here;
    }
    for (int t = 0; t < mm; ++t) {
      const std::uint32_t dst = count[d][(key[t] >> shift) & 0xFF]++;
      key_tmp[dst] = key[t];
      idx_tmp[dst] = idx[t];
    }
    std::swap(key, key_tmp);
    std::swap(idx, idx_tmp);
  }
  return idx;
}

void TnmGreedyBlockSolver::solve(const float* a, std::uint8_t* keep) {
  const int m = spec_.m, n = spec_.n, mm = m * m;
  const std::uint16_t* order = visit_order(a);
  // The scan, branch-free: whether an entry is kept is as unpredictable as the weights, and a
  // mispredicted branch per entry cost more than the arithmetic.
  std::fill(row_count_.begin(), row_count_.end(), 0);
  std::fill(col_count_.begin(), col_count_.end(), 0);
  std::memset(keep, 0, mm);
  const int full = m * n;
  int kept = 0;
  for (int t = 0; t < mm && kept < full; ++t) {
    const int k = order[t];
    const int i = k / m, j = k % m;
    const int take = (row_count_[i] < n) & (col_count_[j] < n);
    keep[k] = static_cast<std::uint8_t>(take);
    row_count_[i] += take;
    col_count_[j] += take;
    kept += take;
  }
  ++stats_.blocks;
  if (kept == full) return;
  ++stats_.repaired;
  repair(a, keep, kept);
  if (!certified(a, keep, order)) {
    ++stats_.exact_fallback;
    if (!exact_) exact_ = std::make_unique<Exact>(Exact{TnmFlowBlockSolver(TnmMcfOptions{spec_})});
    exact_->solver.solve(a, keep);
  }
}

void TnmGreedyBlockSolver::repair(const float* a, std::uint8_t* keep, int kept) {
  const int m = spec_.m, n = spec_.n;
  auto& rc = row_count_;
  auto& cc = col_count_;
  while (kept < m * n) {
    // (a) the heaviest free entry between a deficient row and a deficient column.
    int bi = -1, bj = -1;
    float best = -1;
    for (int i = 0; i < m; ++i) {
      if (rc[i] >= n) continue;
      for (int j = 0; j < m; ++j)
        if (cc[j] < n && !keep[i * m + j] && a[i * m + j] > best) {
          best = a[i * m + j];
          bi = i;
          bj = j;
        }
    }
    if (bi >= 0) {
      keep[bi * m + bj] = 1;
      ++rc[bi];
      ++cc[bj];
      ++kept;
      continue;
    }
    // (b) a swap path r -> c' -> r' -> c with the largest gain.
    int r = 0, c = 0;
    while (rc[r] >= n) ++r;
    while (cc[c] >= n) ++c;
    double best_gain = -1e300;
    int best_c1 = -1, best_r1 = -1;
    for (int c1 = 0; c1 < m; ++c1) {
      if (keep[r * m + c1]) continue;
      for (int r1 = 0; r1 < m; ++r1) {
        if (!keep[r1 * m + c1] || keep[r1 * m + c]) continue;
        const double gain = double(a[r * m + c1]) + a[r1 * m + c] - a[r1 * m + c1];
        if (gain > best_gain) {
          best_gain = gain;
          best_c1 = c1;
          best_r1 = r1;
        }
      }
    }
    if (best_c1 < 0)  // impossible by the argument in the header; a bug if it ever happens
      throw std::logic_error("tnm-greedy: no repair path found (this contradicts the proof: please report)");
    keep[r * m + best_c1] = 1;
    keep[best_r1 * m + best_c1] = 0;
    keep[best_r1 * m + c] = 1;
    ++rc[r];
    ++cc[c];
    ++kept;
  }
}

bool TnmGreedyBlockSolver::certified(const float* a, const std::uint8_t* keep, const std::uint16_t* order) {
  const int m = spec_.m, n = spec_.n, mm = m * m;
  double kept = 0;
  for (int k = 0; k < mm; ++k) kept += keep[k] ? a[k] : 0.0f;
  // A coarse upper bound first, N times the sum of the row maxima (>= U >= OPT): on Gaussian
  // weights it almost always suffices.
  double coarse = 0;
  for (int i = 0; i < m; ++i) coarse += *std::max_element(a + i * m, a + (i + 1) * m);
  if (kept >= 0.5 * n * coarse) return true;
  // U: each row's N largest and each column's N largest, summed in one pass over the visit
  // order (a row's first N entries in that order are its N largest), without branches.
  std::fill(row_count_.begin(), row_count_.end(), 0);
  std::fill(col_count_.begin(), col_count_.end(), 0);
  double rows_top = 0, cols_top = 0;
  for (int t = 0; t < mm; ++t) {
    const int k = order[t], i = k / m, j = k % m;
    const int in_row = row_count_[i] < n, in_col = col_count_[j] < n;
    rows_top += in_row ? a[k] : 0.0f;
    cols_top += in_col ? a[k] : 0.0f;
    row_count_[i] += in_row;
    col_count_[j] += in_col;
  }
  return kept >= 0.5 * std::min(rows_top, cols_top);
}

at::Tensor tnm_greedy_mask(const at::Tensor& weight, const NMSpec& spec, TnmGreedyStats* stats) {
  std::atomic<std::int64_t> blocks{0}, repaired{0}, fallback{0};
  // A solver per work range; its statistics are added up when the range ends.
  struct Counted {
    TnmGreedyBlockSolver solver;
    std::atomic<std::int64_t>*b, *r, *f;
    void solve(const float* a, std::uint8_t* keep) { solver.solve(a, keep); }
    Counted(const NMSpec& s, std::atomic<std::int64_t>* b_, std::atomic<std::int64_t>* r_,
            std::atomic<std::int64_t>* f_)
        : solver(s), b(b_), r(r_), f(f_) {}
    Counted(Counted&& o) noexcept : solver(std::move(o.solver)), b(o.b), r(o.r), f(o.f) { o.b = nullptr; }
    ~Counted() {
      if (!b) return;
      *b += solver.stats().blocks;
      *r += solver.stats().repaired;
      *f += solver.stats().exact_fallback;
    }
  };
  at::Tensor mask = solve_transposable_blocks(
      weight, spec, "tnm-greedy", [&] { return Counted(spec, &blocks, &repaired, &fallback); }, /*grain=*/256);
  if (stats) {
    stats->blocks = blocks;
    stats->repaired = repaired;
    stats->exact_fallback = fallback;
  }
  return mask;
}

}  // namespace qharness::masks
