#include "config/raw_config.hpp"

#include <boost/filesystem.hpp>

#include <fstream>
#include <set>
#include <unordered_map>
#include <sstream>

#include "config/yaml_text.hpp"
#include "util/text.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

Origin origin_from_mark(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

void erase_origins_under(std::map<std::string, Origin>& origins, const std::string& path) {
  for (auto it = origins.lower_bound(path); it != origins.end() && starts_with(it->first, path);) {
    if (it->first.size() == path.size() || it->first[path.size()] == '.')
      it = origins.erase(it);
    else
      ++it;
  }
}

// Records the origin of every key of `node` and refuses duplicate keys, which yaml-cpp
// would otherwise resolve silently.
void record_origins(const YAML::Node& node, const std::string& path, const std::string& file,
                    std::map<std::string, Origin>& origins) {
  if (!node.IsMap()) return;
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar())
      throw ConfigError(origin_from_mark(file, it->first.Mark()), "keys must be plain scalars");
    const std::string key = it->first.Scalar();
    const Origin origin = origin_from_mark(file, it->first.Mark());
    if (!seen.insert(key).second)
      throw ConfigError(origin, "duplicate key '" + child_path(path, key) + "'");
    const std::string p = child_path(path, key);
    origins[p] = origin;
    record_origins(it->second, p, file, origins);
  }
}

// Merges `src` into `dst`: maps key by key, anything else replaced. Origins follow.
// yaml-cpp finds a key of a map by scanning the map, so dst's keys are indexed once: a file
// of many keys merges in linear time, not quadratic.
void merge_into(YAML::Node dst, const YAML::Node& src, const std::string& path,
                std::map<std::string, Origin>& dst_origins,
                const std::map<std::string, Origin>& src_origins) {
  std::unordered_map<std::string, YAML::Node> index;
  for (auto it = dst.begin(); it != dst.end(); ++it) index.emplace(it->first.Scalar(), it->second);
  for (auto it = src.begin(); it != src.end(); ++it) {
    const std::string key = it->first.Scalar();
    const std::string p = child_path(path, key);
    const auto existing = index.find(key);
    if (existing != index.end() && existing->second.IsMap() && it->second.IsMap()) {
      merge_into(existing->second, it->second, p, dst_origins, src_origins);
      if (auto o = src_origins.find(p); o != src_origins.end()) dst_origins[p] = o->second;
    } else {
      if (existing != index.end())
        existing->second = YAML::Clone(it->second);   // assigning rewrites the entry it refers to
      else
        dst.force_insert(key, YAML::Clone(it->second));   // src's keys are unique: no search
      erase_origins_under(dst_origins, p);
      for (auto o = src_origins.lower_bound(p);
           o != src_origins.end() && starts_with(o->first, p); ++o)
        if (o->first.size() == p.size() || o->first[p.size()] == '.') dst_origins[o->first] = o->second;
    }
  }
}

// "" when `file` can be read as an experiment file, else what is wrong with it.
std::string file_problem(const std::string& file) {
  boost::system::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  if (st.type() == fs::file_not_found) return "no such file";
  if (st.type() == fs::directory_file) return "a folder, not a YAML file";
  if (ec) return ec.message();
  if (st.type() != fs::regular_file) return "not a regular file";
  if (!std::ifstream(file, std::ios::binary)) return "cannot be read";
  return "";
}

std::string read_text(const std::string& file) {
  check_experiment_file(file);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One document per file: a second one (after `---`) would otherwise be ignored silently.
YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  std::vector<YAML::Node> documents;
  try {
    documents = load_all_yaml(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(origin_from_mark(file, e.mark), "YAML syntax error: " + e.msg);
  }
  if (documents.size() > 1)
    throw ConfigError(origin_from_mark(file, documents[1].Mark()),
                      "a second YAML document: an experiment file holds one (remove the `---` line, or "
                      "put the second experiment in a file of its own)");
  return documents.empty() ? YAML::Node() : documents.front();
}

struct Loaded {
  YAML::Node root;
  std::map<std::string, Origin> origins;
};

// Files already loaded, by canonical path: a base file that several files extend (a diamond)
// is read and merged once, not once per path to it (2^depth times for a chain of diamonds).
using LoadedFiles = std::map<std::string, Loaded>;

Loaded load_recursive(const std::string& file, std::vector<std::string>& stack, LoadedFiles& loaded) {
  const std::string canonical = fs::weakly_canonical(fs::path(file)).string();
  for (const auto& f : stack)
    if (f == canonical)
      throw ConfigError(file + ": `extends` cycle: " + join(stack, " -> ") + " -> " + canonical);
  if (auto it = loaded.find(canonical); it != loaded.end()) return it->second;   // merged from, never into
  stack.push_back(canonical);

  const std::string text = read_text(file);
  YAML::Node doc = parse_yaml(text, file);
  if (doc.IsNull()) doc = YAML::Node(YAML::NodeType::Map);
  if (!doc.IsMap())
    throw ConfigError(origin_from_mark(file, doc.Mark()),
                      "an experiment file must be a YAML mapping (key: value lines)");
  Loaded own;
  own.root = doc;
  record_origins(doc, "", file, own.origins);

  Loaded result{YAML::Node(YAML::NodeType::Map), {}};
  if (YAML::Node ext = doc["extends"]; ext) {
    std::vector<std::string> bases;
    if (ext.IsScalar()) {
      bases.push_back(ext.Scalar());
    } else if (ext.IsSequence()) {
      for (const auto& e : ext) {
        if (!e.IsScalar())
          throw ConfigError(origin_from_mark(file, e.Mark()), "extends: expected a file path");
        bases.push_back(e.Scalar());
      }
    } else {
      throw ConfigError(own.origins["extends"], "extends: expected a file path or a list of them");
    }
    const fs::path dir = fs::path(file).parent_path();
    for (const auto& base : bases) {
      fs::path p = fs::path(base).is_absolute() ? fs::path(base) : dir / base;
      if (std::string why = file_problem(p.string()); !why.empty())
        throw ConfigError(own.origins["extends"], "extends: '" + p.string() + "': " + why);
      Loaded b = load_recursive(p.string(), stack, loaded);
      merge_into(result.root, b.root, "", result.origins, b.origins);
    }
    doc.remove("extends");
    erase_origins_under(own.origins, "extends");
  }
  merge_into(result.root, own.root, "", result.origins, own.origins);
  stack.pop_back();
  loaded.emplace(canonical, result);
  return result;
}

// Splits "a,b,[c,d]" at top-level commas only.
std::vector<std::string> split_top_level(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  return out;
}

YAML::Node parse_override_value(const std::string& text, const std::string& override_text) {
  try {
    YAML::Node v = load_yaml(text);
    if (v.IsNull() && trim(text).empty())
      throw ConfigError("command line: '" + override_text + "': empty value");
    return v;
  } catch (const YAML::ParserException& e) {
    throw ConfigError("command line: '" + override_text + "': cannot parse the value: " + e.msg);
  }
}

void set_override(RawConfig& config, const std::string& key, const YAML::Node& value, const std::string& ov) {
  try {
    set_path(config.root, key, value);
  } catch (const ConfigError& e) {
    throw ConfigError("command line '" + ov + "': " + e.what());
  }
  erase_origins_under(config.origins, key);
  config.origins[key] = Origin{"command line '" + ov + "'", 0, 0};
}

}  // namespace

void check_experiment_file(const std::string& file) {
  if (std::string why = file_problem(file); !why.empty())
    throw ConfigError(file + ": cannot read the experiment file: " + why);
}

Origin RawConfig::origin_of(const std::string& path) const {
  std::string p = path;
  while (true) {
    if (auto it = origins.find(p); it != origins.end()) return it->second;
    auto dot = p.rfind('.');
    if (dot == std::string::npos) return {file, 0, 0};
    p.resize(dot);
  }
}

YAML::Node find_path(const YAML::Node& root, const std::string& path) {
  YAML::Node cur = root;
  for (const auto& part : split(path, '.')) {
    if (!cur.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node next = cur[part];
    if (!next) return YAML::Node(YAML::NodeType::Undefined);
    cur.reset(next);  // reset, not =: assigning a yaml-cpp Node rewrites the node it refers to
  }
  return cur;
}

std::string flow_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) return "null";
  YAML::Emitter emitter;
  emitter << YAML::Flow << node;
  return emitter.c_str();
}

std::optional<std::string> find_path_text(const YAML::Node& root, const std::string& path) {
  const YAML::Node value = find_path(root, path);
  if (!value.IsDefined() || value.IsNull()) return std::nullopt;
  return flow_text(value);
}

void set_path(YAML::Node& root, const std::string& path, const YAML::Node& value) {
  auto parts = split(path, '.');
  YAML::Node cur = root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = cur[parts[i]];
    if (!next || next.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(cur[parts[i]]);
    } else if (!next.IsMap()) {
      throw ConfigError("cannot set '" + path + "': '" + join({parts.begin(), parts.begin() + i + 1}, ".") +
                        "' is not a mapping");
    }
    cur.reset(next);  // reset, not =: assigning a yaml-cpp Node rewrites the node it refers to
  }
  cur[parts.back()] = YAML::Clone(value);
}

bool erase_path(YAML::Node& root, const std::string& path) {
  auto dot = path.rfind('.');
  YAML::Node parent = dot == std::string::npos ? root : find_path(root, path.substr(0, dot));
  if (!parent || !parent.IsMap()) return false;
  return parent.remove(dot == std::string::npos ? path : path.substr(dot + 1));
}

RawConfig load_experiment(const std::string& file) {
  std::vector<std::string> stack;
  LoadedFiles loaded;
  Loaded l = load_recursive(file, stack, loaded);
  RawConfig raw;
  raw.root = l.root;
  raw.origins = std::move(l.origins);
  raw.file = file;
  raw.text = read_text(file);
  return raw;
}

void apply_overrides(RawConfig& config, const std::vector<std::string>& overrides) {
  for (const auto& ov : overrides) {
    auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("command line: '" + ov + "': expected key.path=value or key.path=a,b,c");
    const std::string key = trim(ov.substr(0, eq));
    const std::string value = ov.substr(eq + 1);
    const Origin origin{"command line '" + ov + "'", 0, 0};
    config.overrides.push_back(ov);

    // A key set on the command line is no longer swept by the file.
    YAML::Node sweep = config.root["sweep"];
    for (const char* axis_kind : {"grid", "zip"}) {
      if (sweep && sweep.IsMap() && sweep[axis_kind] && sweep[axis_kind].IsMap())
        sweep[axis_kind].remove(key);
      if (sweep && sweep.IsMap() && sweep[axis_kind] && sweep[axis_kind].IsSequence())
        for (auto group : sweep[axis_kind])  // zip groups
          if (group.IsMap()) group.remove(key);
      config.origins.erase(std::string("sweep.") + axis_kind + "." + key);  // not sweep.grid.<key>.*: other axes
    }

    // Keys of the sweep block are never sweep axes themselves: `sweep.seeds=0,1,2` is a list,
    // and `sweep.grid.a.b=[1,2]` sets the axis `a.b` (whose name has dots of its own).
    if (key == "sweep" || starts_with(key, "sweep.")) {
      auto items = split_top_level(value);
      YAML::Node v;
      if (items.size() > 1) {
        v = YAML::Node(YAML::NodeType::Sequence);
        for (const auto& item : items) v.push_back(parse_override_value(item, ov));
      } else {
        v = parse_override_value(value, ov);
      }
      std::string axis_kind;
      for (const char* kind : {"grid", "zip"})
        if (starts_with(key, std::string("sweep.") + kind + ".")) axis_kind = kind;
      if (axis_kind.empty()) {
        set_override(config, key, v, ov);
      } else {
        const std::string axis = key.substr(std::string("sweep.").size() + axis_kind.size() + 1);
        if (!config.root["sweep"] || !config.root["sweep"].IsMap()) config.root["sweep"] = YAML::Node(YAML::NodeType::Map);
        YAML::Node s = config.root["sweep"];
        if (!s[axis_kind] || !s[axis_kind].IsMap()) {
          if (s[axis_kind] && !s[axis_kind].IsNull())
            throw ConfigError("command line '" + ov + "': sweep." + axis_kind + " is a list of zip groups here; "
                              "set the whole sweep." + axis_kind + " instead");
          s[axis_kind] = YAML::Node(YAML::NodeType::Map);
        }
        s[axis_kind][axis] = v;
        config.origins["sweep." + axis_kind + "." + axis] = origin;
      }
      continue;
    }

    auto items = split_top_level(value);
    if (items.size() > 1) {
      YAML::Node list(YAML::NodeType::Sequence);
      for (const auto& item : items) list.push_back(parse_override_value(item, ov));
      if (!config.root["sweep"] || !config.root["sweep"].IsMap())
        config.root["sweep"] = YAML::Node(YAML::NodeType::Map);
      YAML::Node s = config.root["sweep"];
      if (!s["grid"] || !s["grid"].IsMap()) s["grid"] = YAML::Node(YAML::NodeType::Map);
      s["grid"][key] = list;
      config.origins["sweep.grid." + key] = origin;
    } else {
      set_override(config, key, parse_override_value(value, ov), ov);
    }
  }
}

}  // namespace qharness
