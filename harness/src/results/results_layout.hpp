#pragma once
// Where an experiment's files live:
//   results/<name>/<name>.h5                    the experiment file (all trials + /summary)
//   results/<name>/trials/<id>.h5               one file per finished trial: the journal that
//                                               resume and merge read; written atomically
//   results/<name>/shards/<name>.shard-I-of-N.h5  what shard I of N ran (+ /summary)
//   results/<name>/resolved.yaml                every trial's resolved config
//   results/<name>/locks/<scope>.lock           who is running or merging it (run/run_lock.hpp)
#include <boost/filesystem.hpp>

#include <string>
#include <utility>
#include <vector>

namespace qharness {

struct ResultsLayout {
  boost::filesystem::path dir;
  std::string name;

  ResultsLayout(boost::filesystem::path results_root, std::string experiment_name)
      : dir(results_root / experiment_name), name(std::move(experiment_name)) {}
  // From an experiment folder given on the command line (`qharness report results/x`).
  static ResultsLayout from_dir(const boost::filesystem::path& experiment_dir);

  boost::filesystem::path experiment_file() const { return dir / (name + ".h5"); }
  boost::filesystem::path trials_dir() const { return dir / "trials"; }
  boost::filesystem::path trial_file(const std::string& id) const { return trials_dir() / (id + ".h5"); }
  boost::filesystem::path shards_dir() const { return dir / "shards"; }
  boost::filesystem::path shard_file(int index, int count) const {
    return shards_dir() / (name + ".shard-" + std::to_string(index) + "-of-" + std::to_string(count) + ".h5");
  }
  boost::filesystem::path resolved_yaml() const { return dir / "resolved.yaml"; }

  boost::filesystem::path locks_dir() const { return dir / "locks"; }

  std::vector<boost::filesystem::path> trial_files() const;   // sorted
  std::vector<boost::filesystem::path> shard_files() const;   // sorted
  // Removes the leftovers of writers killed mid-write: every temporary file (see
  // atomic_file.hpp, temporary_name) whose writer is not among `live_writers` (host, pid), i.e. holds no lock
  // on this folder. Returns how many it removed.
  std::size_t remove_stale_temp_files(const std::vector<std::pair<std::string, long>>& live_writers) const;
};


}  // namespace qharness
