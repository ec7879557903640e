// Mask plugins `tnm-mcf`, `tnm-greedy`, `tnm-exhaustive`: transposable N:M (W and W^T both
// N:M). n and m are the driver's common mask options.
#include <qharness/plugin.hpp>

#include <stdexcept>

#include "masks/transposable/tnm_exhaustive.hpp"
#include "masks/transposable/tnm_greedy.hpp"
#include "masks/transposable/tnm_mcf.hpp"

namespace {

using qharness::MaskPattern;
using qharness::NMSpec;
using qharness::ParamType;
using qharness::masks::TnmMcfOptions;

// Every plugin here declares the same pattern.
class TransposableMask : public qharness::Mask {
 public:
  MaskPattern pattern() const override { return MaskPattern::TransposableNM; }
};

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

class TnmMcfMask : public TransposableMask {
 public:
  explicit TnmMcfMask(const qharness::Params& p) {
    options_.spec = spec_of(p, "mask tnm-mcf");
    options_.pivot = pivot_of(p.get_string("pivot"));
  }
  at::Tensor compute(const at::Tensor& weight) override { return qharness::masks::tnm_mcf_mask(weight, options_); }

 private:
  TnmMcfOptions options_;
};

class TnmGreedyMask : public TransposableMask {
 public:
  explicit TnmGreedyMask(const qharness::Params& p) : spec_(spec_of(p, "mask tnm-greedy")) {}
  at::Tensor compute(const at::Tensor& weight) override { return qharness::masks::tnm_greedy_mask(weight, spec_); }

 private:
  NMSpec spec_;
};

class TnmExhaustiveMask : public TransposableMask {
 public:
  explicit TnmExhaustiveMask(const qharness::Params& p) : spec_(spec_of(p, "mask tnm-exhaustive")) {
    // Refused when the plugin is built, i.e. before a run starts (the driver builds every
    // selected mask once up front), not at the first layer.
    if (spec_.m != 4)
      throw std::invalid_argument("mask tnm-exhaustive: m must be 4 (it scores every valid 4x4 pattern), got m = " +
                                  std::to_string(spec_.m));
  }
  at::Tensor compute(const at::Tensor& weight) override {
    return qharness::masks::tnm_exhaustive_mask(weight, spec_);
  }

 private:
  NMSpec spec_;
};

void register_plugins(qharness::Registrar& r) {
  r.add_mask({"tnm-mcf", "transposable N:M, exact: one min-cost flow per m x m block (LEMON NetworkSimplex)",
              {{"pivot", ParamType::String, std::string("block-search"), "NetworkSimplex pivot rule",
                {"block-search", "first-eligible", "best-eligible", "candidate-list", "altering-list"}}}},
             [](const qharness::Params& p) { return std::make_unique<TnmMcfMask>(p); });
  r.add_mask({"tnm-greedy",
              "transposable N:M, greedy 2-approximation (always valid; keeps >= 1/2 of the optimal magnitude)",
              {}},
             [](const qharness::Params& p) { return std::make_unique<TnmGreedyMask>(p); });
  r.add_mask({"tnm-exhaustive", "transposable N:4 (m must be 4), exact: the best of all valid 4x4 patterns (90 for 2:4)",
              {}},
             [](const qharness::Params& p) { return std::make_unique<TnmExhaustiveMask>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
