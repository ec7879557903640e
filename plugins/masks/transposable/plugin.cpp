// Mask plugins `tnm-mcf`, `tnm-greedy`, `tnm-exhaustive` (the algorithms: masks/common/).
#include <qharness/plugin.hpp>

#include <stdexcept>

#include "masks/common/tnm_exhaustive.hpp"
#include "masks/common/tnm_greedy.hpp"
#include "masks/common/tnm_mcf.hpp"

namespace {

using qharness::ParamSpec;
using qharness::ParamType;
using qharness::masks::NMSpec;
using qharness::masks::TnmMcfOptions;

std::vector<ParamSpec> nm_params(double m_min, double m_max, std::int64_t m_default) {
  return {
      {"n", ParamType::Int, std::int64_t{m_default / 2}, "weights kept of every m, per block row and column (<= m)",
       {}, false, 1.0, m_max},
      {"m", ParamType::Int, m_default, "block size: m x m blocks (m output x m input channels)", {}, false, m_min,
       m_max},
  };
}

NMSpec spec_of(const qharness::Params& p, const char* who) {
  NMSpec s{static_cast<int>(p.get_int("n")), static_cast<int>(p.get_int("m"))};
  s.validate(who);
  return s;
}

TnmMcfOptions::Pivot pivot_of(const std::string& name) {
  if (name == "first-eligible") return TnmMcfOptions::Pivot::FirstEligible;
  if (name == "best-eligible") return TnmMcfOptions::Pivot::BestEligible;
  if (name == "block-search") return TnmMcfOptions::Pivot::BlockSearch;
  if (name == "candidate-list") return TnmMcfOptions::Pivot::CandidateList;
  if (name == "altering-list") return TnmMcfOptions::Pivot::AlteringList;
  throw std::invalid_argument("mask tnm-mcf: unknown pivot rule '" + name + "'");
}

class TnmMcfMask : public qharness::Mask {
 public:
  explicit TnmMcfMask(const qharness::Params& p) {
    options_.spec = spec_of(p, "mask tnm-mcf");
    options_.pivot = pivot_of(p.get_string("pivot"));
  }
  at::Tensor compute(const at::Tensor& weight) override { return qharness::masks::tnm_mcf_mask(weight, options_); }

 private:
  TnmMcfOptions options_;
};

class TnmGreedyMask : public qharness::Mask {
 public:
  explicit TnmGreedyMask(const qharness::Params& p) : spec_(spec_of(p, "mask tnm-greedy")) {}
  at::Tensor compute(const at::Tensor& weight) override { return qharness::masks::tnm_greedy_mask(weight, spec_); }

 private:
  NMSpec spec_;
};

class TnmExhaustiveMask : public qharness::Mask {
 public:
  explicit TnmExhaustiveMask(const qharness::Params& p) : spec_(spec_of(p, "mask tnm-exhaustive")) {}
  at::Tensor compute(const at::Tensor& weight) override {
    return qharness::masks::tnm_exhaustive_mask(weight, spec_);
  }

 private:
  NMSpec spec_;
};

void register_plugins(qharness::Registrar& r) {
  auto mcf_params = nm_params(1, NMSpec::kMaxM, 4);
  mcf_params.push_back({"pivot", ParamType::String, std::string("block-search"),
                        "NetworkSimplex pivot rule",
                        {"block-search", "first-eligible", "best-eligible", "candidate-list", "altering-list"}});
  r.add_mask({"tnm-mcf", "transposable N:M, exact: one min-cost flow per m x m block (LEMON NetworkSimplex)",
              mcf_params},
             [](const qharness::Params& p) { return std::make_unique<TnmMcfMask>(p); });
  r.add_mask({"tnm-greedy",
              "transposable N:M, greedy 2-approximation (always valid; keeps >= 1/2 of the optimal magnitude)",
              nm_params(1, NMSpec::kMaxM, 4)},
             [](const qharness::Params& p) { return std::make_unique<TnmGreedyMask>(p); });
  r.add_mask({"tnm-exhaustive", "transposable N:4, exact: the best of all valid 4x4 patterns (90 for 2:4), vectorized",
              nm_params(4, 4, 4)},
             [](const qharness::Params& p) { return std::make_unique<TnmExhaustiveMask>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
