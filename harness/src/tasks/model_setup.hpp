#pragma once
// The `model:` block: which architecture, and where its weights come from.
//
//   model:
//     arch: lenet5
//     checkpoint: {train: experiments/models/lenet5.yaml}   # or {path: FILE.pt}, or neither
//
// `train:` names a training experiment (one trial, task train). It is resolved like any
// experiment, and its trial id (the hash of its resolved config) keys the checkpoint cache:
// <results>/checkpoints/<id>.pt. The first experiment that needs it trains it (and the train
// task, run on that file directly, writes the same file); later ones load it. A cache file
// that cannot be read or does not fit is retrained, not trusted. `path:` loads a checkpoint
// file (written by a train run or by `qharness import`). Neither: the seeded initialization.
// Relative paths are relative to the working directory.
#include <memory>
#include <string>

#include "config/schema.hpp"
#include "data/data_source.hpp"
#include "models/memory_format.hpp"
#include "models/model.hpp"
#include "tasks/task.hpp"

namespace qharness {

SchemaNode model_schema();

// <results_root>/checkpoints/<trial_id>.pt
std::string checkpoint_cache_path(const std::string& results_root, const std::string& trial_id);

// The trial's model (model.arch, shaped for `data`), with the weights model.checkpoint names,
// on the trial's device. Trains and caches the checkpoint when model.checkpoint.train is not
// cached yet. Leaves the global torch seed at the trial's seed, cache hit or miss alike. Its
// convolution weights are in the memory order that `memory_format` chooses for `use`
// (models/memory_format.hpp); the trial's log says which.
std::shared_ptr<QModel> prepare_model(const TrialContext& ctx, const DataSplits& data, ModelUse use);

}  // namespace qharness
