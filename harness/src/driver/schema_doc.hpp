#pragma once
#include <ostream>

#include "plugins/plugin_registry.hpp"

namespace qharness {
// The YAML reference as Markdown, generated from the schema that validates experiments and
// from the options the loaded plugins declare: docs/yaml-reference.md is this output.
void print_schema_markdown(const PluginRegistry& plugins, std::ostream& out);
}  // namespace qharness
