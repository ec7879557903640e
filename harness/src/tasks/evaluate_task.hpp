#pragma once
#include "tasks/task.hpp"

namespace qharness {

// task: evaluate. top1, top5 and loss of model (with model.checkpoint's weights) on the test
// split of data.
TaskInfo evaluate_task();

}  // namespace qharness
