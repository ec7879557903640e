#include "masks/transposable/tnm_mcf.hpp"

#include <lemon/network_simplex.h>

#include <stdexcept>

#include "qharness/masks/block_flow.hpp"
#include "qharness/masks/transposable_blocks.hpp"

namespace qharness::masks {

struct TnmFlowBlockSolver::Impl {
  using Simplex = lemon::NetworkSimplex<BlockFlowNetwork::Graph, std::int64_t, std::int64_t>;

  BlockFlowNetwork network;  // before simplex: LEMON's algorithms snapshot the graph when built
  Simplex simplex{network.graph()};
  Simplex::PivotRule pivot;

  explicit Impl(const TnmMcfOptions& o) : network(o.spec), pivot(pivot_rule(o.pivot)) {
    simplex.upperMap(network.upper()).supplyMap(network.supply());
  }

  static Simplex::PivotRule pivot_rule(TnmMcfOptions::Pivot p) {
    switch (p) {
      case TnmMcfOptions::Pivot::FirstEligible: return Simplex::FIRST_ELIGIBLE;
      case TnmMcfOptions::Pivot::BestEligible: return Simplex::BEST_ELIGIBLE;
      case TnmMcfOptions::Pivot::BlockSearch: return Simplex::BLOCK_SEARCH;
      case TnmMcfOptions::Pivot::CandidateList: return Simplex::CANDIDATE_LIST;
      case TnmMcfOptions::Pivot::AlteringList: return Simplex::ALTERING_LIST;
    }
    return Simplex::BLOCK_SEARCH;
  }

  void solve(const float* block_abs, std::uint8_t* keep) {
    network.set_costs(block_abs);
    if (simplex.costMap(network.cost()).run(pivot) != Simplex::OPTIMAL)
      throw std::logic_error("tnm-mcf: NetworkSimplex found no optimal flow on a complete bipartite block");
    network.read_keep(simplex, keep);
  }
};

TnmFlowBlockSolver::TnmFlowBlockSolver(const TnmMcfOptions& options) : impl_(std::make_unique<Impl>(options)) {}
TnmFlowBlockSolver::~TnmFlowBlockSolver() = default;
TnmFlowBlockSolver::TnmFlowBlockSolver(TnmFlowBlockSolver&&) noexcept = default;

void TnmFlowBlockSolver::solve(const float* block_abs, std::uint8_t* keep) { impl_->solve(block_abs, keep); }

at::Tensor tnm_mcf_mask(const at::Tensor& weight, const TnmMcfOptions& options) {
  return solve_transposable_blocks(weight, options.spec, "tnm-mcf",
                                   [&] { return TnmFlowBlockSolver(options); }, /*grain=*/16);
}

}  // namespace qharness::masks
