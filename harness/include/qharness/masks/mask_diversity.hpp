#pragma once
// Mask diversity (Hubara et al. 2021, Sec. 3): the exact number of distinct masks a sparsity
// pattern allows on a tensor of `size` weights, as arbitrary-precision integers.
//   unstructured:      C(size, size*N/M)                     (size a multiple of M)
//   N:M (1-D):         C(M, N)^(size/M)                      (size a multiple of M)
//   transposable N:M:  T(M, N)^(size/M^2)                    (size a multiple of M^2)
// where T(M, N) is the number of M x M 0/1 matrices with N ones in every row and every column,
// counted exactly by a dynamic program over rows whose state is how many columns hold
// 0, 1, ..., N ones so far (columns are interchangeable, so that multiset is all that matters).
#include <boost/multiprecision/cpp_int.hpp>

#include <cstdint>
#include <string>

#include "qharness/mask.hpp"

namespace qharness::masks {

using BigInt = boost::multiprecision::cpp_int;

BigInt binomial(std::int64_t n, std::int64_t k);
// T(M, N): M x M 0/1 matrices with N ones per row and per column.
BigInt transposable_block_count(const NMSpec& spec);

BigInt unstructured_diversity(const NMSpec& spec, std::int64_t size);
BigInt nm_diversity(const NMSpec& spec, std::int64_t size);
BigInt transposable_diversity(const NMSpec& spec, std::int64_t size);

// The exact counts refuse sizes above this (multiplying numbers of millions of digits would take
// minutes); the log10_* functions below serve any size.
constexpr std::int64_t kMaxExactDiversitySize = std::int64_t{1} << 18;

// log10 of the three counts for any size, in double (lgamma for the binomial).
double log10_unstructured_diversity(const NMSpec& spec, std::int64_t size);
double log10_nm_diversity(const NMSpec& spec, std::int64_t size);
double log10_transposable_diversity(const NMSpec& spec, std::int64_t size);

// log10 of a positive count (exact to double precision even for counts beyond double's range).
double log10_of(const BigInt& x);

}  // namespace qharness::masks
