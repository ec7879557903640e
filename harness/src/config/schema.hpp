#pragma once
// The schema of the experiment YAML: every key, its type, default, allowed values and a
// one-line doc. One schema serves three purposes: validating what the user wrote (before any
// trial runs), filling in defaults to make the resolved config, and generating
// docs/yaml-reference.md (`qharness schema --markdown`), so that the docs cannot drift from the code.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "qharness/params.hpp"
#include "qharness/plugin.hpp"

namespace qharness {

struct SchemaNode {
  enum class Kind {
    Map,         // fixed keys, each with its own schema
    Leaf,        // a scalar or a list of scalars of one ParamType
    PluginSlot,  // a map naming a plugin (`name_key`) plus that plugin's options (and `children`)
    AxisMap,     // sweep.grid / sweep.zip: any key path -> a non-empty list of values
    List,        // a list whose every element follows `element` (a Map): report.tables
  };
  Kind kind = Kind::Leaf;
  std::string doc;

  // Leaf
  ParamType type = ParamType::String;
  YAML::Node default_value;           // undefined/null = no default
  std::vector<std::string> choices;   // allowed string values (empty = any)
  bool required = false;
  std::optional<double> min, max;     // bounds on numbers (each list element too)
  // Extra check on a leaf's value; returns "" when fine, else what is wrong.
  std::function<std::string(const YAML::Node&)> check;
  // List leaves: a lone scalar is read as a one-element list (`layers: all` = `layers: [all]`).
  bool scalar_is_list = false;

  // Map (ordered: the order of the YAML reference). PluginSlot: the task's own keys that sit
  // beside the plugin's options in the same block (masks: {method: nm, n: 2, m: 4, skip: [first]}).
  std::vector<std::pair<std::string, SchemaNode>> children;
  // Blocks that are validated when present but only take their defaults when the selected
  // task uses them (train:, ptq:, selftest:, data:, ...).
  bool task_block = false;

  // List: the schema of every element (exactly one node; a vector because SchemaNode is
  // incomplete here).
  std::vector<SchemaNode> element;

  // PluginSlot
  PluginKind plugin_kind = PluginKind::Optimizer;
  std::string name_key = "name";      // the key naming the plugin
  std::string default_plugin;         // "" = the user must name one
  std::vector<ParamSpec> common;      // options every plugin of this slot takes
  // Options of the default plugin that differ from the plugin's own defaults in this slot
  // (ptq.optimizer: powell with maxiter 2). Used only when the chosen plugin is the default
  // one and the option is not given. Empty = none.
  std::vector<std::pair<std::string, std::string>> default_options;
  // Names the slot accepts that are no plugin: the task handles them itself (masks' `dense`, the
  // unpruned reference row). They take the common options and the children only.
  std::vector<std::string> builtin_names;

  // Builders, so that schema definitions read like the YAML they describe.
  static SchemaNode map(std::string doc) { SchemaNode n; n.kind = Kind::Map; n.doc = std::move(doc); return n; }
  static SchemaNode leaf(ParamType t, YAML::Node def, std::string doc) {
    SchemaNode n; n.kind = Kind::Leaf; n.type = t; n.default_value = std::move(def); n.doc = std::move(doc); return n;
  }
  static SchemaNode required_leaf(ParamType t, std::string doc) {
    SchemaNode n = leaf(t, YAML::Node(), std::move(doc)); n.required = true; return n;
  }
  static SchemaNode one_of(std::vector<std::string> choices, std::string def, std::string doc) {
    SchemaNode n = leaf(ParamType::String, YAML::Node(def), std::move(doc)); n.choices = std::move(choices); return n;
  }
  static SchemaNode plugin(PluginKind kind, std::string name_key, std::string default_plugin, std::string doc) {
    SchemaNode n; n.kind = Kind::PluginSlot; n.plugin_kind = kind; n.name_key = std::move(name_key);
    n.default_plugin = std::move(default_plugin); n.doc = std::move(doc); return n;
  }
  static SchemaNode list_of(SchemaNode element, std::string doc) {
    SchemaNode n; n.kind = Kind::List; n.element.push_back(std::move(element)); n.doc = std::move(doc); return n;
  }
  SchemaNode& add(std::string key, SchemaNode child) { children.emplace_back(std::move(key), std::move(child)); return *this; }
  SchemaNode& range(std::optional<double> lo, std::optional<double> hi) { min = lo; max = hi; return *this; }
  const SchemaNode* child(const std::string& key) const {
    for (const auto& [k, c] : children) if (k == key) return &c;
    return nullptr;
  }
  std::vector<std::string> child_keys() const {
    std::vector<std::string> keys;
    for (const auto& kv : children) keys.push_back(kv.first);
    return keys;
  }
};

// A leaf schema for one declared plugin option.
SchemaNode leaf_from_spec(const ParamSpec& spec);

// What validation needs to know about the loaded plugins.
class PluginCatalog {
 public:
  virtual ~PluginCatalog() = default;
  virtual const PluginInfo* find(PluginKind kind, const std::string& name) const = 0;
  virtual std::vector<std::string> names(PluginKind kind) const = 0;
};

}  // namespace qharness
