// Fuzz target: the results-file reader (results/<name>/<name>.h5 and trial files): list the
// trials, read each back, the provenance and the summary table. Bad input is a
// std::runtime_error naming the file, or a trial listed as damaged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "fuzz_input_file.hpp"
#include "results/h5_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = qharness::fuzz::write_input("results.h5", data, size);
  try {
    for (const auto& info : qharness::h5::list_trials(path)) {
      if (!info.damage.empty()) continue;
      try {
        qharness::h5::read_trial(path, info.id);
      } catch (const std::runtime_error&) {
      }
    }
  } catch (const std::runtime_error&) {
  }
  try {
    qharness::h5::read_provenance(path);
  } catch (const std::runtime_error&) {
  }
  try {
    qharness::h5::read_summary(path);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
