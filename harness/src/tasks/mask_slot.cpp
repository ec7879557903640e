#include "tasks/mask_slot.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "qharness/masks/mask_diversity.hpp"

namespace qharness {

std::vector<ParamSpec> mask_common_params() {
  return {
      {"n", ParamType::Int, std::int64_t{4}, "keep n of every m (<= m)", {}, false, 1.0, double(NMSpec::kMaxM)},
      {"m", ParamType::Int, std::int64_t{8}, "group size; transposable blocks are m x m", {}, false, 1.0,
       double(NMSpec::kMaxM)},
  };
}

SchemaNode mask_slot_schema(std::string doc, std::string default_method,
                            std::vector<std::pair<std::string, SchemaNode>> children) {
  SchemaNode s = SchemaNode::plugin(PluginKind::Mask, "method", std::move(default_method), std::move(doc));
  s.common = mask_common_params();
  s.builtin_names = {"dense"};
  s.children = std::move(children);
  return s;
}

namespace {

NMSpec spec_of(const Params& p) { return {static_cast<int>(p.get_int("n")), static_cast<int>(p.get_int("m"))}; }

// The declared pattern and scope must be a pair the tasks can check and measure.
std::string pattern_problem(const Mask& mask) {
  if (mask.scope() == MaskScope::Global && mask.pattern() != MaskPattern::Unstructured)
    return std::string("it declares a global scope with the ") + to_string(mask.pattern()) +
           " pattern; a global scope is allowed for the unstructured pattern only (a budget over all layers)";
  return "";
}

}  // namespace

std::string mask_selection_problem(const PluginSelection& selection, const PluginRegistry& plugins) {
  if (selection.builtin) return "";
  try {
    spec_of(selection.params).validate("n:m");
    const auto mask = plugins.make_mask(selection);
    return pattern_problem(*mask);
  } catch (const std::exception& e) {
    return e.what();
  }
}

MaskMethod::MaskMethod(const ResolvedConfig& cfg, const std::string& path, const PluginRegistry& plugins) {
  const PluginSelection& selection = cfg.plugin(path);
  name_ = selection.name;
  spec_ = spec_of(selection.params);
  spec_.validate(path);
  if (selection.builtin) return;
  mask_ = plugins.make_mask(selection);
  if (std::string why = pattern_problem(*mask_); !why.empty())
    throw std::invalid_argument(path + ".method: mask plugin '" + name_ + "': " + why);
}

MaskPattern MaskMethod::pattern() const {
  if (!mask_) throw std::logic_error("mask method dense has no mask pattern");
  return mask_->pattern();
}

MaskScope MaskMethod::scope() const { return mask_ ? mask_->scope() : MaskScope::PerLayer; }

std::vector<at::Tensor> MaskMethod::compute(const std::vector<NamedQuantLayer>& layers) const {
  at::NoGradGuard no_grad;
  std::vector<MaskLayer> input;
  for (const auto& l : layers) input.push_back({l.name, l.layer->weight_param().detach()});
  if (!mask_) {
    std::vector<at::Tensor> all;
    for (const auto& l : input) all.push_back(at::ones(l.weight.sizes(), l.weight.options().dtype(at::kBool)));
    return all;
  }
  std::vector<at::Tensor> masks = mask_->compute_all(input);
  const std::string who = "mask plugin '" + name_ + "'";
  if (masks.size() != input.size())
    throw std::runtime_error(who + " returned " + std::to_string(masks.size()) + " masks for " +
                             std::to_string(input.size()) + " layers");
  for (std::size_t i = 0; i < masks.size(); ++i) {
    const at::Tensor& m = masks[i];
    if (!m.defined() || m.sizes() != input[i].weight.sizes() || m.scalar_type() != at::kBool)
      throw std::runtime_error(who + ": the mask of layer " + input[i].name + " must be a bool tensor of the weight's shape " +
                               c10::str(input[i].weight.sizes()) + ", got " +
                               (m.defined() ? std::string(c10::toString(m.scalar_type())) + " " + c10::str(m.sizes())
                                            : std::string("an undefined tensor")));
    masks[i] = m.to(input[i].weight.device());
  }
  return masks;
}

std::vector<NamedQuantLayer> masked_layers(QModel& model, const std::vector<std::string>& skip) {
  const std::vector<std::string> skipped = model.resolve_layer_names(skip);
  std::vector<NamedQuantLayer> out;
  for (const auto& l : model.quant_layers())
    if (std::find(skipped.begin(), skipped.end(), l.name) == skipped.end()) out.push_back(l);
  return out;
}

double log10_layer_diversity(MaskPattern pattern, const NMSpec& spec, const at::Tensor& weight) {
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
