#pragma once
// Validation of one trial's config against the schema, producing the resolved config: every
// key the task reads, with its default where the user set none, scalars in canonical form.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/config_error.hpp"
#include "config/schema.hpp"

namespace qharness {

struct PluginSelection {
  PluginKind kind = PluginKind::Optimizer;
  std::string name;
  Params params;   // every option the plugin declares (and the slot's common ones)
  bool builtin = false;  // one of the slot's builtin_names (no plugin behind it)
};

struct ResolvedConfig {
  YAML::Node tree;                                  // in schema order, canonical scalars
  std::map<std::string, PluginSelection> plugins;   // slot path ("selftest.optimizer") -> choice
  // File options (ParamType::File): dotted path -> the file's content hash. The tree holds the
  // absolute path; canonical() (and so the trial id) holds the hash instead, so that editing a
  // module reruns its trials and moving the checkout does not.
  std::map<std::string, std::string> file_hashes;

  std::string yaml() const;        // the tree as block YAML (lists of scalars in flow style)
  // "path=value" lines, sorted, without the keys that do not change a trial's numbers
  // (name, threads, plugins, sweep, report): what the trial id hashes.
  std::string canonical() const;
  std::string trial_id() const;    // 12 hex digits of FNV-1a 64 of canonical()

  // Typed access by dotted path; throws std::out_of_range naming the path if absent.
  YAML::Node at(const std::string& path) const;
  std::int64_t get_int(const std::string& path) const { return at(path).as<std::int64_t>(); }
  double get_double(const std::string& path) const { return at(path).as<double>(); }
  bool get_bool(const std::string& path) const { return at(path).as<bool>(); }
  std::string get_string(const std::string& path) const { return at(path).Scalar(); }
  std::vector<double> get_doubles(const std::string& path) const { return at(path).as<std::vector<double>>(); }
  bool has(const std::string& path) const;
  const PluginSelection& plugin(const std::string& slot_path) const;
};

using OriginLookup = std::function<Origin(const std::string& path)>;

// Validates `tree` (a map) against `schema` (a Map node). Task blocks are filled with defaults
// only when listed in `used_blocks`; other task blocks are validated when present and then
// dropped (with a note in `notes`). Problems are appended to `errors` as
// "file:line:col: key: what is wrong (did you mean ...)"; the result is only meaningful when
// no error was added.
ResolvedConfig resolve_config(const YAML::Node& tree, const SchemaNode& schema,
                              const std::set<std::string>& used_blocks,
                              const PluginCatalog& plugins, const OriginLookup& origin_of,
                              std::vector<std::string>& errors, std::vector<std::string>& notes);

// The canonical YAML scalar (or flow list) for a value of `type`; "" + `why` when it does not fit.
YAML::Node canonical_value(const YAML::Node& value, ParamType type, std::string& why);
ParamValue to_param_value(const YAML::Node& canonical, ParamType type);

}  // namespace qharness
