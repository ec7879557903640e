#include "util/usable_cpus.hpp"

#include <sched.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "util/text.hpp"

namespace qharness {
namespace {

// A whole number >= 1 that is all of `text` but surrounding blanks, else nullopt.
std::optional<std::int64_t> positive_number(const char* text) {
  if (!text) return std::nullopt;
  const auto v = parse_whole_number(trim(text));
  return v && *v >= 1 ? v : std::nullopt;
}

// ceil(quota / period) from "quota period" ("max ..." = no limit), else nullopt.
std::optional<std::int64_t> cpus_of_cpu_max(const char* text) {
  if (!text) return std::nullopt;
  const std::vector<std::string> parts = split(trim(text), ' ');
  if (parts.size() != 2) return std::nullopt;
  const auto quota = positive_number(parts[0].c_str()), period = positive_number(parts[1].c_str());
  if (!quota || !period) return std::nullopt;
  return (*quota + *period - 1) / *period;
}

// The first line of a small file (/sys, /proc), "" when unreadable.
std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

UsableCpus usable_cpus_from(int affinity_cpus, const char* slurm_cpus_per_task, const char* cgroup_cpu_max) {
  UsableCpus u;
  u.cpus = affinity_cpus > 0 ? affinity_cpus : 1;
  u.source = affinity_cpus > 0 ? "affinity mask" : "affinity mask unreadable";
  if (const auto slurm = positive_number(slurm_cpus_per_task); slurm && *slurm < u.cpus) {
    u.cpus = static_cast<int>(*slurm);
    u.source = "SLURM_CPUS_PER_TASK";
  }
  if (const auto quota = cpus_of_cpu_max(cgroup_cpu_max); quota && *quota < u.cpus) {
    u.cpus = static_cast<int>(*quota);
    u.source = "cgroup CPU quota";
  }
  return u;
}

UsableCpus usable_cpus() {
  int affinity = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) affinity = CPU_COUNT(&set);
  std::string cpu_max = first_line("/sys/fs/cgroup/cpu.max");
  if (cpu_max.empty()) {   // cgroup v1: the same two numbers in two files
    const std::string quota = first_line("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    const std::string period = first_line("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    if (!quota.empty() && !period.empty()) cpu_max = quota + " " + period;
  }
  return usable_cpus_from(affinity, std::getenv("SLURM_CPUS_PER_TASK"), cpu_max.empty() ? nullptr : cpu_max.c_str());
}

}  // namespace qharness
