#include "masks/common/tnm_mcf.hpp"

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "masks/common/transposable_blocks.hpp"

namespace qharness::masks {

struct TnmFlowBlockSolver::Impl {
  using Graph = lemon::SmartDigraph;
  using Simplex = lemon::NetworkSimplex<Graph, std::int64_t, std::int64_t>;

  int n, m;
  Simplex::PivotRule pivot;
  Graph g;
  Graph::ArcMap<std::int64_t> cost{g};
  Graph::ArcMap<std::int64_t> upper{g};
  Graph::NodeMap<std::int64_t> supply{g};
  std::vector<Graph::Arc> cell;  // m*m row -> column arcs, row-major
  std::unique_ptr<Simplex> simplex;

  explicit Impl(const TnmMcfOptions& o) : n(o.spec.n), m(o.spec.m) {
    o.spec.validate("tnm-mcf");
    switch (o.pivot) {
      case TnmMcfOptions::Pivot::FirstEligible: pivot = Simplex::FIRST_ELIGIBLE; break;
      case TnmMcfOptions::Pivot::BestEligible: pivot = Simplex::BEST_ELIGIBLE; break;
      case TnmMcfOptions::Pivot::BlockSearch: pivot = Simplex::BLOCK_SEARCH; break;
      case TnmMcfOptions::Pivot::CandidateList: pivot = Simplex::CANDIDATE_LIST; break;
      case TnmMcfOptions::Pivot::AlteringList: pivot = Simplex::ALTERING_LIST; break;
    }
    // The graph, capacities and supplies never change: built once, only costs change per block.
    // A transportation problem: each row node supplies N, each column node demands N, one
    // arc of capacity 1 per entry (equivalent to source -> rows -> columns -> sink with
    // capacities N, with 2 fewer nodes and 2M fewer arcs, which NetworkSimplex pivots less on).
    std::vector<Graph::Node> rows(m), cols(m);
    for (int i = 0; i < m; ++i) rows[i] = g.addNode();
    for (int j = 0; j < m; ++j) cols[j] = g.addNode();
    cell.resize(static_cast<std::size_t>(m) * m);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < m; ++j) {
        Graph::Arc a = g.addArc(rows[i], cols[j]);
        upper[a] = 1;
        cost[a] = 0;
        cell[i * m + j] = a;
      }
    for (int i = 0; i < m; ++i) {
      supply[rows[i]] = n;
      supply[cols[i]] = -n;
    }
    simplex = std::make_unique<Simplex>(g);
    simplex->upperMap(upper).supplyMap(supply);
  }

  void solve(const float* a, std::uint8_t* keep) {
    float mx = 0;
    for (int k = 0; k < m * m; ++k) mx = std::max(mx, a[k]);
    int e = 0;
    std::frexp(mx, &e);  // mx < 2^e
    const double scale = mx > 0 ? std::ldexp(1.0, kCostBits - e) : 0.0;
    for (int k = 0; k < m * m; ++k) cost[cell[k]] = -std::llround(static_cast<double>(a[k]) * scale);
    simplex->costMap(cost);
    if (simplex->run(pivot) != Simplex::OPTIMAL)
      throw std::logic_error("tnm-mcf: NetworkSimplex found no optimal flow on a complete bipartite block");
    for (int k = 0; k < m * m; ++k) keep[k] = simplex->flow(cell[k]) > 0 ? 1 : 0;
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
