#include "tasks/mask_methods.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "masks/common/kept_magnitude.hpp"
#include "masks/common/mask_diversity.hpp"
#include "masks/common/nm_mask.hpp"
#include "masks/common/tnm_exhaustive.hpp"
#include "masks/common/tnm_greedy.hpp"
#include "masks/common/tnm_mcf.hpp"
#include "masks/common/unstructured_mask.hpp"

namespace qharness {

using masks::MaskPattern;

MaskPattern MaskMethod::pattern() const {
  if (name == "unstructured") return MaskPattern::Unstructured;
  if (name == "nm") return MaskPattern::NM;
  if (name == "tnm-mcf" || name == "tnm-greedy" || name == "tnm-exhaustive") return MaskPattern::TransposableNM;
  throw std::invalid_argument("mask method '" + name + "' has no mask pattern");
}

std::vector<std::string> mask_method_names() {
  return {"dense", "unstructured", "nm", "tnm-mcf", "tnm-greedy", "tnm-exhaustive"};
}

void add_mask_method_keys(SchemaNode& block, const std::string& default_method) {
  block.add("method", SchemaNode::one_of(mask_method_names(), default_method,
                                         "dense: no mask (the reference row); unstructured; nm: 1-D N:M; transposable N:M by "
                                         "tnm-mcf (exact), tnm-greedy (2-approximation), tnm-exhaustive (exact, m = 4)"));
  block.add("n", SchemaNode::leaf(ParamType::Int, YAML::Node("4"), "keep n of every m (<= m)").range(1, masks::NMSpec::kMaxM));
  block.add("m", SchemaNode::leaf(ParamType::Int, YAML::Node("8"), "group size; transposable blocks are m x m")
                     .range(1, masks::NMSpec::kMaxM));
}

MaskMethod read_mask_method(const ResolvedConfig& cfg, const std::string& block) {
  MaskMethod m;
  m.name = cfg.get_string(block + ".method");
  m.spec = {static_cast<int>(cfg.get_int(block + ".n")), static_cast<int>(cfg.get_int(block + ".m"))};
  m.spec.validate(block);
  if (m.name == "tnm-exhaustive" && m.spec.m != 4)
    throw std::invalid_argument(block + ".m: tnm-exhaustive needs m = 4, got " + std::to_string(m.spec.m));
  return m;
}

std::vector<NamedQuantLayer> masked_layers(QModel& model, const std::vector<std::string>& skip) {
  const std::vector<std::string> skipped = model.resolve_layer_names(skip);
  std::vector<NamedQuantLayer> out;
  for (const auto& l : model.quant_layers())
    if (std::find(skipped.begin(), skipped.end(), l.name) == skipped.end()) out.push_back(l);
  return out;
}

namespace {

at::Tensor one_mask(const MaskMethod& method, const at::Tensor& weight) {
  const auto& s = method.spec;
  if (method.name == "unstructured") return masks::unstructured_mask(weight, s);
  if (method.name == "nm") return masks::nm_mask(weight, s);
  if (method.name == "tnm-mcf") return masks::tnm_mcf_mask(weight, masks::TnmMcfOptions{s});
  if (method.name == "tnm-greedy") return masks::tnm_greedy_mask(weight, s);
  if (method.name == "tnm-exhaustive") return masks::tnm_exhaustive_mask(weight, s);
  if (method.dense()) return at::ones(weight.sizes(), weight.options().dtype(at::kBool));
  throw std::invalid_argument("unknown mask method '" + method.name + "'");
}

}  // namespace

std::vector<at::Tensor> compute_masks(const MaskMethod& method, const std::vector<at::Tensor>& weights) {
  at::NoGradGuard no_grad;
  if (method.name == "unstructured" && method.global) return masks::global_unstructured_masks(weights, method.spec);
  std::vector<at::Tensor> out;
  for (const auto& w : weights) out.push_back(one_mask(method, w.detach()));
  return out;
}

std::vector<double> optimal_kept_magnitudes(const MaskMethod& method, const std::vector<at::Tensor>& weights,
                                            const std::vector<at::Tensor>& method_masks) {
  std::vector<double> out;
  const bool own_optimum = method.name == "unstructured" || method.name == "nm" || method.name == "tnm-mcf";
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const at::Tensor w = weights[i].detach();
    if (method.dense()) {
      out.push_back(masks::total_magnitude(w));
    } else if (own_optimum) {
      out.push_back(masks::kept_magnitude(w, method_masks.at(i)));
    } else {  // transposable by an approximate (or float-scored) solver: the exact optimum by flow
      out.push_back(masks::kept_magnitude(w, masks::tnm_mcf_mask(w, masks::TnmMcfOptions{method.spec})));
    }
  }
  return out;
}

double log10_layer_diversity(MaskPattern pattern, const masks::NMSpec& spec, const at::Tensor& weight) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::int64_t out = weight.size(0), in = weight.size(1), numel = weight.numel();
  switch (pattern) {
    case MaskPattern::Unstructured:
      return numel % spec.m == 0 ? masks::log10_unstructured_diversity(spec, numel) : nan;
    case MaskPattern::NM:
      return in % spec.m == 0 ? masks::log10_nm_diversity(spec, numel) : nan;
    case MaskPattern::TransposableNM:
      return in % spec.m == 0 && out % spec.m == 0 ? masks::log10_transposable_diversity(spec, numel) : nan;
  }
  return nan;
}

}  // namespace qharness
