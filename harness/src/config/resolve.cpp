#include "config/resolve.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "config/raw_config.hpp"
#include "util/text.hpp"

namespace qharness {
namespace {

// yaml-cpp's default-constructed Node is a *null* value, not an absent one.
YAML::Node absent() { return YAML::Node(YAML::NodeType::Undefined); }

std::string describe(const YAML::Node& v) {
  if (v.IsMap()) return "a mapping";
  if (v.IsSequence()) return "a list";
  if (v.IsNull()) return "nothing (null)";
  return "'" + v.Scalar() + "'";
}

// A File option's content hash (FNV-1a 64, 16 hex digits), read once per path, size and
// modification time: a sweep of many trials names the same module many times.
std::string file_content_hash(const std::filesystem::path& file) {
  static std::mutex mutex;
  static std::map<std::string, std::pair<std::string, std::string>> cache;  // path -> (stamp, hash)
  const auto stamp = std::to_string(std::filesystem::file_size(file)) + "@" +
                     std::to_string(std::filesystem::last_write_time(file).time_since_epoch().count());
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(file.string());
  if (it != cache.end() && it->second.first == stamp) return it->second.second;
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read it");
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(text.str())));
  cache[file.string()] = {stamp, buf};
  return buf;
}

bool is_list(ParamType t) {
  return t == ParamType::DoubleList || t == ParamType::IntList || t == ParamType::StringList;
}

ParamType element_type(ParamType t) {
  switch (t) {
    case ParamType::DoubleList: return ParamType::Double;
    case ParamType::IntList: return ParamType::Int;
    case ParamType::StringList: return ParamType::String;
    default: return t;
  }
}

YAML::Node canonical_scalar(const YAML::Node& v, ParamType t, std::string& why) {
  if (!v.IsScalar()) {
    why = std::string("expected ") + (t == ParamType::Int ? "an " : "a ") + to_string(t) + ", got " + describe(v);
    return {};
  }
  const std::string& s = v.Scalar();
  try {
    switch (t) {
      case ParamType::Bool: {
        if (s == "true" || s == "false") return YAML::Node(s);
        why = "expected true or false, got '" + s + "'";
        return {};
      }
      case ParamType::Int: {
        std::size_t used = 0;
        long long x = std::stoll(s, &used, 10);
        if (used != s.size()) throw std::invalid_argument(s);
        return YAML::Node(std::to_string(x));
      }
      case ParamType::Double: {
        double x = v.as<double>();
        if (std::isnan(x)) throw std::invalid_argument(s);
        return YAML::Node(format_double(x));
      }
      default:
        return YAML::Node(s);
    }
  } catch (const std::exception&) {
    why = std::string("expected ") + (t == ParamType::Int ? "an " : "a ") + to_string(t) + ", got '" + s + "'";
    return {};
  }
}

std::string check_bounds(const YAML::Node& canonical, const SchemaNode& s) {
  if (s.type == ParamType::String || s.type == ParamType::StringList || s.type == ParamType::Bool ||
      s.type == ParamType::File)
    return "";
  auto check_one = [&](double x) -> std::string {
    if ((s.min && x < *s.min) || (s.max && x > *s.max)) {
      if (s.min && s.max)
        return "must be in [" + format_double(*s.min) + ", " + format_double(*s.max) + "], got " + format_double(x);
      return (s.min ? "must be >= " + format_double(*s.min) : "must be <= " + format_double(*s.max)) + ", got " +
             format_double(x);
    }
    return "";
  };
  if (canonical.IsSequence()) {
    for (const auto& e : canonical)
      if (auto w = check_one(e.as<double>()); !w.empty()) return w;
    return "";
  }
  return check_one(canonical.as<double>());
}

class Resolver {
 public:
  Resolver(const PluginCatalog& plugins, const OriginLookup& origin_of, const std::set<std::string>& used,
           std::vector<std::string>& errors, std::vector<std::string>& notes, ResolvedConfig& out)
      : plugins_(plugins), origin_of_(origin_of), used_(used), errors_(errors), notes_(notes), out_(out) {}

  YAML::Node map(const YAML::Node& value, const SchemaNode& schema, const std::string& path) {
    YAML::Node result(YAML::NodeType::Map);
    if (value && !value.IsNull() && !value.IsMap()) {
      error(path, "expected a mapping (key: value), got " + describe(value));
      return result;
    }
    if (value && value.IsMap()) {
      for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (!schema.child(key)) unknown_key(join_path(path, key), key, schema.child_keys());
      }
    }
    for (const auto& [key, child] : schema.children) {
      const std::string p = join_path(path, key);
      const YAML::Node& cvalue = value;
      YAML::Node v = value && value.IsMap() ? cvalue[key] : absent();
      const bool present = v.IsDefined();
      if (child.task_block && path.empty()) {
        if (!used_.count(key)) {
          if (present) {
            node(v, child, p);  // still validated: a typo there is a typo
            notes_.push_back(origin_prefix(p) + "block '" + key + "' is not used by this task; ignored");
          }
          continue;
        }
      }
      if (!present) {
        if (child.kind == SchemaNode::Kind::PluginSlot && child.default_plugin.empty() && !child.required)
          continue;  // an optional plugin choice left out
        if (child.kind == SchemaNode::Kind::Leaf) {
          if (child.required) {
            error(p, "missing required key '" + p + "' (" + child.doc + ")");
            continue;
          }
          if (!child.default_value.IsDefined() || child.default_value.IsNull()) continue;
        }
      }
      YAML::Node r = node(present ? v : absent(), child, p);
      if (r.IsDefined() && !r.IsNull()) result[key] = r;
    }
    return result;
  }

  YAML::Node node(const YAML::Node& value, const SchemaNode& schema, const std::string& path) {
    switch (schema.kind) {
      case SchemaNode::Kind::Map: return map(value, schema, path);
      case SchemaNode::Kind::Leaf: return leaf(value.IsDefined() ? value : schema.default_value, schema, path);
      case SchemaNode::Kind::PluginSlot: return plugin_slot(value, schema, path);
      case SchemaNode::Kind::AxisMap: return YAML::Clone(value);  // sweep axes: checked by the sweep expander
      case SchemaNode::Kind::List: return list(value, schema, path);
    }
    return {};
  }

  // Absent or null = an empty list (left out of the resolved config); elements are addressed
  // as path[i] in messages.
  YAML::Node list(const YAML::Node& value, const SchemaNode& s, const std::string& path) {
    if (!value.IsDefined() || value.IsNull()) return {};
    if (!value.IsSequence()) {
      error(path, "expected a list of mappings (- key: value), got " + describe(value));
      return {};
    }
    YAML::Node result(YAML::NodeType::Sequence);
    for (std::size_t i = 0; i < value.size(); ++i)
      result.push_back(map(value[i], s.element.front(), path + "[" + std::to_string(i) + "]"));
    return result;
  }

  // An undefined node when the value is refused (the error is recorded): never a null one,
  // which yaml-cpp counts as defined.
  YAML::Node leaf(const YAML::Node& value, const SchemaNode& s, const std::string& path) {
    std::string why;
    YAML::Node canonical;
    if (is_list(s.type)) {
      if (s.scalar_is_list && value.IsScalar()) {
        YAML::Node one(YAML::NodeType::Sequence);
        one.push_back(value);
        return leaf(one, s, path);
      }
      if (!value.IsSequence()) {
        error(path, std::string("expected a ") + to_string(s.type) + " like [a, b], got " + describe(value));
        return absent();
      }
      canonical = YAML::Node(YAML::NodeType::Sequence);
      for (const auto& e : value) {
        YAML::Node c = canonical_scalar(e, element_type(s.type), why);
        if (!why.empty()) {
          error(path, "list element: " + why);
          return absent();
        }
        canonical.push_back(c);
      }
    } else {
      canonical = canonical_scalar(value, s.type, why);
      if (!why.empty()) {
        error(path, why);
        return absent();
      }
    }
    if (!s.choices.empty()) {
      auto check_choice = [&](const std::string& v) {
        for (const auto& c : s.choices) if (c == v) return true;
        std::string near = nearest(v, s.choices);
        error(path, "'" + v + "' is not one of " + join(s.choices, " | ") +
                        (near.empty() ? "" : " (did you mean '" + near + "'?)"));
        return false;
      };
      if (canonical.IsSequence()) {
        for (const auto& e : canonical) if (!check_choice(e.Scalar())) return absent();
      } else if (!check_choice(canonical.Scalar())) {
        return absent();
      }
    }
    if (auto w = check_bounds(canonical, s); !w.empty()) {
      error(path, w);
      return absent();
    }
    if (s.check) {
      if (auto w = s.check(canonical); !w.empty()) {
        error(path, w);
        return absent();
      }
    }
    if (s.type == ParamType::File) return file(canonical, path);
    return canonical;
  }

  // A File option: relative to the file that sets it (like `extends`), else (the command line)
  // to the current folder; must be a readable regular file. Returns the absolute path and
  // records the content hash for the trial id.
  YAML::Node file(const YAML::Node& canonical, const std::string& path) {
    namespace fs = std::filesystem;
    const Origin origin = origin_of_(path);
    fs::path given(canonical.Scalar());
    fs::path resolved = given;
    if (given.is_relative() && origin.line > 0) resolved = fs::path(origin.file).parent_path() / given;
    std::error_code ec;
    resolved = fs::absolute(resolved, ec).lexically_normal();
    if (!fs::is_regular_file(resolved, ec)) {
      error(path, "no such file '" + resolved.string() + "'" +
                      (given.is_relative() ? std::string(" ('") + given.string() + "' relative to " +
                                                 (origin.line > 0 ? "the file that sets it" : "the current folder") + ")"
                                           : std::string()));
      return absent();
    }
    try {
      out_.file_hashes[path] = file_content_hash(resolved);
    } catch (const std::exception& e) {
      error(path, "'" + resolved.string() + "': " + e.what());
      return absent();
    }
    return YAML::Node(resolved.string());
  }

  YAML::Node plugin_slot(const YAML::Node& value, const SchemaNode& s, const std::string& path) {
    // `optimizer: powell` is shorthand for `optimizer: {name: powell}`.
    YAML::Node given(YAML::NodeType::Map);
    if (value.IsDefined() && value.IsScalar()) {
      given[s.name_key] = value.Scalar();
    } else if (value.IsDefined() && value.IsMap()) {
      given.reset(YAML::Clone(value));
    } else if (value.IsDefined() && !value.IsNull()) {
      error(path, "expected a plugin choice like {" + s.name_key + ": NAME, ...}, got " + describe(value));
      return {};
    }
    const YAML::Node& cgiven = given;
    std::string name = cgiven[s.name_key] ? cgiven[s.name_key].Scalar() : s.default_plugin;
    const std::string name_path = join_path(path, s.name_key);
    if (name == s.default_plugin)
      for (const auto& [key, value] : s.default_options)
        if (!cgiven[key]) given[key] = value;
    if (name.empty()) {
      error(path, "missing required key '" + name_path + "': which " + to_string(s.plugin_kind) +
                      " plugin to use; known: " + join(plugins_.names(s.plugin_kind), ", "));
      return {};
    }
    const bool builtin = std::find(s.builtin_names.begin(), s.builtin_names.end(), name) != s.builtin_names.end();
    const PluginInfo* info = builtin ? nullptr : plugins_.find(s.plugin_kind, name);
    if (!info && !builtin) {
      auto known = s.builtin_names;
      for (auto& n : plugins_.names(s.plugin_kind)) known.push_back(n);
      std::string near = nearest(name, known);
      error(name_path, std::string("unknown ") + to_string(s.plugin_kind) + " plugin '" + name + "'" +
                           (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; known " +
                           to_string(s.plugin_kind) + " plugins: " +
                           (known.empty() ? "none loaded" : join(known, ", ")) +
                           " (see `qharness plugins`)");
      return {};
    }
    std::vector<ParamSpec> specs = s.common;
    if (info) specs.insert(specs.end(), info->params.begin(), info->params.end());
    std::vector<std::string> valid{s.name_key};
    for (const auto& sp : specs) valid.push_back(sp.name);
    for (const auto& [key, child] : s.children) valid.push_back(key);
    for (auto it = given.begin(); it != given.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
        // An option written for another plugin: say where this one was chosen when that is
        // elsewhere (an override, a sweep axis or another file).
        std::string of = std::string(" of ") + to_string(s.plugin_kind) + " '" + name + "'";
        const Origin chosen = origin_of_(name_path);
        if (cgiven[s.name_key] && chosen.file != origin_of_(join_path(path, key)).file) of += " (chosen at " + chosen.where() + ")";
        unknown_key(join_path(path, key), key, valid, of);
      }
    }
    YAML::Node result(YAML::NodeType::Map);
    result[s.name_key] = name;
    PluginSelection sel{s.plugin_kind, name, {}, builtin};
    for (const auto& sp : specs) {
      const std::string p = join_path(path, sp.name);
      YAML::Node v = cgiven[sp.name];
      if (!v.IsDefined() && sp.required) {
        error(p, "missing required option '" + p + "' of " + to_string(s.plugin_kind) + " '" + name + "' (" + sp.doc + ")");
        continue;
      }
      SchemaNode leaf_schema = leaf_from_spec(sp);
      if (!v.IsDefined() && (!leaf_schema.default_value.IsDefined() || leaf_schema.default_value.IsNull())) {
        sel.params.set(sp.name, std::monostate{});
        continue;
      }
      YAML::Node r = leaf(v.IsDefined() ? v : leaf_schema.default_value, leaf_schema, p);
      if (!r.IsDefined()) continue;
      result[sp.name] = r;
      sel.params.set(sp.name, to_param_value(r, sp.type));
    }
    // The task's own keys beside the plugin's options: resolved as a map of just those keys.
    if (!s.children.empty()) {
      SchemaNode own = SchemaNode::map("");
      own.children = s.children;
      YAML::Node given_own(YAML::NodeType::Map);
      for (const auto& [key, child] : s.children)
        if (cgiven[key]) given_own[key] = cgiven[key];
      const YAML::Node resolved_own = map(given_own, own, path);
      for (auto it = resolved_own.begin(); it != resolved_own.end(); ++it) result[it->first.Scalar()] = it->second;
    }
    out_.plugins[path] = std::move(sel);
    return result;
  }

 private:
  static std::string join_path(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }
  std::string origin_prefix(const std::string& path) {
    std::string w = origin_of_(path).where();
    return w.empty() ? "" : w + ": ";
  }
  void error(const std::string& path, const std::string& message) {
    errors_.push_back(origin_prefix(path) + path + ": " + message);
  }
  void unknown_key(const std::string& path, const std::string& key, const std::vector<std::string>& valid,
                   const std::string& where = "") {
    std::string near = nearest(key, valid);
    errors_.push_back(origin_prefix(path) + "unknown key '" + path + "'" + where +
                      (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; valid keys here: " + join(valid, ", "));
  }

  const PluginCatalog& plugins_;
  const OriginLookup& origin_of_;
  const std::set<std::string>& used_;
  std::vector<std::string>& errors_;
  std::vector<std::string>& notes_;
  ResolvedConfig& out_;
};

void emit(YAML::Emitter& out, const YAML::Node& node) {
  if (node.IsMap()) {
    out << YAML::BeginMap;
    for (auto it = node.begin(); it != node.end(); ++it) {
      out << YAML::Key << it->first.Scalar() << YAML::Value;
      emit(out, it->second);
    }
    out << YAML::EndMap;
  } else if (node.IsSequence()) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& e : node) emit(out, e);
    out << YAML::EndSeq;
  } else {
    out << node.Scalar();
  }
}

void flatten(const YAML::Node& node, const std::string& path, std::vector<std::string>& lines) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it)
      flatten(it->second, path.empty() ? it->first.Scalar() : path + "." + it->first.Scalar(), lines);
  } else if (node.IsSequence()) {
    std::vector<std::string> items;
    for (const auto& e : node) items.push_back(e.Scalar());
    lines.push_back(path + "=[" + join(items, ",") + "]");
  } else {
    lines.push_back(path + "=" + node.Scalar());
  }
}

}  // namespace

SchemaNode leaf_from_spec(const ParamSpec& spec) {
  YAML::Node def;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
        } else if constexpr (std::is_same_v<T, bool>) {
          def = YAML::Node(v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, double>) {
          def = YAML::Node(format_double(v));
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          def = YAML::Node(std::to_string(v));
        } else if constexpr (std::is_same_v<T, std::string>) {
          def = YAML::Node(v);
        } else {
          def = YAML::Node(YAML::NodeType::Sequence);
          for (const auto& e : v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(e)>, double>) def.push_back(format_double(e));
            else if constexpr (std::is_same_v<std::decay_t<decltype(e)>, std::int64_t>) def.push_back(std::to_string(e));
            else def.push_back(e);
          }
        }
      },
      spec.default_value);
  SchemaNode n = SchemaNode::leaf(spec.type, def, spec.doc);
  n.choices = spec.choices;
  n.required = spec.required;
  n.min = spec.min;
  n.max = spec.max;
  return n;
}

YAML::Node canonical_value(const YAML::Node& value, ParamType type, std::string& why) {
  if (is_list(type)) {
    if (!value.IsSequence()) { why = "expected a list"; return {}; }
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& e : value) {
      YAML::Node c = canonical_scalar(e, element_type(type), why);
      if (!why.empty()) return {};
      out.push_back(c);
    }
    return out;
  }
  return canonical_scalar(value, type, why);
}

ParamValue to_param_value(const YAML::Node& c, ParamType type) {
  switch (type) {
    case ParamType::Bool: return c.Scalar() == "true";
    case ParamType::Int: return static_cast<std::int64_t>(std::stoll(c.Scalar()));
    case ParamType::Double: return c.as<double>();
    case ParamType::String:
    case ParamType::File: return c.Scalar();
    case ParamType::DoubleList: return c.as<std::vector<double>>();
    case ParamType::IntList: {
      std::vector<std::int64_t> v;
      for (const auto& e : c) v.push_back(std::stoll(e.Scalar()));
      return v;
    }
    case ParamType::StringList: return c.as<std::vector<std::string>>();
  }
  return std::monostate{};
}

ResolvedConfig resolve_config(const YAML::Node& tree, const SchemaNode& schema,
                              const std::set<std::string>& used_blocks, const PluginCatalog& plugins,
                              const OriginLookup& origin_of, std::vector<std::string>& errors,
                              std::vector<std::string>& notes) {
  ResolvedConfig out;
  Resolver r(plugins, origin_of, used_blocks, errors, notes, out);
  out.tree = r.map(tree, schema, "");
  return out;
}

std::string ResolvedConfig::yaml() const {
  YAML::Emitter out;
  emit(out, tree);
  return std::string(out.c_str()) + "\n";
}

std::string ResolvedConfig::canonical() const {
  YAML::Node copy = YAML::Clone(tree);
  for (const char* k : {"name", "threads", "eval_cache_mb", "memory_format", "plugins", "sweep", "report"}) copy.remove(k);
  for (const auto& [path, hash] : file_hashes) {
    YAML::Node n = find_path(copy, path);
    if (n.IsDefined()) n = "content " + hash;  // assigning rewrites the node inside `copy`
  }
  std::vector<std::string> lines;
  flatten(copy, "", lines);
  std::sort(lines.begin(), lines.end());
  return join(lines, "\n") + "\n";
}

std::string ResolvedConfig::trial_id() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(canonical())));
  return std::string(buf, 12);
}

YAML::Node ResolvedConfig::at(const std::string& path) const {
  YAML::Node n = find_path(tree, path);
  if (!n.IsDefined()) throw std::out_of_range("config key '" + path + "' is not set");
  return n;
}

bool ResolvedConfig::has(const std::string& path) const { return find_path(tree, path).IsDefined(); }

const PluginSelection& ResolvedConfig::plugin(const std::string& slot_path) const {
  auto it = plugins.find(slot_path);
  if (it == plugins.end()) throw std::out_of_range("no plugin selected at '" + slot_path + "'");
  return it->second;
}

}  // namespace qharness
