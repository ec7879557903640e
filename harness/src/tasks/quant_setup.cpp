#include "tasks/quant_setup.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "config/experiment_schema.hpp"

namespace qharness {

SchemaNode quant_schema() {
  SchemaNode q = SchemaNode::map("quantizers of the model's layers (ptq, hessian, landscape, quant-train)");
  q.task_block = true;
  auto slot = [](const char* default_plugin, const char* doc) {
    SchemaNode s = SchemaNode::plugin(PluginKind::Quantizer, "quantizer", default_plugin, doc);
    s.common = quantizer_common_params();
    return s;
  };
  q.add("weights", slot("uniform", "the weights' quantizer (signed, per tensor or per output channel)"));
  q.add("activations", slot("uniform", "every quantized layer's input activation (unsigned after a ReLU)"));
  q.add("gradients", slot("luq", "quant-train: the gradient w.r.t. each quantized layer's output"));
  q.add("skip", SchemaNode::leaf(ParamType::StringList, YAML::Node(YAML::Load("[first, last]")),
                                 "layers left in FP32 (names, first, last); [] quantizes every layer"));
  return q;
}

QuantPlan attach_quantizers(QModel& model, const TrialContext& ctx, QuantSlots which) {
  const ResolvedConfig& cfg = ctx.config();
  QuantPlan plan;
  const auto skip_names = cfg.at("quant.skip").as<std::vector<std::string>>();
  plan.skipped = model.resolve_layer_names(skip_names);
  const std::string first = model.find_layer("first").name;

  auto make = [&](const char* path) -> std::shared_ptr<Quantizer> {
    const PluginSelection& sel = cfg.plugin(path);
    if (sel.params.get_int("bits") >= 32) return nullptr;
    return std::shared_ptr<Quantizer>(ctx.plugins().make_quantizer(sel));
  };
  std::uint64_t stream = 0;
  auto seeded = [&]() {
    // Distinct, fixed streams per slot: seed * large odd + slot number.
    return at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(ctx.seed()) * 0x9e3779b97f4a7c15ULL + ++stream);
  };
  for (const NamedQuantLayer& l : model.quant_layers()) {
    if (std::find(plan.skipped.begin(), plan.skipped.end(), l.name) != plan.skipped.end()) continue;
    bool any = false;
    if (which.weights) {
      if (auto q = make("quant.weights")) l.layer->weight_quant.quantizer = q, any = true;
      l.layer->weight_quant.generator = seeded();
    }
    if (which.activations && l.name != first) {
      if (auto q = make("quant.activations")) l.layer->input_quant.quantizer = q, any = true;
      l.layer->input_quant.generator = seeded();
    }
    if (which.gradients) {
      if (auto q = make("quant.gradients")) l.layer->grad_quant.quantizer = q, any = true;
      l.layer->grad_quant.generator = seeded();
    }
    if (any) plan.quantized.push_back(l);
  }
  return plan;
}

}  // namespace qharness
