#pragma once
// The `landscape` task: the calibration loss on a 2-D grid over two layers' clipping values
// (LAPQ's loss-landscape figures). See landscape_task.cpp.
#include "tasks/task.hpp"

namespace qharness {

TaskInfo landscape_task();

}  // namespace qharness
