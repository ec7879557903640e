#include "util/omp_wait.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/usable_cpus.hpp"

namespace qharness {
namespace {

constexpr const char* kShortSpinCount = "10000";

// Runnable tasks now, this one included: /proc/loadavg's fourth field "running/total" (the
// kernel's nr_running, as /proc/stat's procs_running, in a file short enough to read whole on
// any machine); -1 when unreadable.
int running_tasks_now() {
  const int fd = ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[256];
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  double load1 = 0, load5 = 0, load15 = 0;
  int running = -1, total = 0;
  if (std::sscanf(buf, "%lf %lf %lf %d/%d", &load1, &load5, &load15, &running, &total) != 5) return -1;
  return running;
}

}  // namespace

OmpWaitChoice choose_omp_wait(const OmpWaitInputs& in) {
  OmpWaitChoice c;
  auto say = [&c](OmpWaitRule rule, const char* format, auto... args) {
    c.rule = rule;
    std::snprintf(c.reason, sizeof(c.reason), format, args...);
  };
  if (in.omp_wait_policy || in.gomp_spincount) {
    say(OmpWaitRule::kUser, "the environment sets %s", in.omp_wait_policy ? "OMP_WAIT_POLICY" : "GOMP_SPINCOUNT");
    return c;
  }
  const char* mode = in.qharness_omp_wait ? in.qharness_omp_wait : "auto";
  if (std::strcmp(mode, "default") == 0) {
    say(OmpWaitRule::kLibgompDefault, "QHARNESS_OMP_WAIT=default");
  } else if (std::strcmp(mode, "passive") == 0) {
    say(OmpWaitRule::kPassive, "QHARNESS_OMP_WAIT=passive");
  } else if (std::strcmp(mode, "spin") == 0) {
    say(OmpWaitRule::kShortSpin, "QHARNESS_OMP_WAIT=spin");
  } else {
    const char* ignored = std::strcmp(mode, "auto") == 0 ? "" : " (QHARNESS_OMP_WAIT is not auto, passive, spin or default: auto)";
    // Other work shares our CPUs when it does not fit on the CPUs we leave free.
    if (in.other_running > 0 && in.other_running + in.usable_cpus > in.online_cpus)
      say(OmpWaitRule::kPassive, "%d other running task(s) at start share the %d usable CPU(s)%s", in.other_running,
          in.usable_cpus, ignored);
    else
      say(OmpWaitRule::kShortSpin, "no other running task shares the %d usable CPU(s) at start%s", in.usable_cpus,
          ignored);
  }
  return c;
}

OmpWaitSetting setting_of(OmpWaitRule rule) {
  switch (rule) {
    case OmpWaitRule::kPassive: return {"OMP_WAIT_POLICY", "passive"};
    case OmpWaitRule::kShortSpin: return {"GOMP_SPINCOUNT", kShortSpinCount};
    default: return {};
  }
}

int other_running_tasks() {
  int samples[5];
  int n = 0;
  for (int i = 0; i < 5; ++i) {
    if (i > 0) {
      const timespec pause{0, 2'000'000};   // 2 ms
      nanosleep(&pause, nullptr);
    }
    const int r = running_tasks_now();
    if (r >= 1) samples[n++] = r;
  }
  if (n == 0) return 0;
  std::sort(samples, samples + n);
  return samples[n / 2] - 1;
}

namespace {

// Carries the choice across the restart (the restarted process reads it, then removes it).
constexpr const char* kChosenVariable = "QHARNESS_OMP_WAIT_CHOSEN";

OmpWaitChoice g_choice;   // this process's rule, for omp_wait_description()

}  // namespace

void choose_omp_wait(char** argv) {
  if (const char* chosen = std::getenv(kChosenVariable)) {   // the restarted process
    const int rule = std::atoi(chosen);
    const char* reason = std::strchr(chosen, ':');
    g_choice.rule = static_cast<OmpWaitRule>(rule);
    std::snprintf(g_choice.reason, sizeof(g_choice.reason), "%s", reason ? reason + 1 : "");
    unsetenv(kChosenVariable);   // child processes choose for themselves
    return;
  }
  OmpWaitInputs in;
  in.omp_wait_policy = std::getenv("OMP_WAIT_POLICY");
  in.gomp_spincount = std::getenv("GOMP_SPINCOUNT");
  in.qharness_omp_wait = std::getenv("QHARNESS_OMP_WAIT");
  const char* mode = in.qharness_omp_wait ? in.qharness_omp_wait : "auto";
  const bool forced = std::strcmp(mode, "default") == 0 || std::strcmp(mode, "passive") == 0 ||
                      std::strcmp(mode, "spin") == 0;
  if (!in.omp_wait_policy && !in.gomp_spincount && !forced) {   // the auto rule needs the machine's state
    in.other_running = other_running_tasks();
    in.usable_cpus = usable_cpus().cpus;
    in.online_cpus = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  }
  g_choice = choose_omp_wait(in);
  const OmpWaitSetting s = setting_of(g_choice.rule);
  if (!s.name) return;
  char chosen[sizeof(g_choice.reason) + 16];
  std::snprintf(chosen, sizeof(chosen), "%d:%s", static_cast<int>(g_choice.rule), g_choice.reason);
  setenv(s.name, s.value, 1);
  setenv(kChosenVariable, chosen, 1);
  execv("/proc/self/exe", argv);
  // Still here: the restart failed. Run on with libgomp's default and say so.
  const int error = errno;
  unsetenv(s.name);
  unsetenv(kChosenVariable);
  g_choice.rule = OmpWaitRule::kLibgompDefault;
  std::snprintf(g_choice.reason, sizeof(g_choice.reason), "could not restart to set %s: %s", s.name,
                std::strerror(error));
}

std::string omp_wait_description() {
  switch (g_choice.rule) {
    case OmpWaitRule::kNotChosen: return "libgomp's default (this program does not choose)";
    case OmpWaitRule::kUser: return std::string("as the environment sets it (") + g_choice.reason + ")";
    case OmpWaitRule::kLibgompDefault: return std::string("libgomp's default (") + g_choice.reason + ")";
    default: {
      const OmpWaitSetting s = setting_of(g_choice.rule);
      return std::string(s.name) + "=" + s.value + " (" + g_choice.reason + ")";
    }
  }
}

}  // namespace qharness
