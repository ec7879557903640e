#pragma once
// Multiply-accumulates of each quantized layer's forward product for one image: the weight of
// a layer in "share of the training GEMM work" figures (quant-train's shift-and-add share, the
// masks task's share of training products that N:M hardware accelerates). A training step does
// three products per layer of this size: forward, the weight gradient and the input gradient
// (the last one is not computed for the network's first layer).
#include <ATen/core/Tensor.h>

#include <vector>

#include "models/model.hpp"

namespace qharness {

// One entry per layer, in quant_layers() order. `one_image` is a batch of one input.
std::vector<double> forward_macs(QModel& model, const at::Tensor& one_image);

}  // namespace qharness
