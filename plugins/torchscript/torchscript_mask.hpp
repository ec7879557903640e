#pragma once
// Mask plugin `torchscript`: the mask of a scripted torch.nn.Module whose
//   forward(self, weight: Tensor, n: int, m: int) -> Tensor
// returns a bool tensor of the weight's shape (true = kept). The module declares no pattern:
// the YAML option `pattern` does (unstructured | nm | transposable), and the masks task checks
// every mask against it like any mask plugin's declared pattern.
#include <qharness/mask.hpp>
#include <qharness/params.hpp>

#include <memory>

#include "torchscript/script_module.hpp"

namespace qharness::torchscript {

class TorchScriptMask : public Mask {
 public:
  // Loads and checks the module, then runs it on probe weights of a Linear and a Conv2d shape:
  // std::invalid_argument naming the file when anything is wrong (the driver builds every
  // selected mask plugin before the sweep, so this is exit 2 before any trial runs).
  explicit TorchScriptMask(const Params& p);
  MaskPattern pattern() const override { return pattern_; }
  at::Tensor compute(const at::Tensor& weight) override;

 private:
  at::Tensor run(const at::Tensor& weight) const;
  std::unique_ptr<ScriptModule> module_;
  NMSpec spec_;
  MaskPattern pattern_;
};

}  // namespace qharness::torchscript
