// The results folder's lock (harness/src/run/run_lock.hpp): scopes, live and stale holders,
// the tie-break between runs that start together, the heartbeat.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <fstream>
#include <thread>

#include "config/config_error.hpp"
#include "run/run_lock.hpp"
#include "temp_dir.hpp"
#include "util/host.hpp"

namespace qharness {
namespace {

namespace fs = boost::filesystem;
using test_support::TempDir;

std::string error_of(const fs::path& dir, const LockScope& scope) {
  std::vector<std::string> notes;
  try {
    RunLock lock(dir, scope, "run", notes);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  in >> id;
  return id;
}

void write_lock(const fs::path& file, const std::string& host, long pid, const std::string& scope,
                long long since_ns, long long process_start = 1) {
  std::ofstream(file.string()) << "host=" << host << "\npid=" << pid << "\nboot_id=" << boot_id()
                               << "\nprocess_start=" << process_start << "\nsince=2026-01-01T00:00:00Z\nsince_ns="
                               << since_ns << "\nscope=" << scope << "\ncommand=run\n";
}

TEST(LockScope, ShardsOfOneCountAreCompatibleEverythingElseExcludes) {
  const LockScope all{}, s0of2{0, 2}, s1of2{1, 2}, s1of3{1, 3};
  EXPECT_TRUE(all.excludes(all));
  EXPECT_TRUE(all.excludes(s0of2));
  EXPECT_TRUE(s0of2.excludes(all));
  EXPECT_TRUE(s0of2.excludes(s0of2));
  EXPECT_FALSE(s0of2.excludes(s1of2));
  EXPECT_TRUE(s0of2.excludes(s1of3));   // trial 3 is in both
  EXPECT_EQ(LockScope::parse(s1of3.name()).shard_count, 3);
  EXPECT_EQ(LockScope::parse("all").shard_count, 1);
  EXPECT_THROW(LockScope::parse("shard-2-of-2"), std::invalid_argument);
  EXPECT_THROW(LockScope::parse("shard-0-of-2x"), std::invalid_argument);
}

TEST(RunLock, ALiveHolderExcludesAndIsNamed) {
  TempDir dir;
  const fs::path locks = dir.file("locks");
  std::vector<std::string> notes;
  {
    RunLock held(locks, LockScope{0, 2}, "run", notes);
    EXPECT_TRUE(fs::exists(locks / "shard-0-of-2.lock"));
    const std::string e = error_of(locks, LockScope{});
    EXPECT_NE(e.find("is in use by qharness run (shard-0-of-2) by pid " + std::to_string(::getpid()) + " on host " +
                     this_host()),
              std::string::npos)
        << e;
    EXPECT_NE(error_of(locks, LockScope{0, 2}), "");
    EXPECT_NE(error_of(locks, LockScope{2, 3}), "");
    EXPECT_EQ(error_of(locks, LockScope{1, 2}), "");   // another shard of the same count
    // A refused run leaves no lock of its own behind.
    EXPECT_FALSE(fs::exists(locks / "all.lock"));
    EXPECT_FALSE(fs::exists(locks / "shard-2-of-3.lock"));
    ASSERT_EQ(RunLock::live_holders(locks).size(), 1u);
    EXPECT_TRUE(RunLock::live_holders(locks)[0].is_this_process());
  }
  EXPECT_FALSE(fs::exists(locks / "shard-0-of-2.lock"));  // released
  EXPECT_EQ(error_of(locks, LockScope{}), "");
  EXPECT_TRUE(notes.empty());
}

TEST(RunLock, StaleLocksAreTakenOverWithANote) {
  TempDir dir;
  const fs::path locks = dir.file("locks");
  fs::create_directories(locks);
  // This host: a pid whose process start does not match (the pid is ours, the start is not).
  write_lock(locks / "all.lock", this_host(), ::getpid(), "all", 1, /*process_start=*/1);
  // Another host, untouched for an hour.
  write_lock(locks / "shard-0-of-2.lock", "node-17", 4242, "shard-0-of-2", 1);
  fs::last_write_time(locks / "shard-0-of-2.lock", std::time(nullptr) - 3600);
  std::vector<std::string> notes;
  {
    RunLock lock(locks, LockScope{}, "run", notes);
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_NE(notes[0].find("by pid " + std::to_string(::getpid()) + " on host " + this_host()), std::string::npos);
    EXPECT_NE(notes[0].find("its process is gone"), std::string::npos) << notes[0];
    EXPECT_NE(notes[1].find("its heartbeat stopped"), std::string::npos) << notes[1];
    EXPECT_FALSE(fs::exists(locks / "shard-0-of-2.lock"));
  }
  // With a recent heartbeat another host's lock holds.
  write_lock(locks / "shard-0-of-2.lock", "node-17", 4242, "shard-0-of-2", 1);
  EXPECT_NE(error_of(locks, LockScope{}).find("by pid 4242 on host node-17"), std::string::npos);
}

// Two excluding runs that started together both see each other; the later one gives way.
TEST(RunLock, OfTwoRunsThatStartTogetherTheLaterGivesWay) {
  TempDir dir;
  const fs::path locks = dir.file("locks");
  fs::create_directories(locks);
  const long long far_future = 4'000'000'000'000'000'000LL;
  write_lock(locks / "shard-0-of-2.lock", "node-17", 4242, "shard-0-of-2", far_future);
  EXPECT_EQ(error_of(locks, LockScope{}), "");   // it started later: this run stays
  EXPECT_TRUE(fs::exists(locks / "shard-0-of-2.lock"));   // and its lock is left alone
  write_lock(locks / "shard-0-of-2.lock", "node-17", 4242, "shard-0-of-2", 1);
  EXPECT_NE(error_of(locks, LockScope{}), "");   // it started earlier: it stays
}

TEST(RunLock, TheHolderTouchesItsLockFile) {
  TempDir dir;
  const fs::path locks = dir.file("locks");
  std::vector<std::string> notes;
  RunLock::Options options;
  options.heartbeat = std::chrono::milliseconds(20);
  RunLock lock(locks, LockScope{}, "run", notes, options);
  fs::last_write_time(lock.file(), std::time(nullptr) - 3600);
  const std::time_t before = fs::last_write_time(lock.file());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_GT(fs::last_write_time(lock.file()), before + 3000);
}

}  // namespace
}  // namespace qharness
