#pragma once
// Quantizer plugin `torchscript`: a scripted torch.nn.Module with
//   forward(self, x: Tensor, clip: Tensor, bits: int, signed: bool) -> Tensor
//   @torch.jit.export calibrate(self, x: Tensor, bits: int, signed: bool) -> Tensor
// forward fake-quantizes x with clip and chooses its own backward (straight-through:
// x + (q - x).detach()); calibrate returns the clip, a 0-d tensor.
//
// Channels: the module always sees the slot's channel axis as dim 0 (activations and gradients
// have it at dim 1; the plugin moves it there and back), and per-channel clips reach forward
// shaped [C, 1, ..., 1] so that plain broadcasting applies them per channel. With
// granularity per-channel the plugin calibrates each channel on its own (calibrate on x[c]),
// unless calibrate already returns one value per channel of dim 0.
//
// Randomness: a module that rounds stochastically (torch.rand_like) draws from LibTorch's
// default CPU generator; the plugin seeds it from the slot's generator before every call and
// restores its state after (under one lock), so a seeded run repeats exactly like one with a
// C++ quantizer and nothing else sees the reseeding.
#include <qharness/params.hpp>
#include <qharness/quantizer.hpp>

#include <memory>

#include "torchscript/script_module.hpp"

namespace qharness::torchscript {

class TorchScriptQuantizer : public Quantizer {
 public:
  // Loads and checks the module and runs calibrate and forward on a probe tensor:
  // std::invalid_argument naming the file when anything is wrong.
  explicit TorchScriptQuantizer(const Params& p);
  at::Tensor calibrate(const at::Tensor& x, const QuantTarget& target) override;
  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget& target,
                      at::Generator& generator) override;

 private:
  at::Tensor calibrate_dim0(const at::Tensor& x, bool is_signed) const;
  at::Tensor forward_dim0(const at::Tensor& x, const at::Tensor& clip, bool is_signed, at::Generator& generator) const;
  std::unique_ptr<ScriptModule> module_;
  std::int64_t bits_;
  bool per_channel_;
};

}  // namespace qharness::torchscript
