#pragma once
// Expansion of `sweep:` into trial points (Hydra's convention): sweep.grid is a cartesian
// product, its first key outermost; sweep.zip keys advance together as one more axis (a list
// of such mappings gives one axis per mapping, in order);
// sweep.seeds is the innermost axis and sets `seed`. No sweep block means one trial.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/raw_config.hpp"

namespace qharness {

struct TrialPoint {
  YAML::Node tree;                                          // the config without `sweep`, axes applied
  std::vector<std::pair<std::string, YAML::Node>> swept;    // key path -> value, in axis order
  std::map<std::string, Origin> origins;                    // where each swept value was written
};

// The most trials one experiment expands to. Each expanded trial holds its resolved config
// (a few KiB): ten million would take tens of GiB before the first trial runs.
constexpr std::size_t kMaxSweepTrials = 1000000;

// Throws ConfigError naming file:line when the sweep block is malformed (an axis that is not
// a non-empty list, zip lists of different lengths, seeds that are not integers), or expands
// to more than kMaxSweepTrials trials.
std::vector<TrialPoint> expand_sweep(const RawConfig& config);

}  // namespace qharness
