#pragma once
// How many CPUs this process may use: what `threads: auto` means.
//
// Not std::thread::hardware_concurrency() (every CPU of the machine): a Slurm job, a taskset or
// a container gets fewer, and more threads than CPUs make OpenMP's threads wait for each other
// on shared cores (docs/performance.md, "Threads on a shared machine"). The smallest of
//   - the CPUs in the process's affinity mask (sched_getaffinity: taskset, Slurm's cpusets),
//   - SLURM_CPUS_PER_TASK when set to a whole number >= 1 (Slurm without task affinity),
//   - the cgroup's CPU quota, rounded up (cgroup v2 cpu.max "quota period"; v1 cfs_quota_us and
//     cfs_period_us: docker --cpus, Kubernetes limits).
namespace qharness {

struct UsableCpus {
  int cpus = 1;
  const char* source = "";   // which limit gave `cpus`: a string literal
};

// The rule above on given inputs (affinity_cpus <= 0: unknown; null texts: absent).
// cgroup_cpu_max is the text of cpu.max ("max 100000" or "200000 100000").
UsableCpus usable_cpus_from(int affinity_cpus, const char* slurm_cpus_per_task, const char* cgroup_cpu_max);

// The rule on this process: its affinity mask, its environment, /sys/fs/cgroup.
UsableCpus usable_cpus();

}  // namespace qharness
