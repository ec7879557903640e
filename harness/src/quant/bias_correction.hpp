#pragma once
// Bias correction of quantized weights (Banner, Nahshan, Soudry, NeurIPS 2019, section 4.3,
// the mean term): quantization shifts each output channel's mean weight, which biases that
// channel's output; adding back the per-channel mean difference removes the bias.
//
//   corrected[c] = quantized[c] + (mean(weight[c]) - mean(quantized[c]))
//
// for every slice c along `channel_axis` (0: the output channel of Linear [out, in] and
// Conv2d [out, in, kh, kw] weights). Differentiable in both tensors (plain ATen ops). The
// result is off the quantizer's grid by the per-channel constant, as in the paper (it is
// folded into the layer's bias in integer hardware). It needs nothing of the quantizer, so
// the harness applies it to any quantizer plugin (ptq.bias_correction).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "qharness/quantizer.hpp"

namespace qharness {

at::Tensor bias_corrected(const at::Tensor& weight, const at::Tensor& quantized, std::int64_t channel_axis = 0);

// A quantizer that quantizes with `inner`, then restores each channel's mean along the
// target's channel axis. Calibration is the inner quantizer's (calibrate and calibrate_method
// are forwarded), so a calibrated clip does not depend on whether the correction is on.
class BiasCorrectedQuantizer : public Quantizer {
 public:
  explicit BiasCorrectedQuantizer(std::shared_ptr<Quantizer> inner);
  at::Tensor calibrate(const at::Tensor& x, const QuantTarget& target) override;
  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget& target,
                      at::Generator& generator) override;
  at::Tensor calibrate_method(const at::Tensor& x, const QuantTarget& target,
                              const CalibrationMethod& method) override;

 private:
  std::shared_ptr<Quantizer> inner_;
};

}  // namespace qharness
