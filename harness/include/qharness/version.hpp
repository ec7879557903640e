#pragma once
// The plugin API version. A plugin library records the version it was compiled against
// (QHARNESS_PLUGIN does it); the driver refuses a library whose version differs from its own,
// naming both. Bump this whenever a class or struct in include/qharness/ changes layout or a
// virtual function changes signature.
//
// History:
//   1  the first plugin API.
//   2  masks: Mask declares pattern() and scope() and may see every layer at once
//      (compute_all); n and m are the driver's common mask options; the mask utilities
//      (qharness/masks/) are harness API in libqharness_api. Quantizers: the contract is
//      written out in quantizer.hpp, Quantizer gains the virtual calibrate_method
//      (CalibrationMethod), PluginInfo gains QuantizerTraits (roles, clip_gradient).
#define QHARNESS_API_VERSION 2

namespace qharness {
inline constexpr int kApiVersion = QHARNESS_API_VERSION;
}  // namespace qharness
