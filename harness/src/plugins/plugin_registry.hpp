#pragma once
// Discovers and loads plugin libraries (Boost.DLL), checks their API version, and builds
// plugins by name. Search order: the build's (or install's) plugin folder, then the folders
// and files in $QHARNESS_PLUGIN_PATH (colon-separated), then `plugins:` in the YAML.
// Libraries stay loaded for the life of the process: plugin objects and factories point into
// their code.
#include <memory>
#include <string>
#include <vector>

#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "qharness/plugin.hpp"

namespace qharness {

struct LoadedPlugin {
  PluginKind kind;
  PluginInfo info;
  std::string library;   // the file it came from
  QuantizerFactory quantizer;
  OptimizerFactory optimizer;
  MaskFactory mask;
};

class PluginRegistry : public PluginCatalog {
 public:
  // The folder next to the driver (<bindir>/../lib/qharness/plugins), then $QHARNESS_PLUGIN_PATH.
  static std::vector<std::string> default_search_path();

  // Loads every *.so in a folder (sorted by name), or one library file. A library already
  // loaded is skipped. Throws ConfigError when a path does not exist, a library cannot be
  // opened, was built for another API version, or registers a name its kind already has.
  // A shared library without qharness symbols is skipped with a warning.
  void load(const std::string& folder_or_file);
  void load_all(const std::vector<std::string>& paths) {
    for (const auto& p : paths) load(p);
  }

  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  const PluginInfo* find(PluginKind kind, const std::string& name) const override;
  std::vector<std::string> names(PluginKind kind) const override;

  std::unique_ptr<Optimizer> make_optimizer(const PluginSelection& s) const;
  std::unique_ptr<Quantizer> make_quantizer(const PluginSelection& s) const;
  std::unique_ptr<Mask> make_mask(const PluginSelection& s) const;

  // Adds a plugin directly (used by the registration of a library, and by tests).
  void add(LoadedPlugin plugin);

 private:
  void load_library(const std::string& file);
  const LoadedPlugin& get(PluginKind kind, const std::string& name) const;

  std::vector<LoadedPlugin> plugins_;
  std::vector<std::string> loaded_files_;
  std::vector<std::string> warnings_;
};

}  // namespace qharness
