// Mask plugins `unstructured` and `nm`. n and m are the driver's common mask options.
#include <qharness/masks/optimal_masks.hpp>
#include <qharness/plugin.hpp>

#include "masks/nm/nm_mask.hpp"

namespace {

using qharness::MaskLayer;
using qharness::MaskPattern;
using qharness::MaskScope;
using qharness::NMSpec;

NMSpec spec_of(const qharness::Params& p, const char* who) {
  NMSpec s{static_cast<int>(p.get_int("n")), static_cast<int>(p.get_int("m"))};
  s.validate(who);
  return s;
}

// Magnitude pruning to density n/m: per layer, or (`global: true`) one ranking over every
// pruned layer, so that a layer may end up denser or sparser than n/m.
class UnstructuredMask : public qharness::Mask {
 public:
  explicit UnstructuredMask(const qharness::Params& p)
      : spec_(spec_of(p, "mask unstructured")), scope_(p.get_bool("global") ? MaskScope::Global : MaskScope::PerLayer) {}
  MaskPattern pattern() const override { return MaskPattern::Unstructured; }
  MaskScope scope() const override { return scope_; }
  at::Tensor compute(const at::Tensor& weight) override {
    return qharness::masks::optimal_mask(MaskPattern::Unstructured, spec_, weight).to(weight.device());
  }
  std::vector<at::Tensor> compute_all(const std::vector<MaskLayer>& layers) override {
    std::vector<at::Tensor> weights;
    for (const auto& l : layers) weights.push_back(l.weight);
    return qharness::masks::optimal_masks(MaskPattern::Unstructured, scope_, spec_, weights);
  }

 private:
  NMSpec spec_;
  MaskScope scope_;
};

class NMMask : public qharness::Mask {
 public:
  explicit NMMask(const qharness::Params& p) : spec_(spec_of(p, "mask nm")) {}
  MaskPattern pattern() const override { return MaskPattern::NM; }
  at::Tensor compute(const at::Tensor& weight) override { return qharness::masks::nm_mask(weight, spec_); }

 private:
  NMSpec spec_;
};

void register_plugins(qharness::Registrar& r) {
  r.add_mask({"unstructured", "magnitude pruning to density n/m (the largest |w| of each layer, or of all layers: global)",
              {{"global", qharness::ParamType::Bool, false,
                "one magnitude ranking over all pruned layers (else per layer)"}}},
             [](const qharness::Params& p) { return std::make_unique<UnstructuredMask>(p); });
  r.add_mask({"nm", "1-D N:M: the n largest |w| of every m consecutive input channels (W is N:M, W^T is not)", {}},
             [](const qharness::Params& p) { return std::make_unique<NMMask>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
