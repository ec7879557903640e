#include "util/omp_wait.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "util/text.hpp"
#include "util/usable_cpus.hpp"

namespace qharness {
namespace {

constexpr const char* kShortSpinCount = "10000";

// Carries the choice across the restart (the restarted process reads it, then removes it).
constexpr const char* kChosenVariable = "QHARNESS_OMP_WAIT_CHOSEN";

OmpWaitChoice g_choice;   // this process's rule, for omp_wait_description()

// $QHARNESS_OMP_WAIT: a forced rule, or the auto rule (unset, "auto", or an unknown value).
enum class Mode { kAuto, kDefault, kPassive, kSpin, kUnknown };

Mode mode_of(const char* text) {
  if (!text || std::strcmp(text, "auto") == 0) return Mode::kAuto;
  if (std::strcmp(text, "default") == 0) return Mode::kDefault;
  if (std::strcmp(text, "passive") == 0) return Mode::kPassive;
  if (std::strcmp(text, "spin") == 0) return Mode::kSpin;
  return Mode::kUnknown;
}

// Runnable tasks now, this one included: /proc/loadavg's fourth field "running/total" (the
// kernel's nr_running, as /proc/stat's procs_running, in a file short enough to read whole on
// any machine); nullopt when unreadable.
std::optional<std::int64_t> running_tasks_now() {
  std::ifstream in("/proc/loadavg");
  std::string load1, load5, load15, running_total;
  if (!(in >> load1 >> load5 >> load15 >> running_total)) return std::nullopt;
  return parse_whole_number(split(running_total, '/')[0]);
}

}  // namespace

OmpWaitChoice choose_omp_wait(const OmpWaitInputs& in) {
  if (in.omp_wait_policy || in.gomp_spincount)
    return {OmpWaitRule::kUser,
            std::string("the environment sets ") + (in.omp_wait_policy ? "OMP_WAIT_POLICY" : "GOMP_SPINCOUNT")};
  switch (mode_of(in.qharness_omp_wait)) {
    case Mode::kDefault: return {OmpWaitRule::kLibgompDefault, "QHARNESS_OMP_WAIT=default"};
    case Mode::kPassive: return {OmpWaitRule::kPassive, "QHARNESS_OMP_WAIT=passive"};
    case Mode::kSpin: return {OmpWaitRule::kShortSpin, "QHARNESS_OMP_WAIT=spin"};
    case Mode::kAuto:
    case Mode::kUnknown: break;
  }
  const std::string ignored = mode_of(in.qharness_omp_wait) == Mode::kUnknown
                                  ? " (QHARNESS_OMP_WAIT is not auto, passive, spin or default: auto)"
                                  : "";
  const std::string cpus = std::to_string(in.usable_cpus) + " usable CPU(s)";
  // Other work shares our CPUs when it does not fit on the CPUs we leave free.
  if (in.other_running > 0 && in.other_running + in.usable_cpus > in.online_cpus)
    return {OmpWaitRule::kPassive,
            std::to_string(in.other_running) + " other running task(s) at start share the " + cpus + ignored};
  return {OmpWaitRule::kShortSpin, "no other running task shares the " + cpus + " at start" + ignored};
}

OmpWaitSetting setting_of(OmpWaitRule rule) {
  switch (rule) {
    case OmpWaitRule::kPassive: return {"OMP_WAIT_POLICY", "passive"};
    case OmpWaitRule::kShortSpin: return {"GOMP_SPINCOUNT", kShortSpinCount};
    default: return {};
  }
}

int other_running_tasks() {
  std::vector<std::int64_t> samples;
  for (int i = 0; i < 5; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (const auto r = running_tasks_now(); r && *r >= 1) samples.push_back(*r);
  }
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return static_cast<int>(samples[samples.size() / 2] - 1);
}

void choose_omp_wait(char** argv) {
  if (const char* chosen = std::getenv(kChosenVariable)) {   // the restarted process
    const char* reason = std::strchr(chosen, ':');
    g_choice = {static_cast<OmpWaitRule>(std::atoi(chosen)), reason ? reason + 1 : ""};
    unsetenv(kChosenVariable);   // child processes choose for themselves
    return;
  }
  OmpWaitInputs in;
  in.omp_wait_policy = std::getenv("OMP_WAIT_POLICY");
  in.gomp_spincount = std::getenv("GOMP_SPINCOUNT");
  in.qharness_omp_wait = std::getenv("QHARNESS_OMP_WAIT");
  const Mode mode = mode_of(in.qharness_omp_wait);
  if (!in.omp_wait_policy && !in.gomp_spincount && (mode == Mode::kAuto || mode == Mode::kUnknown)) {
    // The auto rule needs the machine's state.
    in.other_running = other_running_tasks();
    in.usable_cpus = usable_cpus().cpus;
    in.online_cpus = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  }
  g_choice = choose_omp_wait(in);
  const OmpWaitSetting s = setting_of(g_choice.rule);
  if (!s.name) return;
  setenv(s.name, s.value, 1);
  setenv(kChosenVariable, (std::to_string(static_cast<int>(g_choice.rule)) + ":" + g_choice.reason).c_str(), 1);
  execv("/proc/self/exe", argv);
  // Still here: the restart failed. Run on with libgomp's default and say so.
  const int error = errno;
  unsetenv(s.name);
  unsetenv(kChosenVariable);
  g_choice = {OmpWaitRule::kLibgompDefault,
              std::string("could not restart to set ") + s.name + ": " + std::strerror(error)};
}

std::string omp_wait_description() {
  switch (g_choice.rule) {
    case OmpWaitRule::kNotChosen: return "libgomp's default (this program does not choose)";
    case OmpWaitRule::kUser: return "as the environment sets it (" + g_choice.reason + ")";
    case OmpWaitRule::kLibgompDefault: return "libgomp's default (" + g_choice.reason + ")";
    default: {
      const OmpWaitSetting s = setting_of(g_choice.rule);
      return std::string(s.name) + "=" + s.value + " (" + g_choice.reason + ")";
    }
  }
}

}  // namespace qharness
