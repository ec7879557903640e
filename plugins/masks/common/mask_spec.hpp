#pragma once
// What a mask must satisfy: keep N of every M (see block_layout.hpp for where the groups lie).
#include <cstdint>
#include <stdexcept>
#include <string>

namespace qharness::masks {

enum class MaskPattern {
  Unstructured,    // keep round(numel * N / M) weights anywhere in the tensor
  NM,              // 1-D N:M: N of every M consecutive input channels (one row of a block)
  TransposableNM,  // every M x M block keeps N per row and N per column
};

const char* to_string(MaskPattern p);

struct NMSpec {
  int n = 2;
  int m = 4;
  // Throws std::invalid_argument naming `who` unless 1 <= n <= m <= kMaxM.
  void validate(const std::string& who) const;
  static constexpr int kMaxM = 64;
};

inline void NMSpec::validate(const std::string& who) const {
  if (m < 1 || m > kMaxM)
    throw std::invalid_argument(who + ": m = " + std::to_string(m) + " is outside [1, " +
                                std::to_string(kMaxM) + "]");
  if (n < 1 || n > m)
    throw std::invalid_argument(who + ": n = " + std::to_string(n) + " must be in [1, m = " +
                                std::to_string(m) + "] (keep n of every m)");
}

// Number of weights an unstructured mask of density N/M keeps in a tensor of `numel`
// elements: numel * N / M rounded half up, computed exactly in integers.
inline std::int64_t unstructured_keep_count(std::int64_t numel, const NMSpec& s) {
  return (numel * s.n * 2 + s.m) / (2 * s.m);
}

}  // namespace qharness::masks
