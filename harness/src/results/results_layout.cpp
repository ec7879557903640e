#include "results/results_layout.hpp"

#include <algorithm>

#include "results/atomic_file.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

std::vector<fs::path> h5_files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (fs::is_regular_file(e.path()) && e.path().extension() == ".h5") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

ResultsLayout ResultsLayout::from_dir(const fs::path& experiment_dir) {
  fs::path d = experiment_dir;
  if (d.filename() == "." || d.filename().empty()) d = d.parent_path();
  return ResultsLayout(d.parent_path(), d.filename().string());
}

std::vector<fs::path> ResultsLayout::trial_files() const { return h5_files_in(trials_dir()); }
std::vector<fs::path> ResultsLayout::shard_files() const { return h5_files_in(shards_dir()); }

std::size_t ResultsLayout::remove_stale_temp_files(const std::vector<std::pair<std::string, long>>& live_writers) const {
  std::size_t removed = 0;
  for (const fs::path& d : {dir, trials_dir(), shards_dir()}) {
    if (!fs::is_directory(d)) continue;
    for (const auto& e : fs::directory_iterator(d)) {
      const auto writer = temporary_writer(e.path().filename().string());
      if (!writer || std::find(live_writers.begin(), live_writers.end(), *writer) != live_writers.end()) continue;
      boost::system::error_code ec;
      if (fs::remove(e.path(), ec) && !ec) ++removed;
    }
  }
  return removed;
}

}  // namespace qharness
