#pragma once
// CIFAR-10, binary version (cifar-10-binary.tar.gz): data_batch_1.bin ... data_batch_5.bin
// (train, 50000 images) and test_batch.bin (10000), each a sequence of 3073-byte records:
// the label, then 32x32 red, green and blue planes. `root` is the folder holding the files or
// the folder holding cifar-10-batches-bin/.
#include <memory>
#include <string>

#include "data/dataset.hpp"

namespace qharness {

// Throws std::runtime_error naming the file on a missing file, a size that is not a whole
// number of records (truncated) or a label outside 0..9.
std::shared_ptr<Dataset> load_cifar10_split(const std::string& root, bool train);

}  // namespace qharness
