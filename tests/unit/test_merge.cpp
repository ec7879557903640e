// `qharness merge` (run/runner.hpp, merge_results): which copy of a trial wins when shard
// files, trial files and an earlier experiment file disagree, and what counts as complete.
#include <gtest/gtest.h>

#include <boost/filesystem.hpp>

#include <string>
#include <vector>

#include "results/h5_store.hpp"
#include "results/results_layout.hpp"
#include "run/runner.hpp"
#include "temp_dir.hpp"

namespace qharness {
namespace {

using test_support::TempDir;

TrialRecord trial(const std::string& id, std::int64_t index, const std::string& status, double loss) {
  TrialRecord t;
  t.id = id;
  t.index = index;
  t.config_yaml = "name: exp\ntask: selftest\n";
  t.swept_yaml = "{}";
  t.status = status;
  t.error = status == "done" ? "" : "diverged";
  t.metrics = {{"loss", loss}};
  return t;
}

Provenance sweep_of(const std::vector<std::string>& ids) {
  Provenance p;
  p.qharness_version = "test";
  p.sweep_trial_ids = ids;
  return p;
}

// Writes `trials` as the shard file I of N (what a sharded run leaves).
void write_shard(const ResultsLayout& layout, int index, int count, const std::vector<TrialRecord>& trials,
                 const TempDir& scratch) {
  std::vector<h5::TrialInfo> infos;
  for (const TrialRecord& t : trials) {
    const std::string f = scratch.file(t.id + "-" + std::to_string(index) + ".h5");
    h5::write_trial_file(f, sweep_of({}), t);
    infos.push_back({t.id, t.index, t.status, f, ""});
  }
  boost::filesystem::create_directories(layout.shards_dir());
  h5::write_consolidated(layout.shard_file(index, count).string(), sweep_of({"a", "b", "c", "d"}), infos);
}

double loss_of(const std::string& file, const std::string& id) { return h5::read_trial(file, id).metrics.at(0).second; }

TEST(Merge, ADoneCopyWinsAndAMissingTrialMakesItIncomplete) {
  TempDir root, scratch;
  const ResultsLayout layout(root.str(), "exp");
  // Shard 0 ran a (failed) and b; shard 1 ran c; d never ran. a was rerun alone since: its
  // trial file holds the done copy.
  write_shard(layout, 0, 2, {trial("a", 0, "failed", 9.0), trial("b", 1, "done", 2.0)}, scratch);
  write_shard(layout, 1, 2, {trial("c", 2, "done", 3.0)}, scratch);
  boost::filesystem::create_directories(layout.trials_dir());
  h5::write_trial_file(layout.trial_file("a").string(), sweep_of({}), trial("a", 0, "done", 1.0));

  EXPECT_EQ(merge_results(layout.dir.string()), 1);   // d is missing
  const std::string experiment = layout.experiment_file().string();
  std::vector<h5::TrialInfo> infos = h5::list_trials(experiment);
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_EQ(infos[0].id, "a");
  EXPECT_EQ(infos[0].status, "done");
  EXPECT_EQ(loss_of(experiment, "a"), 1.0);
  EXPECT_EQ(h5::read_provenance(experiment).sweep_trial_ids, (std::vector<std::string>{"a", "b", "c", "d"}));

  // d arrives; a failed copy of b in a trial file does not replace the done one.
  h5::write_trial_file(layout.trial_file("d").string(), sweep_of({}), trial("d", 3, "done", 4.0));
  h5::write_trial_file(layout.trial_file("b").string(), sweep_of({}), trial("b", 1, "failed", 8.0));
  EXPECT_EQ(merge_results(layout.dir.string()), 0);
  infos = h5::list_trials(experiment);
  ASSERT_EQ(infos.size(), 4u);
  for (const auto& i : infos) EXPECT_EQ(i.status, "done") << i.id;
  EXPECT_EQ(loss_of(experiment, "b"), 2.0);
  EXPECT_EQ(loss_of(experiment, "d"), 4.0);
}

TEST(Merge, AFolderWithoutResultsIsAnError) {
  TempDir root;
  boost::filesystem::create_directories(root.file("exp"));
  EXPECT_ANY_THROW(merge_results(root.file("exp")));
}

}  // namespace
}  // namespace qharness
