// The HDF5 results store and the results folder (harness/src/results): what the CLI tests
// cannot reach directly, such as a bit flipped inside a trial's stored data, the exact
// summary table, consolidation edge cases and which temporary files are cleaned up.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/filesystem.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "results/atomic_file.hpp"
#include "results/h5_store.hpp"
#include "results/results_layout.hpp"
#include "results/trial_checksum.hpp"
#include "temp_dir.hpp"

namespace qharness {
namespace {

using test_support::TempDir;

// A value whose 8 bytes occur once in the file: the test finds them and flips a bit.
constexpr double kMarker = 1234.5678125;

TrialRecord sample_trial(const std::string& id, std::int64_t index) {
  TrialRecord t;
  t.id = id;
  t.index = index;
  t.config_yaml = "name: x\ntask: selftest\n";
  t.swept_yaml = "{}";
  t.seed = 7;
  t.status = "done";
  t.started = "2026-01-01T00:00:00Z";
  t.finished = "2026-01-01T00:00:01Z";
  t.wall_s = 1.0;
  t.threads = 2;
  t.metrics = {{"loss", 0.25}, {"top1", 0.5}};
  t.series = {{"trace", {3.0, 2.0, kMarker}}};
  t.arrays = {{"clip", NdArray{{2, 2}, std::vector<double>{1, 2, 3, 4}, {"a", "b"}}}};
  return t;
}

Provenance sample_provenance() {
  Provenance p;
  p.qharness_version = "test";
  p.created = "2026-01-01T00:00:00Z";
  return p;
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Flips the lowest bit of the marker's first byte in the file; false when not found.
bool flip_marker_bit(const std::string& path) {
  std::vector<char> bytes = read_bytes(path);
  char marker[sizeof kMarker];
  std::memcpy(marker, &kMarker, sizeof kMarker);
  for (std::size_t i = 0; i + sizeof marker <= bytes.size(); ++i) {
    if (std::memcmp(bytes.data() + i, marker, sizeof marker) == 0) {
      bytes[i] ^= 1;
      std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      return true;
    }
  }
  return false;
}

TEST(TrialChecksum, CoversEveryPartOfTheRecord) {
  const TrialRecord base = sample_trial("abc", 0);
  const std::uint32_t c = trial_checksum(base);
  EXPECT_EQ(trial_checksum(sample_trial("abc", 0)), c);
  std::vector<TrialRecord> changed(9, base);
  changed[0].config_yaml += " ";
  changed[1].status = "failed";
  changed[2].metrics[1].second = 0.5000000001;
  changed[3].series[0].second.push_back(0.0);
  std::get<std::vector<double>>(changed[4].arrays[0].second.data)[3] = 5;
  changed[5].arrays[0].second.shape = {4, 1};
  changed[6].arrays[0].second.layer_names = {"a", "c"};
  std::swap(changed[7].metrics[0], changed[7].metrics[1]);  // order is part of the record
  changed[8].threads = 1;
  for (std::size_t i = 0; i < changed.size(); ++i) EXPECT_NE(trial_checksum(changed[i]), c) << i;
}

TEST(ResultsStore, ABitFlippedInATrialsDataMarksItDamaged) {
  TempDir dir;
  const std::string file = dir.file("t.h5");
  h5::write_trial_file(file, sample_provenance(), sample_trial("abc", 3));
  ASSERT_EQ(h5::list_trials(file).at(0).damage, "");
  EXPECT_EQ(h5::read_trial(file, "abc").series.at(0).second.at(2), kMarker);

  ASSERT_TRUE(flip_marker_bit(file));
  const std::vector<h5::TrialInfo> infos = h5::list_trials(file);
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].id, "abc");
  EXPECT_EQ(infos[0].status, "damaged");
  EXPECT_NE(infos[0].damage.find("trial 'abc' does not match its checksum"), std::string::npos) << infos[0].damage;
  try {
    h5::read_trial(file, "abc");
    FAIL() << "a damaged trial was read back";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("t.h5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not match its checksum"), std::string::npos) << e.what();
  }
}

// In an experiment file the other trials stay usable.
TEST(ResultsStore, ADamagedTrialDoesNotHideTheOthersOfItsFile) {
  TempDir dir;
  TrialRecord a = sample_trial("aaa", 0), b = sample_trial("bbb", 1);
  b.series[0].second[2] = 1.0;  // the marker only in trial aaa
  h5::write_trial_file(dir.file("a.h5"), sample_provenance(), a);
  h5::write_trial_file(dir.file("b.h5"), sample_provenance(), b);
  const std::string experiment = dir.file("x.h5");
  h5::write_consolidated(experiment, sample_provenance(),
                         {{"aaa", 0, "done", dir.file("a.h5"), ""}, {"bbb", 1, "done", dir.file("b.h5"), ""}});
  ASSERT_TRUE(flip_marker_bit(experiment));
  std::vector<h5::TrialInfo> infos = h5::list_trials(experiment);
  ASSERT_EQ(infos.size(), 2u);
  std::sort(infos.begin(), infos.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
  EXPECT_EQ(infos[0].status, "damaged");
  EXPECT_EQ(infos[1].status, "done");
  EXPECT_EQ(infos[1].damage, "");
  EXPECT_EQ(infos[1].index, 1);
}


void expect_same_trial(const TrialRecord& got, const TrialRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.index, want.index);
  EXPECT_EQ(got.config_yaml, want.config_yaml);
  EXPECT_EQ(got.swept_yaml, want.swept_yaml);
  EXPECT_EQ(got.seed, want.seed);
  EXPECT_EQ(got.threads, want.threads);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.metrics, want.metrics);
  EXPECT_EQ(got.series, want.series);
  ASSERT_EQ(got.arrays.size(), want.arrays.size());
  for (std::size_t i = 0; i < got.arrays.size(); ++i) {
    EXPECT_EQ(got.arrays[i].first, want.arrays[i].first);
    EXPECT_EQ(got.arrays[i].second.shape, want.arrays[i].second.shape);
    EXPECT_EQ(got.arrays[i].second.data, want.arrays[i].second.data);
    EXPECT_EQ(got.arrays[i].second.layer_names, want.arrays[i].second.layer_names);
  }
}

// Writes each trial to <id>.h5 in `dir`, then the experiment file x.h5 from them; its path.
std::string consolidate(const TempDir& dir, const std::vector<TrialRecord>& trials) {
  std::vector<h5::TrialInfo> infos;
  for (const TrialRecord& t : trials) {
    h5::write_trial_file(dir.file(t.id + ".h5"), sample_provenance(), t);
    infos.push_back({t.id, t.index, t.status, dir.file(t.id + ".h5"), ""});
  }
  const std::string experiment = dir.file("x.h5");
  h5::write_consolidated(experiment, sample_provenance(), infos);
  return experiment;
}

// Trial files written in another order than their sweep indices (as parallel shards finish).
TEST(ResultsStore, ConsolidationCopiesEveryTrialInIndexOrder) {
  TempDir dir;
  std::vector<TrialRecord> trials = {sample_trial("ccc", 2), sample_trial("aaa", 0), sample_trial("bbb", 1)};
  trials[0].metrics = {{"loss", 0.75}};
  trials[1].status = "failed";
  trials[1].error = "diverged";
  const std::string experiment = consolidate(dir, trials);
  const std::vector<h5::TrialInfo> listed = h5::list_trials(experiment);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].id, "aaa");
  EXPECT_EQ(listed[1].id, "bbb");
  EXPECT_EQ(listed[2].id, "ccc");
  EXPECT_EQ(listed[0].status, "failed");
  for (const h5::TrialInfo& info : listed) EXPECT_EQ(info.file, experiment);
  for (const TrialRecord& t : trials) expect_same_trial(h5::read_trial(experiment, t.id), t);
  EXPECT_EQ(h5::read_provenance(experiment).qharness_version, "test");
}

TEST(ResultsStore, ConsolidationRefusesADuplicateIdAndLeavesTheOldFile) {
  TempDir dir;
  h5::write_trial_file(dir.file("a.h5"), sample_provenance(), sample_trial("aaa", 0));
  const std::string experiment = dir.file("x.h5");
  h5::write_consolidated(experiment, sample_provenance(), {{"aaa", 0, "done", dir.file("a.h5"), ""}});
  EXPECT_THROW(h5::write_consolidated(experiment, sample_provenance(),
                                      {{"aaa", 0, "done", dir.file("a.h5"), ""}, {"aaa", 0, "done", dir.file("a.h5"), ""}}),
               std::invalid_argument);
  ASSERT_EQ(h5::list_trials(experiment).size(), 1u);
  // Nothing but the two files: no temporary file left behind.
  std::size_t files = 0;
  for (const auto& e : boost::filesystem::directory_iterator(dir.str())) files += (void(e), 1);
  EXPECT_EQ(files, 2u);
}

// Resume and merge rebuild the experiment file from itself plus new trial files.
TEST(ResultsStore, ConsolidatingAnExperimentFileIntoItselfKeepsItsTrials) {
  TempDir dir;
  const TrialRecord a = sample_trial("aaa", 0), b = sample_trial("bbb", 1);
  h5::write_trial_file(dir.file("a.h5"), sample_provenance(), a);
  h5::write_trial_file(dir.file("b.h5"), sample_provenance(), b);
  const std::string experiment = dir.file("x.h5");
  h5::write_consolidated(experiment, sample_provenance(), {{"aaa", 0, "done", dir.file("a.h5"), ""}});
  boost::filesystem::remove(dir.file("a.h5"));   // only the experiment file holds aaa now
  h5::write_consolidated(experiment, sample_provenance(), {{"aaa", 0, "done", experiment, ""}, {"bbb", 1, "done", dir.file("b.h5"), ""}});
  ASSERT_EQ(h5::list_trials(experiment).size(), 2u);
  expect_same_trial(h5::read_trial(experiment, "aaa"), a);
  expect_same_trial(h5::read_trial(experiment, "bbb"), b);
}

// /summary: trial_id, index, status, seed, one column per swept key (numbers when every value
// is one, text otherwise, seed left out), one per metric (NaN where a trial lacks it; a name
// that clashes with a fixed field is prefixed), wall_s, error.
TEST(ResultsStore, SummaryTableHasAColumnPerSweptKeyAndMetric) {
  TempDir dir;
  std::vector<TrialRecord> trials = {sample_trial("aaa", 0), sample_trial("bbb", 1), sample_trial("ccc", 2)};
  trials[0].swept_yaml = "{lr: 0.1, method: lapq, seed: 1}";
  trials[1].swept_yaml = "{lr: 0.01, method: mse, seed: 2}";
  trials[2].swept_yaml = "{lr: 1.0e-3, seed: 3}";
  trials[0].metrics = {{"loss", 0.25}, {"top1", 0.5}};
  trials[1].metrics = {{"loss", 2.0}, {"status", 1.0}};
  trials[2].metrics = {{"top1", 0.123456789}};
  trials[2].status = "failed";
  trials[2].error = "out of memory";
  trials[1].seed = 2;
  const std::string experiment = consolidate(dir, trials);
  const h5::SummaryTable summary = h5::read_summary(experiment);
  EXPECT_EQ(summary.columns, (std::vector<std::string>{"trial_id", "index", "status", "seed", "lr", "method", "loss",
                                                       "top1", "metrics.status", "wall_s", "error"}));
  ASSERT_EQ(summary.rows.size(), 3u);
  EXPECT_EQ(summary.rows[0], (std::vector<std::string>{"aaa", "0", "done", "7", "0.1", "lapq", "0.25", "0.5", "nan", "1", ""}));
  EXPECT_EQ(summary.rows[1], (std::vector<std::string>{"bbb", "1", "done", "2", "0.01", "mse", "2", "nan", "1", "1", ""}));
  EXPECT_EQ(summary.rows[2],
            (std::vector<std::string>{"ccc", "2", "failed", "7", "0.001", "", "nan", "0.123457", "nan", "1", "out of memory"}));
  // Full precision in `numbers`, NaN in text columns.
  EXPECT_EQ(summary.numbers[2][7], 0.123456789);
  EXPECT_EQ(summary.numbers[1][4], 0.01);
  EXPECT_TRUE(std::isnan(summary.numbers[0][5]));
  EXPECT_TRUE(std::isnan(summary.numbers[0][0]));
  EXPECT_THROW(h5::read_summary(dir.file("aaa.h5")), std::runtime_error);   // a trial file has none
}

// Two runs into one folder: the first set hessian.method=quadfit as one value (not swept), the
// second swept it. The consolidated /summary must say quadfit in the first trial's row (from its
// resolved config), not leave it blank; a key its config lacks too stays blank.
TEST(ResultsStore, SummaryTakesAKeyATrialDidNotSweepFromItsConfig) {
  TempDir dir;
  std::vector<TrialRecord> trials = {sample_trial("aaa", 0), sample_trial("bbb", 1), sample_trial("ccc", 2)};
  trials[0].config_yaml = "name: x\ntask: hessian\nhessian: {method: quadfit, radius: 0.25}\nquant: {bits: 8}\n";
  trials[0].swept_yaml = "{quant.bits: 8}";
  trials[1].config_yaml = "name: x\ntask: hessian\nhessian: {method: exact}\nquant: {bits: 2}\n";
  trials[1].swept_yaml = "{quant.bits: 2, hessian.method: exact, model: {arch: lenet5}}";
  trials[2].config_yaml = "name: x\ntask: hessian\nhessian: {method: fd}\nmodel: {arch: resnet20, width: 1}\n";
  trials[2].swept_yaml = "{}";
  const h5::SummaryTable summary = h5::read_summary(consolidate(dir, trials));
  EXPECT_EQ(summary.columns, (std::vector<std::string>{"trial_id", "index", "status", "seed", "quant.bits",
                                                       "hessian.method", "model", "loss", "top1", "wall_s", "error"}));
  ASSERT_EQ(summary.rows.size(), 3u);
  EXPECT_EQ(summary.rows[0][5], "quadfit");
  EXPECT_EQ(summary.rows[1][5], "exact");
  EXPECT_EQ(summary.rows[2][5], "fd");
  EXPECT_EQ(summary.rows[0][4], "8");
  EXPECT_EQ(summary.rows[2][4], "nan");            // its config has no quant.bits
  EXPECT_TRUE(std::isnan(summary.numbers[2][4]));  // and the column stays numeric
  EXPECT_EQ(summary.numbers[0][4], 8.0);
  EXPECT_EQ(summary.rows[0][6], "");               // no model in its config
  EXPECT_EQ(summary.rows[2][6], "{arch: resnet20, width: 1}");
}

TEST(AtomicFile, TemporaryNamesRecordTheirWriter) {
  EXPECT_EQ(temporary_writer("x.h5.tmp-node-7-1234"), std::make_optional(std::make_pair(std::string("node-7"), 1234L)));
  EXPECT_EQ(temporary_writer("x.h5.tmp-99"), std::make_optional(std::make_pair(std::string(), 99L)));
  EXPECT_EQ(temporary_writer("x.h5"), std::nullopt);
  EXPECT_EQ(temporary_writer("x.h5.tmp-host-0x10"), std::nullopt);
  EXPECT_EQ(temporary_writer("x.h5.tmp-host-0"), std::nullopt);
  const std::string name = boost::filesystem::path(temporary_name("/r/x.h5")).filename().string();
  ASSERT_TRUE(temporary_writer(name).has_value()) << name;
  EXPECT_EQ(temporary_writer(name)->second, static_cast<long>(::getpid()));
}

// A temporary file whose writer holds no lock is a leftover of a killed writer: removed, in
// the experiment folder, trials/ and shards/; those of live writers and every other file stay.
TEST(ResultsLayout, RemovesTheTemporaryFilesOfWritersThatHoldNoLock) {
  TempDir dir;
  const ResultsLayout layout(dir.str(), "exp");
  boost::filesystem::create_directories(layout.trials_dir());
  boost::filesystem::create_directories(layout.shards_dir());
  const std::vector<std::string> stale = {(layout.dir / "exp.h5.tmp-gone-11").string(),
                                          (layout.trials_dir() / "abc.h5.tmp-gone-12").string(),
                                          (layout.shards_dir() / "exp.shard-0-of-2.h5.tmp-13").string(),
                                          (layout.trials_dir() / "def.h5.tmp-node1-40").string()};
  const std::vector<std::string> kept = {(layout.trials_dir() / "abc.h5").string(),
                                         (layout.trials_dir() / "ghi.h5.tmp-node1-41").string(),
                                         (layout.dir / "resolved.yaml").string(),
                                         (layout.dir / "notes.tmp-x").string()};
  for (const auto& f : stale) std::ofstream(f) << "x";
  for (const auto& f : kept) std::ofstream(f) << "x";
  EXPECT_EQ(layout.remove_stale_temp_files({{"node1", 41}, {"node2", 40}}), stale.size());
  for (const auto& f : stale) EXPECT_FALSE(boost::filesystem::exists(f)) << f;
  for (const auto& f : kept) EXPECT_TRUE(boost::filesystem::exists(f)) << f;
  EXPECT_EQ(layout.trial_files(), (std::vector<boost::filesystem::path>{layout.trials_dir() / "abc.h5"}));
}

}  // namespace
}  // namespace qharness
