#include "results/trial_checksum.hpp"

#include <boost/crc.hpp>

#include <cstring>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace qharness {
namespace {

static_assert(sizeof(double) == 8, "doubles are hashed as their 8 IEEE 754 bytes");

class Digest {
 public:
  // Numbers as their native (x86-64: little-endian) bytes: the same on every machine that
  // runs qharness.
  template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>>
  void add(T value) {
    crc_.process_bytes(&value, sizeof value);
  }
  void add(const std::string& text) {
    add(static_cast<std::uint64_t>(text.size()));
    crc_.process_bytes(text.data(), text.size());
  }
  template <class T>
  void add(const std::vector<T>& values) {
    add(static_cast<std::uint64_t>(values.size()));
    if constexpr (std::is_arithmetic_v<T>)
      crc_.process_bytes(values.data(), values.size() * sizeof(T));
    else
      for (const T& v : values) add(v);
  }
  std::uint32_t value() const { return crc_.checksum(); }

 private:
  boost::crc_32_type crc_;
};

}  // namespace

std::uint32_t trial_checksum(const TrialRecord& trial) {
  Digest d;
  d.add(trial.id);
  d.add(trial.index);
  d.add(trial.seed);
  d.add(trial.config_yaml);
  d.add(trial.swept_yaml);
  d.add(trial.status);
  d.add(trial.error);
  d.add(trial.started);
  d.add(trial.finished);
  d.add(trial.wall_s);
  // Only when recorded, so that files written before `threads` existed still verify.
  if (trial.threads != 0) d.add(trial.threads);
  d.add(static_cast<std::uint64_t>(trial.metrics.size()));
  for (const auto& [name, value] : trial.metrics) d.add(name), d.add(value);
  d.add(static_cast<std::uint64_t>(trial.series.size()));
  for (const auto& [name, values] : trial.series) d.add(name), d.add(values);
  d.add(static_cast<std::uint64_t>(trial.arrays.size()));
  for (const auto& [name, array] : trial.arrays) {
    d.add(name);
    d.add(array.shape);
    d.add(static_cast<std::uint64_t>(array.data.index()));   // the element type
    std::visit([&](const auto& values) { d.add(values); }, array.data);
    d.add(array.layer_names);
  }
  return d.value();
}

}  // namespace qharness
