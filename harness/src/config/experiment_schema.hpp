#pragma once
// The schema of a whole experiment file: the top-level keys (docs/design.md), the shared blocks,
// and the block of every built-in task.
#include <cstddef>
#include <vector>

#include "config/schema.hpp"

namespace qharness {

struct TaskInfo;

// `name:` names results/<name>/ and files in it; longer names are refused up front.
inline constexpr std::size_t kMaxExperimentNameLength = 100;

SchemaNode experiment_schema(const std::vector<TaskInfo>& tasks);

// Options every quantizer slot takes, whatever the plugin: bits, granularity, rounding.
std::vector<ParamSpec> quantizer_common_params();

// Blocks shared by several tasks.
SchemaNode data_schema();

}  // namespace qharness
