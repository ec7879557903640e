// A plugin library that claims plugin API version 999: what a library built against another
// qharness looks like to the driver. Exported by hand (not with QHARNESS_PLUGIN, which would
// stamp the current version). The driver must refuse it, naming both versions, without
// calling its registration function.
#include <qharness/plugin.hpp>

#include <cstdlib>

namespace bad_plugin {
int api_version() { return 999; }
void register_plugins(qharness::Registrar&) { std::abort(); }  // must never be called
}  // namespace bad_plugin

BOOST_DLL_ALIAS(bad_plugin::api_version, qharness_api_version)
BOOST_DLL_ALIAS(bad_plugin::register_plugins, qharness_register)
