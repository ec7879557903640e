#pragma once
// The `data:` block turned into datasets: the train and test splits of the configured dataset.
// Splits are kept for the life of the process (keyed by everything that defines their bytes),
// so a sweep of many trials over one dataset reads its files once.
#include <memory>

#include "config/resolve.hpp"
#include "data/dataset.hpp"

namespace qharness {

struct DataSplits {
  std::shared_ptr<Dataset> train, test;
};

// Throws std::runtime_error naming the file and the problem when a file is missing or bad.
DataSplits load_data(const ResolvedConfig& cfg);

}  // namespace qharness
