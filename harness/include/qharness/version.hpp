#pragma once
// The plugin API version. A plugin library records the version it was compiled against
// (QHARNESS_PLUGIN does it); the driver refuses a library whose version differs from its own,
// naming both. Bump this whenever a class or struct in include/qharness/ changes layout or a
// virtual function changes signature.
#define QHARNESS_API_VERSION 1

namespace qharness {
inline constexpr int kApiVersion = QHARNESS_API_VERSION;
}  // namespace qharness
