#pragma once
// Runs a per-block transposable solver over every M x M block of a weight, blocks split across
// torch's intra-op threads (at::parallel_for). Each thread range makes its own solver once and
// reuses it for all its blocks (the min-cost-flow graph is built once per range, not per block).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "qharness/masks/block_layout.hpp"
#include "qharness/mask.hpp"

namespace qharness::masks {

// make_solver() -> a solver with solve(const float* block_abs, std::uint8_t* keep).
// grain: blocks per work item at least (small blocks are cheap: keep the scheduling overhead low).
template <class MakeSolver>
at::Tensor solve_transposable_blocks(const at::Tensor& weight, const NMSpec& spec, const std::string& who,
                                     MakeSolver make_solver, std::int64_t grain = 64) {
  spec.validate(who);
  const BlockLayout layout = BlockLayout::of(weight, spec.m, who);
  at::Tensor w = contiguous_float_cpu(weight);
  at::Tensor mask = empty_mask_like(w);
  const float* wp = w.data_ptr<float>();
  bool* mp = mask.data_ptr<bool>();
  const int m = spec.m;
  std::atomic<bool> non_finite{false};
  at::parallel_for(0, layout.num_blocks(), grain, [&](std::int64_t begin, std::int64_t end) {
    auto solver = make_solver();
    std::vector<float> block(static_cast<std::size_t>(m) * m);
    std::vector<std::uint8_t> keep(static_cast<std::size_t>(m) * m);
    for (std::int64_t b = begin; b < end; ++b) {
      layout.gather_abs(wp, b, block.data());
      // Checked here rather than in a separate pass over the weight: NaN breaks every ordering.
      bool finite = true;
      for (float v : block) finite &= std::isfinite(v);
      if (!finite) {
        non_finite = true;
        return;
      }
      solver.solve(block.data(), keep.data());
      layout.scatter(keep.data(), b, mp);
    }
  });
  if (non_finite) throw std::invalid_argument(who + ": the weight has NaN or infinite entries");
  return mask.to(weight.device());
}

}  // namespace qharness::masks
