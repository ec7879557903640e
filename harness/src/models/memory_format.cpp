#include "models/memory_format.hpp"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <stdexcept>

namespace qharness {

bool wants_channels_last(const std::string& setting, ModelUse use) {
  if (setting == "channels-last") return true;
  if (setting == "contiguous") return false;
  if (setting == "auto") return use == ModelUse::Evaluation;
  throw std::invalid_argument("memory_format: expected auto, contiguous or channels-last, got '" + setting + "'");
}

void use_channels_last(QModel& model) {
  at::NoGradGuard no_grad;
  for (auto& p : model.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
}

at::Tensor channels_last(const at::Tensor& x) {
  return x.dim() == 4 ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
}

}  // namespace qharness
