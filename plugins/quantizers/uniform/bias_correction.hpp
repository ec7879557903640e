#pragma once
// Bias correction of quantized weights (Banner, Nahshan, Soudry, NeurIPS 2019, section 4.3,
// the mean term): quantization shifts each output channel's mean weight, which biases that
// channel's output; adding back the per-channel mean difference removes the bias.
//
//   corrected[c] = quantized[c] + (mean(weight[c]) - mean(quantized[c]))
//
// for every slice c along `channel_axis` (0: the output channel of Linear [out, in] and
// Conv2d [out, in, kh, kw] weights). Header-only so that the ptq task can use it without
// linking the plugin. Differentiable in both tensors (plain ATen ops). The result is off the
// quantizer's grid by the per-channel constant, as in the paper (it is folded into the
// layer's bias in integer hardware).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace qharness::plugins::uniform {

inline at::Tensor bias_corrected(const at::Tensor& weight, const at::Tensor& quantized,
                                 std::int64_t channel_axis = 0) {
  if (weight.sizes() != quantized.sizes())
    throw std::invalid_argument("bias correction: the weight and its quantized copy differ in shape");
  if (channel_axis < 0 || channel_axis >= weight.dim())
    throw std::invalid_argument("bias correction: channel axis " + std::to_string(channel_axis) +
                                " is outside a " + std::to_string(weight.dim()) + "-d weight");
  std::vector<std::int64_t> reduce;
  for (std::int64_t d = 0; d < weight.dim(); ++d)
    if (d != channel_axis) reduce.push_back(d);
  if (reduce.empty()) return weight;  // 1-d: every channel is one value, corrected to itself
  const at::Tensor shift =
      weight.mean(reduce, /*keepdim=*/true).sub(quantized.mean(reduce, /*keepdim=*/true));
  return quantized.add(shift);
}

}  // namespace qharness::plugins::uniform
