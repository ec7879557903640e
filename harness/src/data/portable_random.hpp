#pragma once
// Random numbers that are the same on every machine and library version: std::mt19937_64 is
// fully specified by the standard, and the conversions below are done by hand (std::
// distributions are not portable). Used for shuffling, calibration draws, augmentation and
// synthetic data, so that a seed means the same images everywhere.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace qharness {

class PortableRandom {
 public:
  explicit PortableRandom(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t next() { return engine_(); }
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  // Uniform in [0, n) without modulo bias (rejection sampling).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t r;
    do r = engine_(); while (r >= limit);
    return r % n;
  }
  // The first k entries of a uniformly random permutation of 0..n-1 (partial Fisher-Yates).
  std::vector<std::int64_t> sample(std::int64_t n, std::int64_t k) {
    std::vector<std::int64_t> p(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
    for (std::int64_t i = 0; i < k && i < n - 1; ++i)
      std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(i + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(n - i))))]);
    p.resize(static_cast<std::size_t>(k));
    return p;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace qharness
