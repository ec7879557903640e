#include "models/memory_format.hpp"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

namespace qharness {

void use_channels_last(QModel& model) {
  at::NoGradGuard no_grad;
  for (auto& p : model.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
}

at::Tensor channels_last(const at::Tensor& x) {
  return x.dim() == 4 ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
}

}  // namespace qharness
