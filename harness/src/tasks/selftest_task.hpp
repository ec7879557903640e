#pragma once
#include "tasks/task.hpp"

namespace qharness {
// `task: selftest`: minimizes a seeded function with the configured optimizer plugin; needs no
// data, so sweeps, resume, sharding and plugins can be exercised in seconds.
TaskInfo selftest_task();
}  // namespace qharness
