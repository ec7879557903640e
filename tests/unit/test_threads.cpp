// Thread count and OpenMP waiting (util/usable_cpus.hpp, util/omp_wait.hpp): the rules on
// given inputs. That the chosen variable reaches libgomp is the omp_wait.* tests' part
// (tests/startup/omp_wait_probe.cpp); the speed it buys is tests/bench/bench_threads.py's.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <string>

#include "util/omp_wait.hpp"
#include "util/usable_cpus.hpp"

namespace qharness {
namespace {

// ctest runs the unit tests two at a time: each runs on one thread (LibTorch's start value
// is the machine's physical cores elsewhere), except those that test threading, which set
// their own count and restore this one.
class OneThread : public ::testing::Environment {
 public:
  void SetUp() override { at::set_num_threads(1); }
};
::testing::Environment* const g_one_thread = ::testing::AddGlobalTestEnvironment(new OneThread);

TEST(UsableCpus, TheAffinityMaskWhenNothingElseLimits) {
  const UsableCpus u = usable_cpus_from(8, nullptr, nullptr);
  EXPECT_EQ(u.cpus, 8);
  EXPECT_STREQ(u.source, "affinity mask");
  EXPECT_EQ(usable_cpus_from(8, nullptr, "max 100000").cpus, 8);   // cgroup without a quota
}

TEST(UsableCpus, SlurmsCpusPerTaskBelowTheMask) {
  const UsableCpus u = usable_cpus_from(64, "4", nullptr);
  EXPECT_EQ(u.cpus, 4);
  EXPECT_STREQ(u.source, "SLURM_CPUS_PER_TASK");
  EXPECT_EQ(usable_cpus_from(2, "4", nullptr).cpus, 2);    // the mask is smaller still
  for (const char* bad : {"", "0", "-2", "4x", "0x4", "1.5", "four"})
    EXPECT_EQ(usable_cpus_from(64, bad, nullptr).cpus, 64) << bad;
}

TEST(UsableCpus, ACgroupQuotaRoundedUp) {
  EXPECT_EQ(usable_cpus_from(16, nullptr, "200000 100000\n").cpus, 2);
  const UsableCpus u = usable_cpus_from(16, "8", "150000 100000");
  EXPECT_EQ(u.cpus, 2);   // 1.5 CPUs of quota: two threads
  EXPECT_STREQ(u.source, "cgroup CPU quota");
  EXPECT_EQ(usable_cpus_from(16, nullptr, "-1 100000").cpus, 16);   // cgroup v1: no quota
  EXPECT_EQ(usable_cpus_from(16, nullptr, "garbage").cpus, 16);
}

// The live reading follows this thread's affinity mask: never more CPUs than the mask, and one
// when the mask is one CPU (as under `taskset -c 0`), back to the old count once restored.
TEST(UsableCpus, FollowsTheAffinityMask) {
  cpu_set_t all;
  CPU_ZERO(&all);
  ASSERT_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
  const int before = usable_cpus().cpus;
  EXPECT_GE(before, 1);
  EXPECT_LE(before, CPU_COUNT(&all));
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  const UsableCpus pinned = usable_cpus();
  ASSERT_EQ(sched_setaffinity(0, sizeof(all), &all), 0);
  EXPECT_EQ(pinned.cpus, 1);
  EXPECT_EQ(usable_cpus().cpus, before);
}

OmpWaitInputs machine(int other_running, int usable, int online) {
  OmpWaitInputs in;
  in.other_running = other_running;
  in.usable_cpus = usable;
  in.online_cpus = online;
  return in;
}

TEST(OmpWait, ShortSpinOnAnIdleMachine) {
  const OmpWaitChoice c = choose_omp_wait(machine(0, 2, 2));
  EXPECT_EQ(c.rule, OmpWaitRule::kShortSpin);
  EXPECT_STREQ(setting_of(c.rule).name, "GOMP_SPINCOUNT");
  EXPECT_STREQ(setting_of(c.rule).value, "10000");
}

TEST(OmpWait, PassiveWhenOtherWorkSharesOurCpus) {
  const OmpWaitChoice c = choose_omp_wait(machine(1, 2, 2));
  EXPECT_EQ(c.rule, OmpWaitRule::kPassive);
  EXPECT_STREQ(setting_of(c.rule).name, "OMP_WAIT_POLICY");
  EXPECT_STREQ(setting_of(c.rule).value, "passive");
  EXPECT_NE(std::string(c.reason).find("1 other running task"), std::string::npos) << c.reason;
  // A 4-CPU cpuset on a 64-CPU node: 3 other tasks fit on the 60 CPUs left to them.
  EXPECT_EQ(choose_omp_wait(machine(3, 4, 64)).rule, OmpWaitRule::kShortSpin);
  EXPECT_EQ(choose_omp_wait(machine(61, 4, 64)).rule, OmpWaitRule::kPassive);
}

TEST(OmpWait, TheUsersVariablesWin) {
  OmpWaitInputs in = machine(1, 2, 2);
  in.omp_wait_policy = "active";
  in.qharness_omp_wait = "passive";
  EXPECT_EQ(choose_omp_wait(in).rule, OmpWaitRule::kUser);
  EXPECT_EQ(setting_of(OmpWaitRule::kUser).name, nullptr);
  in.omp_wait_policy = nullptr;
  in.gomp_spincount = "0";
  EXPECT_EQ(choose_omp_wait(in).rule, OmpWaitRule::kUser);
}

TEST(OmpWait, QharnessOmpWaitForcesARule) {
  OmpWaitInputs in = machine(1, 2, 2);
  in.qharness_omp_wait = "spin";
  EXPECT_EQ(choose_omp_wait(in).rule, OmpWaitRule::kShortSpin);
  in = machine(0, 2, 2);
  in.qharness_omp_wait = "passive";
  EXPECT_EQ(choose_omp_wait(in).rule, OmpWaitRule::kPassive);
  in.qharness_omp_wait = "default";
  EXPECT_EQ(choose_omp_wait(in).rule, OmpWaitRule::kLibgompDefault);
  EXPECT_EQ(setting_of(OmpWaitRule::kLibgompDefault).name, nullptr);
  in.qharness_omp_wait = "fast";   // not a rule: measured, and the reason says so
  const OmpWaitChoice c = choose_omp_wait(in);
  EXPECT_EQ(c.rule, OmpWaitRule::kShortSpin);
  EXPECT_NE(std::string(c.reason).find("is not auto, passive, spin or default"), std::string::npos) << c.reason;
}

}  // namespace
}  // namespace qharness
