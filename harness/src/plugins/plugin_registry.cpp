#include "plugins/plugin_registry.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <boost/filesystem.hpp>

#include <algorithm>
#include <cstdlib>

#include "util/text.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

// Never destroyed: code in these libraries may run until the very end of the process
// (destructors of plugin objects held in statics, for instance).
std::vector<boost::dll::shared_library>& loaded_libraries() {
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  return *libraries;
}

// Adds what one library registers, remembering which file it came from.
class LibraryRegistrar : public Registrar {
 public:
  LibraryRegistrar(PluginRegistry& registry, std::string library)
      : registry_(registry), library_(std::move(library)) {}
  void add_quantizer(PluginInfo info, QuantizerFactory f) override {
    registry_.add({PluginKind::Quantizer, std::move(info), library_, std::move(f), {}, {}});
  }
  void add_optimizer(PluginInfo info, OptimizerFactory f) override {
    registry_.add({PluginKind::Optimizer, std::move(info), library_, {}, std::move(f), {}});
  }
  void add_mask(PluginInfo info, MaskFactory f) override {
    registry_.add({PluginKind::Mask, std::move(info), library_, {}, {}, std::move(f)});
  }

 private:
  PluginRegistry& registry_;
  std::string library_;
};

}  // namespace

std::vector<std::string> PluginRegistry::default_search_path() {
  std::vector<std::string> path;
  fs::path exe_dir = boost::dll::program_location().parent_path();
  fs::path build_dir = exe_dir / ".." / "lib" / "qharness" / "plugins";
  if (fs::is_directory(build_dir)) path.push_back(fs::weakly_canonical(build_dir).string());
  if (const char* env = std::getenv("QHARNESS_PLUGIN_PATH")) {
    for (const auto& p : split(env, ':'))
      if (!trim(p).empty()) path.push_back(p);
  }
  return path;
}

void PluginRegistry::load(const std::string& folder_or_file) {
  fs::path p(folder_or_file);
  if (!fs::exists(p))
    throw ConfigError("plugin path '" + folder_or_file + "' does not exist");
  if (fs::is_directory(p)) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(p))
      if (fs::is_regular_file(e.path()) && e.path().extension() == ".so") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) load_library(f);
  } else {
    load_library(p.string());
  }
}

void PluginRegistry::load_library(const std::string& file) {
  const std::string canonical = fs::weakly_canonical(fs::path(file)).string();
  if (std::find(loaded_files_.begin(), loaded_files_.end(), canonical) != loaded_files_.end()) return;

  boost::dll::shared_library lib;
  try {
    lib.load(canonical, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw ConfigError("plugin library " + canonical + " cannot be loaded: " + e.what());
  }
  if (!lib.has("qharness_api_version") || !lib.has("qharness_register")) {
    warnings_.push_back(canonical + " is not a qharness plugin (no qharness_api_version/qharness_register symbol); skipped");
    return;
  }
  // Read the version before calling anything else in the library: a library built against
  // another API may lay out PluginInfo or Registrar differently.
  const int version = lib.get_alias<ApiVersionFunction>("qharness_api_version")();
  if (version != kApiVersion)
    throw ConfigError("plugin library " + canonical + " was built for qharness plugin API version " +
                      std::to_string(version) + ", but this qharness has plugin API version " +
                      std::to_string(kApiVersion) +
                      ": rebuild it against this qharness, or remove it from the plugin path");
  loaded_files_.push_back(canonical);
  LibraryRegistrar registrar(*this, canonical);
  lib.get_alias<RegisterFunction>("qharness_register")(registrar);
  loaded_libraries().push_back(std::move(lib));
}

void PluginRegistry::add(LoadedPlugin plugin) {
  for (const auto& p : plugins_) {
    if (p.kind == plugin.kind && p.info.name == plugin.info.name)
      throw ConfigError(std::string("two ") + to_string(plugin.kind) + " plugins are named '" + plugin.info.name +
                        "': one in " + p.library + ", one in " + plugin.library +
                        "; remove one of them from the plugin path or rename it");
  }
  if (plugin.info.name.empty())
    throw ConfigError(std::string("a ") + to_string(plugin.kind) + " plugin in " + plugin.library + " has an empty name");
  plugins_.push_back(std::move(plugin));
}

const PluginInfo* PluginRegistry::find(PluginKind kind, const std::string& name) const {
  for (const auto& p : plugins_)
    if (p.kind == kind && p.info.name == name) return &p.info;
  return nullptr;
}

std::vector<std::string> PluginRegistry::names(PluginKind kind) const {
  std::vector<std::string> out;
  for (const auto& p : plugins_)
    if (p.kind == kind) out.push_back(p.info.name);
  std::sort(out.begin(), out.end());
  return out;
}

const LoadedPlugin& PluginRegistry::get(PluginKind kind, const std::string& name) const {
  for (const auto& p : plugins_)
    if (p.kind == kind && p.info.name == name) return p;
  throw ConfigError(std::string("unknown ") + to_string(kind) + " plugin '" + name + "'; known: " + join(names(kind), ", "));
}

std::unique_ptr<Optimizer> PluginRegistry::make_optimizer(const PluginSelection& s) const {
  return get(PluginKind::Optimizer, s.name).optimizer(s.params);
}
std::unique_ptr<Quantizer> PluginRegistry::make_quantizer(const PluginSelection& s) const {
  return get(PluginKind::Quantizer, s.name).quantizer(s.params);
}
std::unique_ptr<Mask> PluginRegistry::make_mask(const PluginSelection& s) const {
  return get(PluginKind::Mask, s.name).mask(s.params);
}

}  // namespace qharness
