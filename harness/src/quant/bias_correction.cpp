#include "quant/bias_correction.hpp"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace qharness {

at::Tensor bias_corrected(const at::Tensor& weight, const at::Tensor& quantized, std::int64_t channel_axis) {
  if (weight.sizes() != quantized.sizes())
    throw std::invalid_argument("bias correction: the weight and its quantized copy differ in shape");
  if (channel_axis < 0 || channel_axis >= weight.dim())
    throw std::invalid_argument("bias correction: channel axis " + std::to_string(channel_axis) +
                                " is outside a " + std::to_string(weight.dim()) + "-d weight");
  std::vector<std::int64_t> reduce;
  for (std::int64_t d = 0; d < weight.dim(); ++d)
    if (d != channel_axis) reduce.push_back(d);
  if (reduce.empty()) return weight;  // 1-d: every channel is one value, corrected to itself
  const at::Tensor shift = weight.mean(reduce, /*keepdim=*/true).sub(quantized.mean(reduce, /*keepdim=*/true));
  return quantized.add(shift);
}

BiasCorrectedQuantizer::BiasCorrectedQuantizer(std::shared_ptr<Quantizer> inner) : inner_(std::move(inner)) {
  if (!inner_) throw std::invalid_argument("bias correction: no quantizer to wrap");
}

at::Tensor BiasCorrectedQuantizer::calibrate(const at::Tensor& x, const QuantTarget& target) {
  return inner_->calibrate(x, target);
}

at::Tensor BiasCorrectedQuantizer::quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget& target,
                                            at::Generator& generator) {
  return bias_corrected(x, inner_->quantize(x, clip, target, generator), target.channel_axis);
}

at::Tensor BiasCorrectedQuantizer::calibrate_method(const at::Tensor& x, const QuantTarget& target,
                                                    const CalibrationMethod& method) {
  return inner_->calibrate_method(x, target, method);
}

}  // namespace qharness
