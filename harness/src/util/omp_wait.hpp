#pragma once
// How OpenMP's threads wait for work: chosen once per process, before libgomp starts.
//
// Why: libgomp's threads spin (about 300k iterations) before they sleep. On a core that
// another process also wants, the spinning thread burns the time slice its partner needs and
// every parallel region waits for the preempted thread: a lenet5 epoch ran 3.1x, a resnet20
// epoch 2.6x its idle time beside one busy process. Sleeping at once (OMP_WAIT_POLICY=passive)
// keeps that under 2x, but costs up to 1.4x when the machine is idle, as waking a sleeping
// thread is slow (a virtual machine's idle vCPU most of all). A short spin (10k iterations)
// is as fast as libgomp's default when idle. Measured: tests/bench/bench_threads.py,
// docs/performance.md "Threads on a shared machine".
//
// The rule (QHARNESS_OMP_WAIT=auto, the default): when other running tasks would share the
// CPUs this process may use (util/usable_cpus.hpp), sampled for ~10 ms at start, wait
// passively; otherwise spin 10k iterations. The user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT
// always win; QHARNESS_OMP_WAIT=default leaves libgomp alone (for side-by-side measurements),
// =passive and =spin force a rule. The waiting rule changes speed only, never a number.
//
// How: libgomp reads its variables once, in its constructor, before main(); nothing that runs
// earlier can set them (an executable's .preinit_array runs before libc sets its environment
// and libc then resets it; a library's constructor runs after libgomp's, which LibTorch's
// dependencies initialize first). So the process sets the variable and executes itself again
// (execv of /proc/self/exe, same pid and arguments), once, at the start of `qharness run` and of
// the benchmarks: about 0.5 s, against runs of seconds to days. The choice holds for the whole
// process: a busy process that starts later is not seen (QHARNESS_OMP_WAIT=passive for long
// runs on a machine that others share).
#include <string>

namespace qharness {

enum class OmpWaitRule {
  kNotChosen,        // choose_omp_wait() was not called
  kUser,             // OMP_WAIT_POLICY or GOMP_SPINCOUNT in the environment
  kLibgompDefault,   // QHARNESS_OMP_WAIT=default
  kPassive,          // OMP_WAIT_POLICY=passive
  kShortSpin,        // GOMP_SPINCOUNT=10000
};

struct OmpWaitInputs {
  const char* omp_wait_policy = nullptr;     // $OMP_WAIT_POLICY
  const char* gomp_spincount = nullptr;      // $GOMP_SPINCOUNT
  const char* qharness_omp_wait = nullptr;   // $QHARNESS_OMP_WAIT
  int other_running = 0;                     // other runnable tasks at start (nr_running - 1)
  int usable_cpus = 1;                       // util/usable_cpus.hpp
  int online_cpus = 1;                       // sysconf(_SC_NPROCESSORS_ONLN)
};

struct OmpWaitChoice {
  OmpWaitRule rule = OmpWaitRule::kNotChosen;
  std::string reason;   // why, for the log ("1 other running task(s) at start share the 2 usable CPU(s)")
};

// The rule above (pure: tests call it).
OmpWaitChoice choose_omp_wait(const OmpWaitInputs& in);

// The environment variable and value that carry a rule to libgomp (name null: set nothing).
struct OmpWaitSetting {
  const char* name = nullptr;
  const char* value = nullptr;
};
OmpWaitSetting setting_of(OmpWaitRule rule);

// Other running tasks now: the median of a few samples of the kernel's count of runnable tasks
// (/proc/loadavg), minus this one; 0 when unreadable.
int other_running_tasks();

// Chooses the rule for this process and, where it needs a variable that libgomp has not read,
// sets it and executes this program again with the same arguments (argv as main() got it).
// Returns when nothing needs setting, in the restarted process, or when the restart failed
// (libgomp's default then, and omp_wait_description() says why). Call it first in main().
void choose_omp_wait(char** argv);

// What this process runs with, one line for logs and benchmark contexts, e.g.
// "GOMP_SPINCOUNT=10000 (no other running task shares the 2 usable CPU(s) at start)".
std::string omp_wait_description();

}  // namespace qharness
