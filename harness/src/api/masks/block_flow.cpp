#include "qharness/masks/block_flow.hpp"

#include <algorithm>
#include <cmath>

namespace qharness::masks {

BlockFlowNetwork::BlockFlowNetwork(const NMSpec& spec) : m_(spec.m) {
  spec.validate("transposable block");
  std::vector<Graph::Node> rows(m_), cols(m_);
  for (int i = 0; i < m_; ++i) rows[i] = graph_.addNode();
  for (int j = 0; j < m_; ++j) cols[j] = graph_.addNode();
  cells_.reserve(static_cast<std::size_t>(m_) * m_);
  for (int i = 0; i < m_; ++i)
    for (int j = 0; j < m_; ++j) {
      const Graph::Arc arc = graph_.addArc(rows[i], cols[j]);
      upper_[arc] = 1;
      cost_[arc] = 0;
      cells_.push_back(arc);
    }
  for (int i = 0; i < m_; ++i) {
    supply_[rows[i]] = spec.n;
    supply_[cols[i]] = -spec.n;
  }
}

void BlockFlowNetwork::set_costs(const float* block_abs) {
  float largest = 0;
  for (std::size_t k = 0; k < cells_.size(); ++k) largest = std::max(largest, block_abs[k]);
  int e = 0;
  std::frexp(largest, &e);  // largest < 2^e
  const double scale = largest > 0 ? std::ldexp(1.0, kCostBits - e) : 0.0;
  for (std::size_t k = 0; k < cells_.size(); ++k) cost_[cells_[k]] = -std::llround(double(block_abs[k]) * scale);
}

}  // namespace qharness::masks
