#pragma once
// What each dataset needs on disk, so that a missing or misplaced dataset is reported before
// any trial runs, with the Debian package or the path that provides it.
#include <string>
#include <vector>

namespace qharness {

std::vector<std::string> dataset_names();

// The folder used when data.root is empty ("" when the dataset has none and root is required).
std::string default_dataset_root(const std::string& dataset);

// "" when `root` holds what `dataset` needs, else what is missing and how to get it.
std::string check_dataset_root(const std::string& dataset, const std::string& root);

}  // namespace qharness
