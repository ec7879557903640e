#include "qharness/masks/mask_diversity.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <vector>

namespace qharness::masks {

BigInt binomial(std::int64_t n, std::int64_t k) {
  if (k < 0 || k > n) return 0;
  k = std::min(k, n - k);
  BigInt r = 1;
  for (std::int64_t i = 1; i <= k; ++i) r = r * (n - k + i) / i;  // exact: r stays C(n-k+i, i)
  return r;
}

BigInt transposable_block_count(const NMSpec& spec) {
  spec.validate("transposable_block_count");
  const int m = spec.m, n = spec.n;
  // state[s] = number of columns holding s ones so far (s = 0..n).
  using State = std::vector<int>;
  std::map<State, BigInt> level;
  State start(n + 1, 0);
  start[0] = m;
  level[start] = 1;
  for (int row = 0; row < m; ++row) {
    std::map<State, BigInt> next;
    for (const auto& [from, ways] : level) {
      // (A named reference: lambdas capture structured bindings only from C++20 on; clang 14
      // refuses it in C++17.)
      const State& state = from;
      // Choose how many of this row's n ones go to columns of each class s < n: take[s].
      State take(n, 0);
      std::function<void(int, int, BigInt)> place = [&](int s, int left, BigInt w) {
        if (s == n) {
          if (left != 0) return;
          State to = state;
          for (int c = 0; c < n; ++c) {
            to[c] -= take[c];
            to[c + 1] += take[c];
          }
          next[to] += w;
          return;
        }
        for (int t = 0; t <= std::min(left, state[s]); ++t) {
          take[s] = t;
          place(s + 1, left - t, w * binomial(state[s], t));
        }
        take[s] = 0;
      };
      place(0, n, ways);
    }
    level.swap(next);
  }
  State done(n + 1, 0);
  done[n] = m;
  auto it = level.find(done);
  return it == level.end() ? BigInt(0) : it->second;
}

namespace {

void require_multiple(std::int64_t size, std::int64_t of, const char* what, const NMSpec& spec) {
  if (size < 1 || size % of != 0)
    throw std::invalid_argument(std::string(what) + " " + std::to_string(spec.n) + ":" + std::to_string(spec.m) +
                                ": size " + std::to_string(size) + " must be a positive multiple of " +
                                std::to_string(of));
}

void require_exact_size(std::int64_t size) {
  if (size > kMaxExactDiversitySize)
    throw std::invalid_argument("size " + std::to_string(size) + " is above " +
                                std::to_string(kMaxExactDiversitySize) +
                                " weights, too large for an exact count here (use the log10 form)");
}

}  // namespace

BigInt unstructured_diversity(const NMSpec& spec, std::int64_t size) {
  spec.validate("unstructured diversity");
  require_multiple(size, spec.m, "unstructured", spec);
  require_exact_size(size);
  return binomial(size, size / spec.m * spec.n);
}

BigInt nm_diversity(const NMSpec& spec, std::int64_t size) {
  spec.validate("N:M diversity");
  require_multiple(size, spec.m, "N:M", spec);
  require_exact_size(size);
  return boost::multiprecision::pow(binomial(spec.m, spec.n), static_cast<unsigned>(size / spec.m));
}

BigInt transposable_diversity(const NMSpec& spec, std::int64_t size) {
  spec.validate("transposable N:M diversity");
  require_multiple(size, std::int64_t{spec.m} * spec.m, "transposable", spec);
  require_exact_size(size);
  return boost::multiprecision::pow(transposable_block_count(spec),
                                    static_cast<unsigned>(size / (std::int64_t{spec.m} * spec.m)));
}

double log10_unstructured_diversity(const NMSpec& spec, std::int64_t size) {
  spec.validate("unstructured diversity");
  require_multiple(size, spec.m, "unstructured", spec);
  const double k = static_cast<double>(size / spec.m * spec.n), s = static_cast<double>(size);
  return (std::lgamma(s + 1) - std::lgamma(k + 1) - std::lgamma(s - k + 1)) / std::log(10.0);
}

double log10_nm_diversity(const NMSpec& spec, std::int64_t size) {
  spec.validate("N:M diversity");
  require_multiple(size, spec.m, "N:M", spec);
  return static_cast<double>(size / spec.m) * log10_of(binomial(spec.m, spec.n));
}

double log10_transposable_diversity(const NMSpec& spec, std::int64_t size) {
  spec.validate("transposable N:M diversity");
  require_multiple(size, std::int64_t{spec.m} * spec.m, "transposable", spec);
  return static_cast<double>(size / (std::int64_t{spec.m} * spec.m)) * log10_of(transposable_block_count(spec));
}

double log10_of(const BigInt& x) {
  if (x <= 0) throw std::invalid_argument("log10_of: the count must be positive");
  // x = mantissa * 2^shift with a 53-bit mantissa.
  const std::size_t bits = boost::multiprecision::msb(x) + 1;
  const std::size_t shift = bits > 60 ? bits - 60 : 0;
  const BigInt top = x >> shift;
  return std::log10(top.convert_to<double>()) + static_cast<double>(shift) * std::log10(2.0);
}

}  // namespace qharness::masks
