#pragma once
// One trial's results in memory, as a task fills them in and as the HDF5 layer writes them
// (results/<name>/<name>.h5, layout in docs/design.md, "Results").
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace qharness {

// An n-D array, row-major. `layer_names` labels the rows (first axis) where rows are layers;
// it is written as the dataset's attribute "layer_names".
struct NdArray {
  std::vector<std::uint64_t> shape;
  std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::uint8_t>> data;
  std::vector<std::string> layer_names;
};

struct TrialRecord {
  std::string id;                     // short hash of the resolved config
  std::int64_t index = 0;             // position in the expanded sweep (0-based)
  std::string config_yaml;            // the resolved config
  std::string swept_yaml;             // the swept keys' values, as a YAML flow map
  std::int64_t seed = 0;
  std::string status;                 // "done" | "failed"
  std::string error;                  // why it failed, "" when done
  std::string started, finished;      // ISO 8601, UTC
  double wall_s = 0.0;
  // torch's thread count the trial ran with (`threads: auto` resolved): the last digits of
  // some numbers depend on it. 0 in files written before it was recorded.
  std::int64_t threads = 0;
  // Insertion order is kept: it is the order of the summary's columns.
  std::vector<std::pair<std::string, double>> metrics;
  std::vector<std::pair<std::string, std::vector<double>>> series;
  std::vector<std::pair<std::string, NdArray>> arrays;
};

// Root attributes of every results file (trial files, shard files, the experiment file).
struct Provenance {
  std::string qharness_version;
  std::string git_commit;
  bool git_dirty = false;
  std::string torch_version;
  std::string hdf5_version;
  std::string created;                // ISO 8601, UTC
  std::string experiment_file;        // the path given on the command line
  std::string experiment_yaml;        // that file's text, as given
  std::string overrides;              // the command-line overrides, space-separated
  std::vector<std::string> sweep_trial_ids;  // every trial id of the expanded sweep, in order
};

}  // namespace qharness
