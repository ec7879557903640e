#pragma once
#include "tasks/task.hpp"

namespace qharness {
// `task: quant-train`: LUQ-style 4-bit training. Every quantized layer computes with quantized
// weights and input activations (quant.weights / quant.activations, e.g. sawb at 4 bits) and
// quantizes the gradient w.r.t. its output in backward (quant.gradients, e.g. luq); first and
// last layers stay in high precision by default (quant.skip). Then FNT (quant-train.fnt_epochs):
// epochs in which only the weights stay quantized, with a triangular learning rate.
TaskInfo quant_train_task();
}  // namespace qharness
