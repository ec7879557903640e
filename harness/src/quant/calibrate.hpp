#pragma once
// The clip a calibration method gives for one tensor of one slot: the plugin's own
// Quantizer::calibrate_method where it returns a clip, else the harness's generic method,
// computed through the quantizer's quantize() (minmax_clip, lp_clip, aciq_clip). Either way
// the result is checked against the contract (quantizer.hpp): the slot's shape, finite, > 0.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "qharness/quantizer.hpp"

namespace qharness {

// What the calibration needs to know of the slot besides its quantizer: the slot's common
// options and, for messages, the plugin's name.
struct SlotCalibration {
  std::string plugin;          // the quantizer plugin's name
  bool per_channel = false;    // `granularity: per-channel`: one clip per slice along the channel axis
  std::int64_t bits = 8;       // `bits` (aciq's alpha)
  at::Generator noise;         // the state every generic Lp evaluation starts from (lp_clip.hpp)
};

// Runs without autograd. Throws std::invalid_argument naming the plugin and the method when
// the plugin's clip breaks the contract.
at::Tensor calibrate_by_method(Quantizer& quantizer, const at::Tensor& x, const QuantTarget& target,
                               const CalibrationMethod& method, const SlotCalibration& slot);

}  // namespace qharness
