// Fuzz target: the CIFAR-10 binary reader (test_batch.bin): records of a label byte and
// 3x32x32 pixels. Bad input is a std::runtime_error; an accepted split serves every image.
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "data/cifar10_dataset.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qharness::fuzz::write_input("test_batch.bin", data, size);
  try {
    auto split = qharness::load_cifar10_split(qharness::fuzz::scratch().str(), /*train=*/false);
    if (split->size() > 0) {
      const qharness::Batch b = split->get(at::arange(split->size(), at::kLong));
      const at::Tensor labels = b.labels;
      if (labels.min().item<std::int64_t>() < 0 || labels.max().item<std::int64_t>() >= split->num_classes()) std::abort();
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
