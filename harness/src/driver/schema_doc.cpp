#include "driver/schema_doc.hpp"

#include "config/experiment_schema.hpp"
#include "config/resolve.hpp"
#include "tasks/task.hpp"
#include "util/text.hpp"

namespace qharness {
namespace {

// ", maxiter: 2" for a slot whose default plugin has slot-specific option defaults.
std::string slot_default_options(const SchemaNode& slot) {
  std::string out;
  for (const auto& [key, value] : slot.default_options) out += ", " + key + ": " + value;
  return out;
}

std::string default_text(const YAML::Node& d) {
  if (!d.IsDefined() || d.IsNull()) return "";
  if (d.IsSequence()) {
    std::vector<std::string> items;
    for (const auto& e : d) items.push_back(e.Scalar());
    return "`[" + join(items, ", ") + "]`";
  }
  return d.Scalar().empty() ? "`\"\"`" : "`" + d.Scalar() + "`";
}

std::string type_text(const SchemaNode& n) {
  std::string t = n.choices.empty() ? to_string(n.type) : join(n.choices, " \\| ");
  if (n.min && n.max) t += " in [" + format_double(*n.min) + ", " + format_double(*n.max) + "]";
  else if (n.min) t += " >= " + format_double(*n.min);
  else if (n.max) t += " <= " + format_double(*n.max);
  return t;
}

void row(std::ostream& out, const std::string& key, const std::string& type, const std::string& def,
         const std::string& doc) {
  out << "| `" << key << "` | " << type << " | " << def << " | " << doc << " |\n";
}

void walk(const SchemaNode& node, const std::string& path, std::ostream& out) {
  for (const auto& [key, child] : node.children) {
    const std::string p = path.empty() ? key : path + "." + key;
    switch (child.kind) {
      case SchemaNode::Kind::Map:
        row(out, p, "mapping", "", child.doc);
        walk(child, p, out);
        break;
      case SchemaNode::Kind::Leaf:
        row(out, p, type_text(child), child.required ? "**required**" : default_text(child.default_value), child.doc);
        break;
      case SchemaNode::Kind::PluginSlot: {
        row(out, p, std::string(to_string(child.plugin_kind)) + " plugin choice",
            child.default_plugin.empty() ? "" : "`{" + child.name_key + ": " + child.default_plugin + slot_default_options(child) + "}`",
            child.doc + "; takes the chosen plugin's options (below)");
        std::string builtin;
        for (const auto& b : child.builtin_names) builtin += "`" + b + "`, ";
        row(out, p + "." + child.name_key, std::string(to_string(child.plugin_kind)) + " plugin name",
            child.default_plugin.empty() ? "" : "`" + child.default_plugin + "`",
            builtin.empty() ? "see `qharness plugins`" : builtin + "or a plugin (see `qharness plugins`)");
        for (const auto& spec : child.common) {
          SchemaNode leaf = leaf_from_spec(spec);
          row(out, p + "." + spec.name, type_text(leaf), default_text(leaf.default_value), spec.doc);
        }
        walk(child, p, out);  // the task's own keys beside the plugin's options
        break;
      }
      case SchemaNode::Kind::AxisMap:
        row(out, p, "mapping of key path to list", "", child.doc);
        break;
      case SchemaNode::Kind::List:
        row(out, p, "list of mappings", "`[]`", child.doc);
        walk(child.element.front(), p + "[]", out);
        break;
    }
  }
}

}  // namespace

void print_schema_markdown(const PluginRegistry& plugins, std::ostream& out) {
  out << "| key | type | default | meaning |\n| --- | --- | --- | --- |\n";
  walk(experiment_schema(all_tasks()), "", out);
  for (PluginKind kind : {PluginKind::Optimizer, PluginKind::Quantizer, PluginKind::Mask}) {
    for (const auto& name : plugins.names(kind)) {
      const PluginInfo* info = plugins.find(kind, name);
      out << "\n**" << to_string(kind) << " `" << name << "`** — " << info->description << "\n\n";
      if (info->params.empty()) {
        out << "(no options of its own)\n";
        continue;
      }
      out << "| option | type | default | meaning |\n| --- | --- | --- | --- |\n";
      for (const auto& spec : info->params) {
        SchemaNode leaf = leaf_from_spec(spec);
        row(out, spec.name, type_text(leaf), spec.required ? "**required**" : default_text(leaf.default_value), spec.doc);
      }
    }
  }
}

}  // namespace qharness
