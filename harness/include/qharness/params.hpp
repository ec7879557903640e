#pragma once
// Typed options of a plugin, as declared by the plugin and filled in from the experiment YAML.
//
// A plugin declares its options as ParamSpecs (name, type, default, one-line doc). The driver
// validates the YAML block that selects the plugin against them before any trial runs
// (unknown key, wrong type, value outside `choices`), fills in the defaults and hands the
// plugin a Params with every declared key present. The declarations also feed
// docs/yaml-reference.md and `qharness plugins --verbose`.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace qharness {

// File: a path to a file the plugin reads (a TorchScript module). The driver resolves it
// relative to the experiment file that sets it (like `extends`; relative to the current folder
// when set on the command line), refuses a missing file before any trial runs, hands the plugin
// the absolute path, and puts the file's content hash (not its path) into the trial id, so
// that editing the file reruns the trials that use it. Appended last: the earlier values keep
// their numbers (plugin API version 2).
enum class ParamType { Bool, Int, Double, String, DoubleList, IntList, StringList, File };

inline const char* to_string(ParamType t) {
  switch (t) {
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "int";
    case ParamType::Double: return "float";
    case ParamType::String: return "string";
    case ParamType::DoubleList: return "list of float";
    case ParamType::IntList: return "list of int";
    case ParamType::StringList: return "list of string";
    case ParamType::File: return "file";
  }
  return "?";
}

// std::monostate means "no value" (an option without default that the user did not set).
using ParamValue = std::variant<std::monostate, bool, std::int64_t, double, std::string,
                                std::vector<double>, std::vector<std::int64_t>,
                                std::vector<std::string>>;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Double;
  ParamValue default_value;           // monostate: optional, no default
  std::string doc;                    // one line, shown in the YAML reference
  std::vector<std::string> choices;   // String only: the allowed values (empty = any)
  bool required = false;              // the user must set it
  std::optional<double> min, max;     // Int/Double (and their lists): allowed range, inclusive
};

class Params {
 public:
  bool has(const std::string& name) const {
    auto it = values_.find(name);
    return it != values_.end() && !std::holds_alternative<std::monostate>(it->second);
  }
  void set(const std::string& name, ParamValue value) { values_[name] = std::move(value); }
  const std::map<std::string, ParamValue>& values() const { return values_; }

  bool get_bool(const std::string& name) const { return get<bool>(name, "bool"); }
  std::int64_t get_int(const std::string& name) const { return get<std::int64_t>(name, "int"); }
  double get_double(const std::string& name) const {
    const ParamValue& v = at(name);
    if (auto i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    return get<double>(name, "float");
  }
  // Also a File option's value: its absolute path.
  const std::string& get_string(const std::string& name) const {
    return get<std::string>(name, "string");
  }
  std::vector<double> get_doubles(const std::string& name) const {
    const ParamValue& v = at(name);
    if (auto l = std::get_if<std::vector<std::int64_t>>(&v)) return {l->begin(), l->end()};
    return get<std::vector<double>>(name, "list of float");
  }
  const std::vector<std::int64_t>& get_ints(const std::string& name) const {
    return get<std::vector<std::int64_t>>(name, "list of int");
  }
  const std::vector<std::string>& get_strings(const std::string& name) const {
    return get<std::vector<std::string>>(name, "list of string");
  }

 private:
  const ParamValue& at(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || std::holds_alternative<std::monostate>(it->second))
      throw std::out_of_range("option '" + name + "' is not set");
    return it->second;
  }
  template <class T>
  const T& get(const std::string& name, const char* type) const {
    const ParamValue& v = at(name);
    if (auto p = std::get_if<T>(&v)) return *p;
    throw std::invalid_argument("option '" + name + "' is not of type " + type);
  }
  std::map<std::string, ParamValue> values_;
};

}  // namespace qharness
