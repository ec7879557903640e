#pragma once
// The one checker that every mask goes through (plugins' tests, the masks task, sparse training).
//
//   Unstructured:   exactly unstructured_keep_count(numel) weights kept.
//   NM (1-D):       every block row (N of M consecutive inputs) keeps N: W is N:M.
//   TransposableNM: every block row AND every block column keeps N, i.e. W and W^T are both
//                   N:M (a block column of W is a block row of W^T).
// Partial blocks at edges not divisible by M (block_layout.hpp) must be the crop of a valid
// pattern of the zero-padded block; check_mask() decides that exactly (a small max-flow).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "qharness/mask.hpp"

namespace qharness::masks {

struct MaskCheck {
  bool valid = false;
  std::int64_t kept = 0;            // weights kept
  std::int64_t groups = 0;          // blocks checked (1 for unstructured)
  std::int64_t invalid_groups = 0;  // of which invalid
  std::string first_problem;        // empty when valid; else where and why
};

// `mask` is a bool tensor of the weight's shape ([out, in, kernel...]).
MaskCheck check_mask(const at::Tensor& mask, MaskPattern pattern, const NMSpec& spec);

// One m x m block (row-major 0/1) whose real part is rows x cols (the rest is padding, ignored):
// true when the real part is the crop of an m x m 0/1 matrix with n ones per row (and, when
// `columns_too`, n per column). Sets `why` when false.
bool block_is_valid(const std::uint8_t* keep, int rows, int cols, const NMSpec& spec, bool columns_too,
                    std::string* why);

}  // namespace qharness::masks
