#include "qharness/masks/block_layout.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

namespace qharness::masks {

BlockLayout BlockLayout::of(const at::Tensor& weight, int m, const std::string& who) {
  if (!weight.defined()) throw std::invalid_argument(who + ": the weight is undefined");
  if (weight.dim() < 2)
    throw std::invalid_argument(who + ": expected a weight [out, in, kernel...] with at least 2 dims, got " +
                                std::to_string(weight.dim()) + " dim(s)");
  if (weight.numel() == 0) throw std::invalid_argument(who + ": the weight has no elements");
  if (m < 1) throw std::invalid_argument(who + ": m must be >= 1");
  BlockLayout l;
  l.out = weight.size(0);
  l.in = weight.size(1);
  l.kernel = weight.numel() / (l.out * l.in);
  l.m = m;
  l.blocks_out = (l.out + m - 1) / m;
  l.blocks_in = (l.in + m - 1) / m;
  return l;
}

int BlockLayout::rows(std::int64_t b) const {
  return static_cast<int>(std::min<std::int64_t>(m, out - block_out(b) * m));
}
int BlockLayout::cols(std::int64_t b) const {
  return static_cast<int>(std::min<std::int64_t>(m, in - block_in(b) * m));
}

void BlockLayout::gather_abs(const float* weight, std::int64_t b, float* block) const {
  const int r = rows(b), c = cols(b);
  const std::int64_t o0 = block_out(b) * m, i0 = block_in(b) * m, p = kernel_pos(b);
  if (r < m || c < m) std::fill(block, block + m * m, 0.0f);
  for (int i = 0; i < r; ++i) {
    const float* src = weight + offset(o0 + i, i0, p);
    float* dst = block + i * m;
    if (kernel == 1) {  // Linear: contiguous rows (a loop the compiler vectorizes)
      for (int j = 0; j < c; ++j) dst[j] = std::abs(src[j]);
    } else {
      for (int j = 0; j < c; ++j) dst[j] = std::abs(src[j * kernel]);
    }
  }
}

void BlockLayout::scatter(const std::uint8_t* block_keep, std::int64_t b, bool* mask) const {
  const int r = rows(b), c = cols(b);
  const std::int64_t o0 = block_out(b) * m, i0 = block_in(b) * m, p = kernel_pos(b);
  for (int i = 0; i < r; ++i) {
    bool* dst = mask + offset(o0 + i, i0, p);
    const std::uint8_t* src = block_keep + i * m;
    if (kernel == 1) {
      for (int j = 0; j < c; ++j) dst[j] = src[j] != 0;
    } else {
      for (int j = 0; j < c; ++j) dst[j * kernel] = src[j] != 0;
    }
  }
}

void BlockLayout::gather_mask(const bool* mask, std::int64_t b, std::uint8_t* block_keep) const {
  const int r = rows(b), c = cols(b);
  const std::int64_t o0 = block_out(b) * m, i0 = block_in(b) * m, p = kernel_pos(b);
  std::fill(block_keep, block_keep + m * m, std::uint8_t{0});
  for (int i = 0; i < r; ++i) {
    const bool* src = mask + offset(o0 + i, i0, p);
    for (int j = 0; j < c; ++j) block_keep[i * m + j] = src[j * kernel] ? 1 : 0;
  }
}

at::Tensor contiguous_float_cpu(const at::Tensor& weight) {
  return weight.detach().to(at::kCPU, at::kFloat).contiguous();
}

at::Tensor empty_mask_like(const at::Tensor& weight) {
  return at::zeros(weight.sizes(), at::TensorOptions().dtype(at::kBool).device(at::kCPU));
}

}  // namespace qharness::masks
