#include "masks/transposable/tnm_exhaustive.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <stdexcept>

#include "qharness/masks/block_layout.hpp"

namespace qharness::masks {

std::vector<std::vector<std::uint8_t>> transposable_patterns(const NMSpec& spec) {
  spec.validate("transposable_patterns");
  const int m = spec.m, n = spec.n, mm = m * m;
  if (m > 5) throw std::invalid_argument("transposable_patterns: enumeration needs m <= 5");
  std::vector<std::vector<std::uint8_t>> out;
  for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << mm); ++bits) {
    if (__builtin_popcountll(bits) != m * n) continue;
    std::vector<std::uint8_t> p(mm);
    // Bit (mm-1-k) is entry k, so increasing `bits` is increasing row-major bit string.
    for (int k = 0; k < mm; ++k) p[k] = (bits >> (mm - 1 - k)) & 1;
    bool ok = true;
    for (int i = 0; i < m && ok; ++i) {
      int r = 0, c = 0;
      for (int j = 0; j < m; ++j) {
        r += p[i * m + j];
        c += p[j * m + i];
      }
      ok = r == n && c == n;
    }
    if (ok) out.push_back(std::move(p));
  }
  return out;
}

at::Tensor tnm_exhaustive_mask(const at::Tensor& weight, const NMSpec& spec) {
  spec.validate("tnm-exhaustive");
  if (spec.m != 4)
    throw std::invalid_argument("tnm-exhaustive: m = " + std::to_string(spec.m) +
                                " is not supported; exhaustive search covers m = 4 only (use tnm-mcf)");
  constexpr int kM = 4, kMM = 16;
  const BlockLayout layout = BlockLayout::of(weight, kM, "tnm-exhaustive");
  at::Tensor w = contiguous_float_cpu(weight);
  // NaN or inf would make the argmax meaningless (checked per chunk below, on the gathered blocks).
  const auto patterns = transposable_patterns(spec);
  const auto num_patterns = static_cast<std::int64_t>(patterns.size());
  at::Tensor pattern_matrix = at::empty({kMM, num_patterns}, at::kFloat);  // [16, P]
  {
    auto acc = pattern_matrix.accessor<float, 2>();
    for (std::int64_t p = 0; p < num_patterns; ++p)
      for (int k = 0; k < kMM; ++k) acc[k][p] = patterns[p][k];
  }
  at::Tensor mask = empty_mask_like(w);
  const float* wp = w.data_ptr<float>();
  bool* mp = mask.data_ptr<bool>();
  // Chunks bound the score matrix ([chunk, P] floats) to a few MB.
  constexpr std::int64_t kChunk = 1 << 15;
  at::Tensor blocks = at::empty({kChunk, kMM}, at::kFloat);
  at::Tensor scores = at::empty({kChunk, num_patterns}, at::kFloat);
  at::Tensor best = at::empty({kChunk}, at::kLong);
  for (std::int64_t start = 0; start < layout.num_blocks(); start += kChunk) {
    const std::int64_t count = std::min(kChunk, layout.num_blocks() - start);
    at::Tensor x = blocks.narrow(0, 0, count);
    float* xp = x.data_ptr<float>();
    at::parallel_for(0, count, 1024, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b) layout.gather_abs(wp, start + b, xp + b * kMM);
    });
    if (!at::isfinite(x).all().item<bool>())
      throw std::invalid_argument("tnm-exhaustive: the weight has NaN or infinite entries");
    at::Tensor s = scores.narrow(0, 0, count);
    at::mm_out(s, x, pattern_matrix);
    at::Tensor idx = best.narrow(0, 0, count);
    at::argmax_out(idx, s, 1);
    const std::int64_t* ip = idx.data_ptr<std::int64_t>();
    at::parallel_for(0, count, 1024, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b) layout.scatter(patterns[ip[b]].data(), start + b, mp);
    });
  }
  return mask.to(weight.device());
}

}  // namespace qharness::masks
