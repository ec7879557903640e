#pragma once
// The experiment as written: the YAML of a file and the files it `extends:`, merged, with the
// command-line overrides applied, and where every key came from (for error messages).
// Nothing here knows what the keys mean; validation against the schema comes later.
#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config_error.hpp"

namespace qharness {

struct RawConfig {
  YAML::Node root = YAML::Node(YAML::NodeType::Map);
  // Dotted key path -> where it was set. Keys of sweep.grid / sweep.zip are themselves dotted
  // paths and appear as "sweep.grid.<key.path>".
  std::map<std::string, Origin> origins;
  std::string file;                     // the top file, as given
  std::string text;                     // its text, as given
  std::vector<std::string> overrides;   // as given on the command line

  // Where `path` (or its nearest ancestor that has a recorded origin) was set.
  Origin origin_of(const std::string& path) const;
};

// Reads `file` and, recursively, the files its `extends:` names (a path or a list of paths,
// relative to the file that names them). Later files override earlier ones; maps merge key by
// key, anything else is replaced. Throws ConfigError (file:line:col) on unreadable files,
// YAML syntax errors, duplicate keys, a non-map document and `extends` cycles.
RawConfig load_experiment(const std::string& file);

// Throws ConfigError naming `file` unless it is a readable regular file (not a folder).
void check_experiment_file(const std::string& file);

// Applies `key.path=value` overrides (the value is parsed as YAML: `bits=4`, `p=[2,3]`) and
// Hydra-style sweep axes `key.path=a,b,c` (added to sweep.grid; a comma inside [], {} or
// quotes does not split). Setting a key that the file sweeps replaces that sweep axis.
void apply_overrides(RawConfig& config, const std::vector<std::string>& overrides);

// Helpers on YAML trees addressed by dotted paths.
YAML::Node find_path(const YAML::Node& root, const std::string& path);   // null node if absent
// A YAML value as one line of text (a /summary cell, a report label): scalars as written, null
// as "null", collections in flow style.
std::string flow_text(const YAML::Node& node);
// flow_text of the value at `path`; std::nullopt when it is absent or null.
std::optional<std::string> find_path_text(const YAML::Node& root, const std::string& path);
void set_path(YAML::Node& root, const std::string& path, const YAML::Node& value);
bool erase_path(YAML::Node& root, const std::string& path);

}  // namespace qharness
