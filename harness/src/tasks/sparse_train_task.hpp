#pragma once
#include "tasks/task.hpp"

namespace qharness {
// `task: sparse-train`: training with N:M / transposable N:M masks recomputed on the fly
// (sparse_train_task.cpp says what is recorded).
TaskInfo sparse_train_task();
}  // namespace qharness
