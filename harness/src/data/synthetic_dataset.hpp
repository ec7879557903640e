#pragma once
// A seeded synthetic classification dataset, for tests and for trying a pipeline without
// data: each class has a random smooth prototype image; an image is its class prototype,
// shifted by up to 2 pixels, plus uniform noise. Learnable (a small model reaches high
// accuracy in one epoch) but not trivially so. Same seed => same bytes on every machine.
#include <cstdint>
#include <memory>

#include "data/dataset.hpp"

namespace qharness {

struct SyntheticOptions {
  std::int64_t train_size = 512;
  std::int64_t test_size = 256;
  std::int64_t classes = 10;
  ImageShape shape{1, 28, 28};
  std::uint64_t seed = 0;         // the dataset's own seed (independent of the trial seed)
};

std::shared_ptr<Dataset> make_synthetic_split(const SyntheticOptions& options, bool train);

}  // namespace qharness
