#include "qharness/masks/mask_check.hpp"

#include <ATen/ATen.h>
#include <lemon/preflow.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "qharness/masks/block_layout.hpp"

namespace qharness::masks {

namespace {

// Can the padded positions of a partial block be filled so that every row and column of the
// m x m block has n ones? A bipartite degree-constrained subgraph problem: source -> row i
// (capacity n - kept in row i), row -> column over each free (padded) position (capacity 1),
// column j -> sink (capacity n - kept in column j); feasible iff the max flow saturates both.
bool padded_completion_exists(const std::vector<int>& row_kept, const std::vector<int>& col_kept, int rows,
                              int cols, int m, int n) {
  lemon::SmartDigraph g;
  lemon::SmartDigraph::ArcMap<int> cap(g);
  auto s = g.addNode(), t = g.addNode();
  std::vector<lemon::SmartDigraph::Node> r(m), c(m);
  long need_rows = 0, need_cols = 0;
  for (int i = 0; i < m; ++i) {
    r[i] = g.addNode();
    c[i] = g.addNode();
  }
  for (int i = 0; i < m; ++i) {
    cap[g.addArc(s, r[i])] = n - row_kept[i];
    cap[g.addArc(c[i], t)] = n - col_kept[i];
    need_rows += n - row_kept[i];
    need_cols += n - col_kept[i];
  }
  if (need_rows != need_cols) return false;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      if (i >= rows || j >= cols) cap[g.addArc(r[i], c[j])] = 1;
  lemon::Preflow<lemon::SmartDigraph, lemon::SmartDigraph::ArcMap<int>> flow(g, cap, s, t);
  flow.runMinCut();
  return flow.flowValue() == need_rows;
}

}  // namespace

bool block_is_valid(const std::uint8_t* keep, int rows, int cols, const NMSpec& spec, bool columns_too,
                    std::string* why) {
  const int m = spec.m, n = spec.n;
  std::vector<int> row_kept(m, 0), col_kept(m, 0);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      if (keep[i * m + j]) {
        ++row_kept[i];
        ++col_kept[j];
      }
  auto fail = [&](const std::string& s) {
    if (why) *why = s;
    return false;
  };
  // Rows: n ones of m, of which at most m - cols may lie in the padding.
  const int row_lo = std::max(0, n - (m - cols)), row_hi = std::min(n, cols);
  for (int i = 0; i < rows; ++i)
    if (row_kept[i] < row_lo || row_kept[i] > row_hi)
      return fail("row " + std::to_string(i) + " keeps " + std::to_string(row_kept[i]) + " (need " +
                  (row_lo == row_hi ? std::to_string(row_lo)
                                    : "between " + std::to_string(row_lo) + " and " + std::to_string(row_hi)) +
                  " of its " + std::to_string(cols) + " real columns)");
  if (!columns_too) return true;
  const int col_lo = std::max(0, n - (m - rows)), col_hi = std::min(n, rows);
  for (int j = 0; j < cols; ++j)
    if (col_kept[j] < col_lo || col_kept[j] > col_hi)
      return fail("column " + std::to_string(j) + " keeps " + std::to_string(col_kept[j]) + " (need " +
                  (col_lo == col_hi ? std::to_string(col_lo)
                                    : "between " + std::to_string(col_lo) + " and " + std::to_string(col_hi)) +
                  " of its " + std::to_string(rows) + " real rows)");
  if ((rows < m || cols < m) && !padded_completion_exists(row_kept, col_kept, rows, cols, m, n))
    return fail("the partial " + std::to_string(rows) + "x" + std::to_string(cols) +
                " block is not the crop of any valid " + std::to_string(m) + "x" + std::to_string(m) + " pattern");
  return true;
}

MaskCheck check_mask(const at::Tensor& mask_in, MaskPattern pattern, const NMSpec& spec) {
  spec.validate("check_mask");
  if (!mask_in.defined() || mask_in.scalar_type() != at::kBool)
    throw std::invalid_argument("check_mask: the mask must be a bool tensor");
  at::Tensor mask = mask_in.to(at::kCPU).contiguous();
  MaskCheck out;
  out.kept = mask.sum().item<std::int64_t>();
  if (pattern == MaskPattern::Unstructured) {
    out.groups = 1;
    const std::int64_t want = unstructured_keep_count(mask.numel(), spec);
    out.valid = out.kept == want;
    if (!out.valid) {
      out.invalid_groups = 1;
      out.first_problem = "keeps " + std::to_string(out.kept) + " of " + std::to_string(mask.numel()) +
                          " weights, expected " + std::to_string(want) + " (" + std::to_string(spec.n) + "/" +
                          std::to_string(spec.m) + ")";
    }
    return out;
  }
  const BlockLayout layout = BlockLayout::of(mask, spec.m, "check_mask");
  const bool* data = mask.data_ptr<bool>();
  std::vector<std::uint8_t> block(static_cast<std::size_t>(spec.m) * spec.m);
  out.groups = layout.num_blocks();
  for (std::int64_t b = 0; b < layout.num_blocks(); ++b) {
    layout.gather_mask(data, b, block.data());
    std::string why;
    if (!block_is_valid(block.data(), layout.rows(b), layout.cols(b), spec,
                        pattern == MaskPattern::TransposableNM, &why)) {
      if (out.invalid_groups++ == 0) {
        std::ostringstream s;
        s << to_string(pattern) << " " << spec.n << ":" << spec.m << " block at output channels "
          << layout.block_out(b) * spec.m << "+, input channels " << layout.block_in(b) * spec.m
          << "+, kernel position " << layout.kernel_pos(b) << ": " << why;
        out.first_problem = s.str();
      }
    }
  }
  out.valid = out.invalid_groups == 0;
  return out;
}

}  // namespace qharness::masks
