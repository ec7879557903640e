#pragma once
#include "tasks/task.hpp"

namespace qharness {
// `task: masks`: one-shot N:M / transposable N:M pruning of a trained model, one trial per
// method, with AdaPrune and optional fine-tuning (masks_task.cpp says what is recorded).
TaskInfo masks_task();
}  // namespace qharness
