#pragma once
// One m x m block of the transposable N:M problem as a min-cost-flow network, for any of
// LEMON's min-cost-flow algorithms (Hubara et al. 2021, Sec. 4.1).
//
// A transportation problem: row node i supplies n, column node j demands n, one arc of
// capacity 1 per entry (i, j) with cost -|w_ij|. (Equivalent to source -> rows -> columns ->
// sink with capacities n, with 2 fewer nodes and 2m fewer arcs.) An integral min-cost flow is a
// 0/1 matrix with n per row and per column of maximum kept magnitude: bipartite b-matching
// polytopes are integral.
//
// Integer costs, since LEMON's algorithms are exact on integers: per block the magnitudes are
// scaled by 2^(kCostBits - e), where max|w| < 2^e, and rounded. Every float of the block that is
// at least 2^-(kCostBits-24) = 2^-16 of the block's largest maps to an exact integer (a float
// has a 24-bit significand), so their order and sums are kept exactly; smaller ones are rounded
// monotonically with an error below 2^-(kCostBits+1) of the largest each, so the kept magnitude
// is optimal to within m*n*2^-41 of the block's largest weight. 2^40 leaves int64 potentials
// (sums along paths of at most 2m arcs, times CostScaling's factor) far from overflow for m <= 64.
//
// The graph, capacities and supplies are built once; per block only the costs change:
//   BlockFlowNetwork net(spec);
//   lemon::NetworkSimplex<BlockFlowNetwork::Graph, std::int64_t, std::int64_t> ns(net.graph());
//   ns.upperMap(net.upper()).supplyMap(net.supply());
//   net.set_costs(block_abs); ns.costMap(net.cost()).run(); net.read_keep(ns, keep);
#include <lemon/smart_graph.h>

#include <cstdint>
#include <vector>

#include "qharness/mask.hpp"

namespace qharness::masks {

class BlockFlowNetwork {
 public:
  using Graph = lemon::SmartDigraph;
  using ArcMap = Graph::ArcMap<std::int64_t>;
  using NodeMap = Graph::NodeMap<std::int64_t>;
  static constexpr int kCostBits = 40;

  explicit BlockFlowNetwork(const NMSpec& spec);
  BlockFlowNetwork(const BlockFlowNetwork&) = delete;
  BlockFlowNetwork& operator=(const BlockFlowNetwork&) = delete;

  const Graph& graph() const { return graph_; }
  const ArcMap& upper() const { return upper_; }
  const NodeMap& supply() const { return supply_; }
  const ArcMap& cost() const { return cost_; }

  // block_abs: m x m row-major magnitudes (>= 0, finite). Sets the costs (see above).
  void set_costs(const float* block_abs);
  // keep: m x m 0/1, the entries carrying flow in the algorithm's solution.
  template <class Algorithm>
  void read_keep(const Algorithm& algorithm, std::uint8_t* keep) const {
    for (std::size_t k = 0; k < cells_.size(); ++k) keep[k] = algorithm.flow(cells_[k]) > 0 ? 1 : 0;
  }

 private:
  int m_;
  Graph graph_;
  ArcMap upper_{graph_}, cost_{graph_};
  NodeMap supply_{graph_};
  std::vector<Graph::Arc> cells_;  // m*m row -> column arcs, row-major
};

}  // namespace qharness::masks
