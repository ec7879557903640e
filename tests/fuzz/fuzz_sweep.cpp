// Fuzz target: sweep expansion alone (grid, zip and seeds axes, overrides that add axes). On
// every input that expands, besides the sanitizers: at least one trial, every trial sweeps the
// same number of keys and its tree holds every key it sweeps. Bad input is a ConfigError.
// Lines after "#overrides" are command-line overrides, as in fuzz_config.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <typeinfo>
#include <vector>

#include "config/raw_config.hpp"
#include "config/sweep.hpp"
#include "fuzz_input_file.hpp"

using namespace qharness;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::YamlInput in = fuzz::split_yaml_input(data, size);
  const std::string file =
      fuzz::write_input("sweep.yaml", reinterpret_cast<const std::uint8_t*>(in.text.data()), in.text.size());
  std::vector<TrialPoint> points;
  try {
    RawConfig raw = load_experiment(file);
    apply_overrides(raw, in.overrides);
    points = expand_sweep(raw);
  } catch (const ConfigError&) {
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bad input escaped as " << typeid(e).name() << ", not ConfigError: " << e.what() << "\n";
    std::abort();
  }
  if (points.empty()) {
    std::cerr << "a sweep expanded to no trial\n";
    std::abort();
  }
  for (const TrialPoint& p : points) {
    if (p.swept.size() != points[0].swept.size()) {
      std::cerr << "trials sweep different numbers of keys\n";
      std::abort();
    }
    for (const auto& swept : p.swept) {
      if (!find_path(p.tree, swept.first).IsDefined()) {
        std::cerr << "swept key " << swept.first << " missing from its trial\n";
        std::abort();
      }
    }
  }
  return 0;
}
