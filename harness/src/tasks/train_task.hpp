#pragma once
#include "tasks/task.hpp"

namespace qharness {

// task: train. Trains model.arch on data (train.*), records per-epoch train_loss, test_loss,
// test_top1 and lr in series/, the final top1/top5/loss and the throughput in metrics/, and
// writes the checkpoint to <results>/checkpoints/<trial id>.pt (the checkpoint cache).
TaskInfo train_task();

}  // namespace qharness
