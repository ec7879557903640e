#include "quant/calibrate.hpp"

#include <ATen/ATen.h>

#include <sstream>
#include <stdexcept>

#include "quant/aciq_clip.hpp"
#include "quant/calibration_method.hpp"
#include "quant/lp_clip.hpp"
#include "quant/minmax_clip.hpp"

namespace qharness {
namespace {

at::Tensor generic_clip(Quantizer& quantizer, const at::Tensor& x, const QuantTarget& target,
                        const CalibrationMethod& method, const SlotCalibration& slot) {
  switch (method.kind) {
    case CalibrationMethod::Kind::MinMax:
      return minmax_clip(x, target.is_signed, slot.per_channel, target.channel_axis);
    case CalibrationMethod::Kind::Mse:
      return lp_clip(quantizer, x, target, slot.per_channel, 2.0, slot.noise);
    case CalibrationMethod::Kind::Lp:
      return lp_clip(quantizer, x, target, slot.per_channel, method.p, slot.noise);
    case CalibrationMethod::Kind::Aciq:
      return aciq_clip(x, target.is_signed, slot.per_channel, target.channel_axis, slot.bits);
  }
  throw std::logic_error("calibration: unknown method");
}

// The contract's clip for x: 0-d (or one value) per tensor, [C] per channel; finite, > 0.
void check_clip(const at::Tensor& clip, const at::Tensor& x, const QuantTarget& target, const CalibrationMethod& method,
                const SlotCalibration& slot) {
  std::ostringstream why;
  if (slot.per_channel && (clip.dim() != 1 || clip.size(0) != x.size(target.channel_axis)))
    why << "a per-channel clip must have shape [" << x.size(target.channel_axis) << "] for a tensor of shape "
        << x.sizes() << ", got " << clip.sizes();
  else if (!slot.per_channel && clip.numel() != 1)
    why << "a per-tensor clip must hold one value, got shape " << clip.sizes();
  else if (!at::isfinite(clip).all().item<bool>() || !(clip.min().item<double>() > 0))
    why << "clips must be finite and > 0, got " << clip.min().item<double>() << " .. " << clip.max().item<double>();
  if (why.tellp() > 0)
    throw std::invalid_argument("quantizer '" + slot.plugin + "': calibrate_method(" + to_string(method.kind) +
                                ") broke the clip contract: " + why.str());
}

}  // namespace

at::Tensor calibrate_by_method(Quantizer& quantizer, const at::Tensor& x, const QuantTarget& target,
                               const CalibrationMethod& method, const SlotCalibration& slot) {
  at::NoGradGuard no_grad;
  const at::Tensor own = quantizer.calibrate_method(x, target, method);
  if (!own.defined()) return generic_clip(quantizer, x, target, method, slot);
  check_clip(own, x, target, method, slot);
  return own;
}

}  // namespace qharness
