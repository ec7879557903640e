// What a mask plugin library compiled against plugin API version 1 looks like to the driver:
// it reports version 1 (in v1 a Mask had compute() only, with no declared pattern, and its
// vtable layout differs from v2's). Exported by hand, as QHARNESS_PLUGIN would have done with
// the v1 headers. The driver must refuse the library, naming both versions, without calling
// its registration function.
#include <qharness/plugin.hpp>

#include <cstdlib>

namespace v1_mask_plugin {
int api_version() { return 1; }
void register_plugins(qharness::Registrar&) { std::abort(); }  // must never be called
}  // namespace v1_mask_plugin

BOOST_DLL_ALIAS(v1_mask_plugin::api_version, qharness_api_version)
BOOST_DLL_ALIAS(v1_mask_plugin::register_plugins, qharness_register)
