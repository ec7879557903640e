#pragma once
// Mini-batches of a split: the index order of an epoch (shuffled reproducibly), light
// augmentation (random crop after zero padding, horizontal flip: the usual CIFAR recipe), and
// normalization, and the deterministic calibration subset.
#include <cstdint>
#include <vector>

#include "data/dataset.hpp"

namespace qharness {

// The index batches of one epoch: 0..n-1 in order, or a permutation drawn from (seed, epoch).
// The last batch may be smaller.
std::vector<at::Tensor> epoch_batches(std::int64_t n, std::int64_t batch_size, bool shuffle, std::uint64_t seed,
                                      std::int64_t epoch);

struct AugmentOptions {
  bool enabled = false;
  std::int64_t pad = -1;        // zero padding before the random crop; -1 = H/8 (4 for 32x32, 3 for 28x28)
  bool flip = true;             // random horizontal flip with probability 1/2
};

// The normalized float batch at `indices`; augmented (with draws from `augment_seed`) when
// augment.enabled.
Batch load_batch(const Dataset& data, const at::Tensor& indices, const AugmentOptions& augment = {},
                 std::uint64_t augment_seed = 0);

// The calibration subset: `size` distinct images of `data` drawn uniformly without replacement
// by `seed` (sorted by index), normalized. Same (dataset, size, seed) => same images.
// Throws when size exceeds the split.
Batch calibration_batch(const Dataset& data, std::int64_t size, std::uint64_t seed);
std::vector<std::int64_t> calibration_indices(std::int64_t n, std::int64_t size, std::uint64_t seed);

}  // namespace qharness
