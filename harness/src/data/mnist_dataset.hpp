#pragma once
// MNIST and Fashion-MNIST: 28x28 grey images in 10 classes, four IDX files per folder
// (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...). Fashion-MNIST is
// the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
#include <memory>
#include <string>

#include "data/dataset.hpp"

namespace qharness {

// `name` (as in the description: "fashion-mnist train (60000 images from ...)") and the
// dataset's normalization come from its entry in dataset_registry.cpp; `train` picks the
// split. Throws std::runtime_error naming the file on a missing, corrupt or inconsistent file.
std::shared_ptr<Dataset> load_mnist_split(const std::string& name, const std::string& root, bool train,
                                          const Normalization& normalization);

}  // namespace qharness
