// The HDF5 results store (harness/src/results): what the CLI tests cannot reach directly,
// such as a bit flipped inside a trial's stored data.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "results/h5_store.hpp"
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
  std::vector<TrialRecord> changed(8, base);
  changed[0].config_yaml += " ";
  changed[1].status = "failed";
  changed[2].metrics[1].second = 0.5000000001;
  changed[3].series[0].second.push_back(0.0);
  std::get<std::vector<double>>(changed[4].arrays[0].second.data)[3] = 5;
  changed[5].arrays[0].second.shape = {4, 1};
  changed[6].arrays[0].second.layer_names = {"a", "c"};
  std::swap(changed[7].metrics[0], changed[7].metrics[1]);  // order is part of the record
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

}  // namespace
}  // namespace qharness
