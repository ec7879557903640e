#pragma once
// The `hessian` task: the Hessian of the calibration loss with respect to a PTQ model's
// clipping values (LAPQ's loss-landscape analysis). See hessian_task.cpp.
#include "tasks/task.hpp"

namespace qharness {

TaskInfo hessian_task();

}  // namespace qharness
