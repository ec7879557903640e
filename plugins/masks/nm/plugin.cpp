// Mask plugins `unstructured` and `nm` (the algorithms: masks/common/).
#include <qharness/plugin.hpp>

#include "masks/common/nm_mask.hpp"
#include "masks/common/unstructured_mask.hpp"

namespace {

using qharness::ParamSpec;
using qharness::ParamType;
using qharness::masks::NMSpec;

std::vector<ParamSpec> nm_params() {
  return {
      {"n", ParamType::Int, std::int64_t{2}, "weights kept of every m (must be <= m)", {}, false, 1.0,
       double(NMSpec::kMaxM)},
      {"m", ParamType::Int, std::int64_t{4}, "group size", {}, false, 1.0, double(NMSpec::kMaxM)},
  };
}

NMSpec spec_of(const qharness::Params& p, const char* who) {
  NMSpec s{static_cast<int>(p.get_int("n")), static_cast<int>(p.get_int("m"))};
  s.validate(who);
  return s;
}

class UnstructuredMask : public qharness::Mask {
 public:
  explicit UnstructuredMask(const qharness::Params& p) : spec_(spec_of(p, "mask unstructured")) {}
  at::Tensor compute(const at::Tensor& weight) override { return qharness::masks::unstructured_mask(weight, spec_); }

 private:
  NMSpec spec_;
};

class NMMask : public qharness::Mask {
 public:
  explicit NMMask(const qharness::Params& p) : spec_(spec_of(p, "mask nm")) {}
  at::Tensor compute(const at::Tensor& weight) override { return qharness::masks::nm_mask(weight, spec_); }

 private:
  NMSpec spec_;
};

void register_plugins(qharness::Registrar& r) {
  r.add_mask({"unstructured",
              "magnitude pruning of each layer to density n/m (largest |w| anywhere in the layer)", nm_params()},
             [](const qharness::Params& p) { return std::make_unique<UnstructuredMask>(p); });
  r.add_mask({"nm", "1-D N:M: the n largest |w| of every m consecutive input channels (W is N:M, W^T is not)",
              nm_params()},
             [](const qharness::Params& p) { return std::make_unique<NMMask>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
