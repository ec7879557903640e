#include "masks/nm/nm_mask.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "qharness/masks/block_layout.hpp"

namespace qharness::masks {

at::Tensor nm_mask(const at::Tensor& weight, const NMSpec& spec) {
  spec.validate("nm mask");
  const BlockLayout layout = BlockLayout::of(weight, spec.m, "nm mask");
  at::Tensor w = contiguous_float_cpu(weight);
  at::Tensor mask = empty_mask_like(w);
  const float* wp = w.data_ptr<float>();
  bool* mp = mask.data_ptr<bool>();
  const int m = spec.m, n = spec.n;
  // One work item = one block (its m rows are m independent groups).
  at::parallel_for(0, layout.num_blocks(), 256, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> block(m * m);
    std::vector<std::uint8_t> keep(m * m);
    std::vector<int> order(m);
    for (std::int64_t b = begin; b < end; ++b) {
      layout.gather_abs(wp, b, block.data());
      const int cols = layout.cols(b), rows = layout.rows(b);
      std::fill(keep.begin(), keep.end(), std::uint8_t{0});
      const int k = std::min(n, cols);
      for (int i = 0; i < rows; ++i) {
        const float* row = block.data() + i * m;
        order.resize(cols);
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [row](int a, int c) {
          return row[a] > row[c] || (row[a] == row[c] && a < c);
        });
        for (int j = 0; j < k; ++j) keep[i * m + order[j]] = 1;
      }
      layout.scatter(keep.data(), b, mp);
    }
  });
  return mask.to(weight.device());
}

}  // namespace qharness::masks
