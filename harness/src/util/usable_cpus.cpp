#include "util/usable_cpus.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace qharness {
namespace {

// A whole number >= 1 that is all of `text` (surrounding blanks allowed), else 0.
long whole_number(const char* text) {
  if (!text) return 0;
  while (*text == ' ' || *text == '\t') ++text;
  if (*text < '0' || *text > '9') return 0;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  while (*end == ' ' || *end == '\t' || *end == '\n') ++end;
  return (errno == 0 && *end == '\0' && v >= 1) ? v : 0;
}

// ceil(quota / period) from "quota period" ("max ..." = no limit), else 0.
long cpus_of_cpu_max(const char* text) {
  if (!text) return 0;
  char* end = nullptr;
  errno = 0;
  const long quota = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || quota <= 0) return 0;   // "max" or malformed
  const char* rest = end;
  const long period = std::strtol(rest, &end, 10);
  if (errno != 0 || end == rest || period <= 0) return 0;
  return (quota + period - 1) / period;
}

// A small text file's contents into buf (NUL-terminated); false when unreadable.
bool read_small_file(const char* path, char* buf, std::size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::read(fd, buf, size - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  return true;
}

}  // namespace

UsableCpus usable_cpus_from(int affinity_cpus, const char* slurm_cpus_per_task, const char* cgroup_cpu_max) {
  UsableCpus u;
  u.cpus = affinity_cpus > 0 ? affinity_cpus : 1;
  u.source = affinity_cpus > 0 ? "affinity mask" : "affinity mask unreadable";
  if (const long slurm = whole_number(slurm_cpus_per_task); slurm > 0 && slurm < u.cpus) {
    u.cpus = static_cast<int>(slurm);
    u.source = "SLURM_CPUS_PER_TASK";
  }
  if (const long quota = cpus_of_cpu_max(cgroup_cpu_max); quota > 0 && quota < u.cpus) {
    u.cpus = static_cast<int>(quota);
    u.source = "cgroup CPU quota";
  }
  return u;
}

UsableCpus usable_cpus() {
  int affinity = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) affinity = CPU_COUNT(&set);
  char cpu_max[64] = "";
  if (!read_small_file("/sys/fs/cgroup/cpu.max", cpu_max, sizeof(cpu_max))) {
    // cgroup v1: the same two numbers in two files.
    char quota[32] = "", period[32] = "";
    if (read_small_file("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", quota, sizeof(quota)) &&
        read_small_file("/sys/fs/cgroup/cpu/cpu.cfs_period_us", period, sizeof(period))) {
      quota[std::strcspn(quota, "\n")] = '\0';
      std::strncat(cpu_max, quota, sizeof(cpu_max) - 1);
      std::strncat(cpu_max, " ", sizeof(cpu_max) - std::strlen(cpu_max) - 1);
      std::strncat(cpu_max, period, sizeof(cpu_max) - std::strlen(cpu_max) - 1);
    }
  }
  return usable_cpus_from(affinity, std::getenv("SLURM_CPUS_PER_TASK"), cpu_max[0] ? cpu_max : nullptr);
}

}  // namespace qharness
