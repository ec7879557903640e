#pragma once
// The `quant:` block, shared by every task that quantizes a model (ptq, hessian, landscape,
// quant-train):
//
//   quant:
//     weights:     {quantizer: uniform, bits: 4, granularity: per-tensor}
//     activations: {quantizer: uniform, bits: 4}
//     gradients:   {quantizer: luq, bits: 4}       # quant-train only
//     skip: [first, last]                          # layers left in FP32; [] quantizes all
//
// attach_quantizers() puts those quantizers into the slots of the model's layers. `bits: 32`
// leaves that slot empty. The network's input image is never quantized (it is 8-bit data
// already): the first layer gets no input quantizer. Every slot's generator is seeded from
// the trial seed and the layer's position, so stochastic rounding repeats run to run.
#include <string>
#include <vector>

#include "config/schema.hpp"
#include "models/model.hpp"
#include "tasks/task.hpp"

namespace qharness {

SchemaNode quant_schema();

struct QuantSlots {
  bool weights = false, activations = false, gradients = false;
};

struct QuantPlan {
  std::vector<NamedQuantLayer> quantized;   // layers that received at least one quantizer
  std::vector<std::string> skipped;         // quant.skip, resolved
};

QuantPlan attach_quantizers(QModel& model, const TrialContext& ctx, QuantSlots which);

}  // namespace qharness
