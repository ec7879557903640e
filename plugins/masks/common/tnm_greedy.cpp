#include "masks/common/tnm_greedy.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "masks/common/tnm_mcf.hpp"
#include "masks/common/transposable_blocks.hpp"

namespace qharness::masks {

struct TnmGreedyBlockSolver::Exact {
  TnmFlowBlockSolver solver;
};

TnmGreedyBlockSolver::TnmGreedyBlockSolver(const NMSpec& spec)
    : spec_(spec), keys_(static_cast<std::size_t>(spec.m) * spec.m), row_count_(spec.m), col_count_(spec.m) {
  spec_.validate("tnm-greedy");
}
TnmGreedyBlockSolver::~TnmGreedyBlockSolver() = default;
TnmGreedyBlockSolver::TnmGreedyBlockSolver(TnmGreedyBlockSolver&&) noexcept = default;

void TnmGreedyBlockSolver::solve(const float* a, std::uint8_t* keep) {
  const int m = spec_.m, n = spec_.n, mm = m * m;
  // Sort key: the magnitude's bits (a non-negative float's bit pattern orders like its value)
  // above the complemented index, so that a descending sort puts ties at the lower index first.
  for (int k = 0; k < mm; ++k) {
    std::uint32_t bits;
    std::memcpy(&bits, &a[k], sizeof bits);
    keys_[k] = (static_cast<std::uint64_t>(bits) << 32) | (0xFFFFFFFFu - static_cast<std::uint32_t>(k));
  }
  // The scan rarely goes far past the first M*N entries: order only the largest 1.5*M*N first
  // (nth_element + sort of that prefix), and the rest only if the scan gets there.
  const int full = m * n;
  const int head = std::min(mm, full + full / 2);
  if (head < mm) std::nth_element(keys_.begin(), keys_.begin() + head, keys_.end(), std::greater<std::uint64_t>());
  std::sort(keys_.begin(), keys_.begin() + head, std::greater<std::uint64_t>());
  std::fill(row_count_.begin(), row_count_.end(), 0);
  std::fill(col_count_.begin(), col_count_.end(), 0);
  std::memset(keep, 0, mm);
  int kept = 0;
  for (int t = 0; t < mm && kept < full; ++t) {
    if (t == head) std::sort(keys_.begin() + head, keys_.end(), std::greater<std::uint64_t>());
    const int k = static_cast<int>(0xFFFFFFFFu - static_cast<std::uint32_t>(keys_[t]));
    const int i = k / m, j = k % m;
    if (row_count_[i] < n && col_count_[j] < n) {
      keep[k] = 1;
      ++row_count_[i];
      ++col_count_[j];
      ++kept;
    }
  }
  ++stats_.blocks;
  if (kept == full) return;
  ++stats_.repaired;
  repair(a, keep, kept);
  if (!certified(a, keep)) {
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

bool TnmGreedyBlockSolver::certified(const float* a, const std::uint8_t* keep) const {
  const int m = spec_.m, n = spec_.n;
  double kept = 0;
  for (int k = 0; k < m * m; ++k)
    if (keep[k]) kept += a[k];
  // A coarse upper bound first, N times the sum of the row maxima (>= U >= OPT): it almost
  // always suffices, and costs one pass.
  double coarse = 0;
  for (int i = 0; i < m; ++i) coarse += *std::max_element(a + i * m, a + (i + 1) * m);
  if (kept >= 0.5 * n * coarse) return true;
  std::vector<float> line(m);
  auto top_n_sum = [&](bool rows) {
    double total = 0;
    for (int x = 0; x < m; ++x) {
      for (int y = 0; y < m; ++y) line[y] = rows ? a[x * m + y] : a[y * m + x];
      std::nth_element(line.begin(), line.begin() + (n - 1), line.end(), std::greater<float>());
      for (int y = 0; y < n; ++y) total += line[y];
    }
    return total;
  };
  const double upper = std::min(top_n_sum(true), top_n_sum(false));
  return kept >= 0.5 * upper;
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
