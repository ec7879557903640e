#pragma once
// MNIST and Fashion-MNIST: 28x28 grey images in 10 classes, four IDX files per folder
// (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...). Fashion-MNIST is
// the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
#include <memory>
#include <string>

#include "data/dataset.hpp"

namespace qharness {

// `flavour` is "mnist" or "fashion-mnist" (it picks the normalization constants and the
// description); `train` picks the split. Throws std::runtime_error naming the file on a
// missing, corrupt or inconsistent file.
std::shared_ptr<Dataset> load_mnist_split(const std::string& flavour, const std::string& root, bool train);

}  // namespace qharness
