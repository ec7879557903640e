#pragma once
#include <ostream>
#include <string>

namespace qharness {
// Prints the /summary table of results/<name>/<name>.h5, aligned for a terminal or as a
// Markdown table. Throws ConfigError when there is no experiment file (and says whether
// shards are waiting for `qharness merge`).
void print_report(const std::string& experiment_dir, bool markdown, std::ostream& out);
}  // namespace qharness
