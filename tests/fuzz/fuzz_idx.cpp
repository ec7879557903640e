// Fuzz target: the IDX reader (MNIST, Fashion-MNIST), gzip-compressed or plain. Bad input is a
// std::runtime_error naming the file; what it accepts is consistent (product(dims) bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "data/idx_file.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = qharness::fuzz::write_input("input-idx3-ubyte", data, size);
  try {
    const qharness::IdxArray a = qharness::read_idx_file(path);
    std::size_t n = 1;
    for (std::int64_t d : a.dims) n *= static_cast<std::size_t>(d);
    if (n != a.data.size()) {
      std::cerr << "IDX: dims give " << n << " elements, read " << a.data.size() << "\n";
      std::abort();
    }
  } catch (const std::runtime_error& e) {
    qharness::fuzz::require_file_named(e, path, "IDX");
  }
  return 0;
}
