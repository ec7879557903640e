#include "qharness/masks/optimal_masks.hpp"

#include <ATen/ATen.h>
#include <lemon/cost_scaling.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "qharness/masks/block_flow.hpp"
#include "qharness/masks/transposable_blocks.hpp"

namespace qharness::masks {
namespace {

at::Tensor flat_abs(const at::Tensor& weight, const char* who) {
  if (!weight.defined() || weight.numel() == 0)
    throw std::invalid_argument(std::string(who) + ": the weight is empty or undefined");
  at::Tensor a = weight.detach().to(at::kCPU, at::kFloat).abs().reshape({-1});
  if (!at::isfinite(a).all().item<bool>())
    throw std::invalid_argument(std::string(who) + ": the weight has NaN or infinite entries");
  return a;
}

// The `keep` largest entries of a flat magnitude vector; ties to the lower index.
at::Tensor top_k_flat(const at::Tensor& a, std::int64_t keep) {
  at::Tensor mask = at::zeros({a.numel()}, at::TensorOptions().dtype(at::kBool));
  if (keep == 0) return mask;
  at::Tensor order = std::get<1>(at::sort(a, /*stable=*/true, /*dim=*/0, /*descending=*/true));
  return mask.index_fill_(0, order.slice(0, 0, keep), true);
}

at::Tensor optimal_unstructured(const NMSpec& spec, const at::Tensor& weight) {
  const at::Tensor a = flat_abs(weight, "optimal unstructured mask");
  return top_k_flat(a, unstructured_keep_count(a.numel(), spec)).reshape(weight.sizes());
}

// Per group of m consecutive inputs (at every output and kernel position) the n largest |w|,
// with tensor ops: [out, in, k] -> [out, k, in] padded to a multiple of m with -1 (never
// preferred to a real weight, dropped by the crop), groups as the last dim, top-n per group.
at::Tensor optimal_nm(const NMSpec& spec, const at::Tensor& weight) {
  if (weight.dim() < 2) throw std::invalid_argument("optimal N:M mask: the weight needs >= 2 dims");
  flat_abs(weight, "optimal N:M mask");  // checks emptiness and finiteness
  const std::int64_t out = weight.size(0), in = weight.size(1), kernel = weight.numel() / (out * in);
  at::Tensor a = weight.detach().to(at::kCPU, at::kFloat).abs().reshape({out, in, kernel}).permute({0, 2, 1});
  const std::int64_t groups = (in + spec.m - 1) / spec.m, padded = groups * spec.m;
  a = at::constant_pad_nd(a, {0, padded - in}, -1.0).reshape({out, kernel, groups, spec.m});
  const at::Tensor top = std::get<1>(at::topk(a, spec.n, /*dim=*/-1, /*largest=*/true, /*sorted=*/true));
  at::Tensor keep = at::zeros_like(a, a.options().dtype(at::kBool)).scatter_(-1, top, true);
  keep = keep.logical_and(a.ge(0));  // a padded slot is never kept
  return keep.reshape({out, kernel, padded}).slice(2, 0, in).permute({0, 2, 1}).reshape(weight.sizes()).contiguous();
}

// One m x m block's min-cost flow by CostScaling (block_flow.hpp has the network); the network
// and the algorithm are built once per solver, only the costs change per block.
class CostScalingBlockSolver {
 public:
  explicit CostScalingBlockSolver(const NMSpec& spec) : network_(spec), solver_(network_.graph()) {
    solver_.upperMap(network_.upper()).supplyMap(network_.supply());
  }
  void solve(const float* block_abs, std::uint8_t* keep) {
    network_.set_costs(block_abs);
    if (solver_.costMap(network_.cost()).run() != Solver::OPTIMAL)
      throw std::logic_error("optimal transposable mask: CostScaling found no optimal flow on a complete block");
    network_.read_keep(solver_, keep);
  }

 private:
  using Solver = lemon::CostScaling<BlockFlowNetwork::Graph, std::int64_t, std::int64_t>;
  BlockFlowNetwork network_;  // before solver_: LEMON's algorithms snapshot the graph when built
  Solver solver_;
};

at::Tensor optimal_transposable(const NMSpec& spec, const at::Tensor& weight) {
  return solve_transposable_blocks(weight.detach().to(at::kCPU), spec, "optimal transposable mask",
                                   [&] { return CostScalingBlockSolver(spec); }, /*grain=*/16);
}

}  // namespace

at::Tensor optimal_mask(MaskPattern pattern, const NMSpec& spec, const at::Tensor& weight) {
  spec.validate("optimal mask");
  switch (pattern) {
    case MaskPattern::Unstructured: return optimal_unstructured(spec, weight);
    case MaskPattern::NM: return optimal_nm(spec, weight);
    case MaskPattern::TransposableNM: return optimal_transposable(spec, weight);
  }
  throw std::invalid_argument("optimal mask: unknown pattern");
}

std::vector<at::Tensor> optimal_masks(MaskPattern pattern, MaskScope scope, const NMSpec& spec,
                                      const std::vector<at::Tensor>& weights) {
  std::vector<at::Tensor> out;
  if (scope == MaskScope::PerLayer) {
    for (const auto& w : weights) out.push_back(optimal_mask(pattern, spec, w));
    return out;
  }
  if (pattern != MaskPattern::Unstructured)
    throw std::invalid_argument(std::string("optimal masks: a global scope needs the unstructured pattern, not ") +
                                to_string(pattern));
  spec.validate("optimal global mask");
  if (weights.empty()) throw std::invalid_argument("optimal global mask: no weights given");
  std::vector<at::Tensor> flats;
  for (const auto& w : weights) flats.push_back(flat_abs(w, "optimal global mask"));
  const at::Tensor all = at::cat(flats);
  const at::Tensor keep = top_k_flat(all, unstructured_keep_count(all.numel(), spec));
  std::int64_t start = 0;
  for (const auto& w : weights) {
    out.push_back(keep.slice(0, start, start + w.numel()).reshape(w.sizes()));
    start += w.numel();
  }
  return out;
}

}  // namespace qharness::masks
