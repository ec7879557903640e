#pragma once
// Model checkpoints: every parameter and buffer of a QModel by name (torch's serialize archive,
// the format of torch::save), plus the architecture's name, so that loading a checkpoint into
// the wrong architecture is refused with both names.
#include <string>

#include "models/model.hpp"

namespace qharness {

// Written to a temporary file in the same folder and renamed: a checkpoint file is complete
// or absent, whenever the process dies.
void save_checkpoint(QModel& model, const std::string& path);

// Loads every parameter and buffer of `model` from `path`. Throws std::runtime_error naming
// the file and the problem (missing, not a checkpoint / corrupt, other architecture, missing
// or mis-shaped tensor); the model is unchanged... as far as torch's loader allows: on a
// failure callers must not trust it.
void load_checkpoint(QModel& model, const std::string& path);

}  // namespace qharness
