// Mask plugins that break the mask contract (qharness/mask.hpp), each in one way, for
// tests/cli/test_mask_plugins.py:
//   liar-transposable  declares the transposable pattern but returns 1-D N:M masks: the masks
//                      task must record valid = 0 (the checker follows the declared pattern);
//   global-nm          declares a global scope with the N:M pattern: refused before a run;
//   wrong-shape        returns masks of the transposed shape: the trial fails naming the
//                      plugin and the layer, the sweep goes on.
#include <ATen/ATen.h>
#include <qharness/masks/optimal_masks.hpp>
#include <qharness/plugin.hpp>

namespace {

using qharness::MaskPattern;
using qharness::MaskScope;
using qharness::NMSpec;

NMSpec spec_of(const qharness::Params& p) {
  return {static_cast<int>(p.get_int("n")), static_cast<int>(p.get_int("m"))};
}

class LiarTransposable : public qharness::Mask {
 public:
  explicit LiarTransposable(const qharness::Params& p) : spec_(spec_of(p)) {}
  MaskPattern pattern() const override { return MaskPattern::TransposableNM; }
  at::Tensor compute(const at::Tensor& w) override { return qharness::masks::optimal_mask(MaskPattern::NM, spec_, w); }

 private:
  NMSpec spec_;
};

class GlobalNM : public qharness::Mask {
 public:
  explicit GlobalNM(const qharness::Params& p) : spec_(spec_of(p)) {}
  MaskPattern pattern() const override { return MaskPattern::NM; }
  MaskScope scope() const override { return MaskScope::Global; }
  at::Tensor compute(const at::Tensor& w) override { return qharness::masks::optimal_mask(MaskPattern::NM, spec_, w); }

 private:
  NMSpec spec_;
};

class WrongShape : public qharness::Mask {
 public:
  explicit WrongShape(const qharness::Params&) {}
  MaskPattern pattern() const override { return MaskPattern::Unstructured; }
  at::Tensor compute(const at::Tensor& w) override {
    return at::ones({w.size(1), w.size(0)}, at::TensorOptions().dtype(at::kBool));
  }
};

void register_plugins(qharness::Registrar& r) {
  r.add_mask({"liar-transposable", "test: declares transposable N:M, returns 1-D N:M", {}},
             [](const qharness::Params& p) { return std::make_unique<LiarTransposable>(p); });
  r.add_mask({"global-nm", "test: declares a global scope with the N:M pattern", {}},
             [](const qharness::Params& p) { return std::make_unique<GlobalNM>(p); });
  r.add_mask({"wrong-shape", "test: returns masks of the transposed shape", {}},
             [](const qharness::Params& p) { return std::make_unique<WrongShape>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
