#pragma once
// `qharness mask-diversity N:M [--transposable|--unstructured] [--size K]`: the exact number of
// masks of one sparsity pattern on K weights (default K = M*M, one transposable block), and its
// log10 (masks/common/mask_diversity.hpp).
#include <cstdint>
#include <ostream>
#include <string>

namespace qharness {

struct MaskDiversityRequest {
  std::string nm;             // "N:M"
  bool transposable = false;
  bool unstructured = false;
  std::int64_t size = 0;      // 0 = M*M
};

// Throws ConfigError for bad input (exit status 2).
void print_mask_diversity(const MaskDiversityRequest& request, std::ostream& out);

}  // namespace qharness
