#pragma once
// Where the N:M groups and the transposable M x M blocks of a weight lie (docs/studies/masks.md, "Block layout").
//
// A weight is [out, in, k...] (Linear [out, in]; Conv2d [out, in, kh, kw]; any trailing
// kernel dims). At each kernel position p it is an out x in matrix W_p whose rows are output
// channels and whose columns are input channels. A transposable block spans M consecutive
// output channels x M consecutive input channels of one W_p: rows of the block are groups of
// the forward product's reduction (over inputs), its columns groups of the backward
// (input-gradient) product's reduction (over outputs). So a mask that keeps N per block row
// makes W N:M, and N per block column makes W^T N:M. The 1-D N:M groups are the block rows.
//
// Dimensions not divisible by M (the rule, tested in test_mask_layout.cpp): the weight is
// treated as if padded with zero weights up to the next multiple of M in `out` and in `in`;
// every solver works on the padded M x M blocks (padding has magnitude 0, so it is kept only
// where a real weight cannot be), and the mask of the real weight is the crop. Hence a partial
// block's real part is the crop of a valid pattern: with c real columns a real row keeps
// between N - (M - c) and min(N, c); check_mask() checks exactly that such a completion exists.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace qharness::masks {

struct BlockLayout {
  std::int64_t out = 0, in = 0;  // output and input channels
  std::int64_t kernel = 1;       // product of the trailing (kernel) dims
  int m = 1;
  std::int64_t blocks_out = 0, blocks_in = 0;  // ceil(out / m), ceil(in / m)

  // Throws std::invalid_argument (naming `who`) for tensors with fewer than 2 dims or no elements.
  static BlockLayout of(const at::Tensor& weight, int m, const std::string& who);

  std::int64_t num_blocks() const { return blocks_out * blocks_in * kernel; }
  // Block b covers kernel position b % kernel, then input block, then output block, so that
  // consecutive blocks touch neighbouring memory.
  std::int64_t kernel_pos(std::int64_t b) const { return b % kernel; }
  std::int64_t block_in(std::int64_t b) const { return (b / kernel) % blocks_in; }
  std::int64_t block_out(std::int64_t b) const { return b / kernel / blocks_in; }
  // Real rows / columns of block b (m, or fewer at the padded edge).
  int rows(std::int64_t b) const;
  int cols(std::int64_t b) const;
  std::int64_t offset(std::int64_t o, std::int64_t i, std::int64_t p) const {
    return (o * in + i) * kernel + p;
  }

  // |w| of block b, m x m row-major (row = output channel), zeros in the padding.
  void gather_abs(const float* weight, std::int64_t b, float* block) const;
  // Writes the real part of an m x m row-major 0/1 block into the mask.
  void scatter(const std::uint8_t* block_keep, std::int64_t b, bool* mask) const;
  // The real part of block b of a mask, as m x m 0/1 (0 in the padding).
  void gather_mask(const bool* mask, std::int64_t b, std::uint8_t* block_keep) const;
};

// The weight as contiguous float32 on the CPU (a copy only when needed), detached.
at::Tensor contiguous_float_cpu(const at::Tensor& weight);
// A zero bool tensor of the weight's shape on the CPU.
at::Tensor empty_mask_like(const at::Tensor& weight);

}  // namespace qharness::masks
