#include "torchscript/torchscript_mask.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <sstream>
#include <stdexcept>

namespace qharness::torchscript {
namespace {

MaskPattern pattern_of(const std::string& name) {
  if (name == "unstructured") return MaskPattern::Unstructured;
  if (name == "transposable") return MaskPattern::TransposableNM;
  return MaskPattern::NM;
}

}  // namespace

TorchScriptMask::TorchScriptMask(const Params& p)
    : module_(std::make_unique<ScriptModule>(
          p.get_string("module"),
          std::vector<MethodSpec>{{"forward", {ArgType::Tensor, ArgType::Int, ArgType::Int},
                                   "forward(self, weight: Tensor, n: int, m: int) -> Tensor"}})),
      spec_{static_cast<int>(p.get_int("n")), static_cast<int>(p.get_int("m"))},
      pattern_(pattern_of(p.get_string("pattern"))) {
  spec_.validate("mask torchscript");
  // Probes in the shapes the tasks prune: a Linear [out, in] and a Conv2d [out, in, kh, kw],
  // with whole m x m blocks so that any pattern can be met. Shape and dtype only: the masks
  // task checks every real mask against the declared pattern.
  const std::int64_t m = spec_.m;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  for (const auto& shape : {std::vector<std::int64_t>{2 * m, 2 * m}, std::vector<std::int64_t>{m, m, 3, 3}}) {
    std::int64_t numel = 1;
    for (auto d : shape) numel *= d;
    // Distinct magnitudes in a scrambled order with both signs: no ties for a ranking.
    at::Tensor w = (at::randperm(numel, gen, at::kLong).to(at::kFloat) + 1) / static_cast<double>(numel);
    w = (w * (1 - 2 * (at::arange(numel) % 2)).to(at::kFloat)).reshape(shape);
    at::Tensor mask;
    try {
      mask = run(w);
    } catch (const std::runtime_error& e) {
      std::ostringstream msg;
      msg << e.what() << " (on a probe weight of shape " << w.sizes() << ")";
      throw std::invalid_argument(msg.str());
    }
    if (mask.scalar_type() != at::kBool || !mask.sizes().equals(w.sizes())) {
      std::ostringstream msg;
      msg << module_->file() << ": forward returned a " << mask.scalar_type() << " tensor of shape " << mask.sizes()
          << " for a weight of shape " << w.sizes() << "; a mask must be bool (torch.bool) in the weight's shape";
      throw std::invalid_argument(msg.str());
    }
  }
}

at::Tensor TorchScriptMask::run(const at::Tensor& weight) const {
  at::NoGradGuard no_grad;
  return module_->call(0, {weight.detach(), std::int64_t{spec_.n}, std::int64_t{spec_.m}});
}

at::Tensor TorchScriptMask::compute(const at::Tensor& weight) {
  at::Tensor mask = run(weight);
  if (mask.scalar_type() != at::kBool || !mask.sizes().equals(weight.sizes())) {
    std::ostringstream msg;
    msg << module_->file() << ": forward returned a " << mask.scalar_type() << " tensor of shape " << mask.sizes()
        << " for a weight of shape " << weight.sizes() << "; a mask must be bool in the weight's shape";
    throw std::runtime_error(msg.str());
  }
  return mask;
}

}  // namespace qharness::torchscript
