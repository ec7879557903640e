#pragma once
// The `ptq` task: post-training quantization of a trained model (LAPQ, Nahshan et al., and
// its per-layer baselines). See ptq_task.cpp for what it does and records.
#include "tasks/task.hpp"

namespace qharness {

TaskInfo ptq_task();

}  // namespace qharness
