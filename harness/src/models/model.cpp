#include "models/model.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace qharness {

std::vector<NamedQuantLayer> QModel::quant_layers() {
  std::vector<NamedQuantLayer> out;
  for (const auto& item : named_modules("", /*include_self=*/false))
    if (auto* q = dynamic_cast<QuantLayer*>(item.value().get())) out.push_back({item.key(), q});
  return out;
}

NamedQuantLayer QModel::find_layer(const std::string& name) {
  auto layers = quant_layers();
  if (layers.empty()) throw std::invalid_argument(arch_ + " has no quantizable layers");
  if (name == "first") return layers.front();
  if (name == "last") return layers.back();
  for (const auto& l : layers)
    if (l.name == name) return l;
  std::string names;
  for (const auto& l : layers) names += (names.empty() ? "" : ", ") + l.name;
  throw std::invalid_argument("no layer '" + name + "' in " + arch_ + "; its quantizable layers are first, last, " + names);
}

std::vector<std::string> QModel::resolve_layer_names(const std::vector<std::string>& names) {
  std::set<std::string> wanted;
  for (const auto& n : names) wanted.insert(find_layer(n).name);
  std::vector<std::string> out;
  for (const auto& l : quant_layers())
    if (wanted.count(l.name)) out.push_back(l.name);
  return out;
}

std::vector<QuantLayer*> QModel::quant_layers_of(torch::nn::Module& module) {
  std::vector<QuantLayer*> out;
  for (const auto& m : module.modules(/*include_self=*/true))
    if (auto* q = dynamic_cast<QuantLayer*>(m.get())) out.push_back(q);
  return out;
}

std::vector<ModelStage> QModel::stages() {
  std::vector<QuantLayer*> all;
  for (const auto& l : quant_layers()) all.push_back(l.layer);
  return {ModelStage{[this](const at::Tensor& x) { return forward(x); }, std::move(all)}};
}

at::Tensor QModel::run_stages(const at::Tensor& x) {
  at::Tensor h = x;
  for (const ModelStage& s : stages()) h = s.run(h);
  return h;
}

void QModel::clear_quantization() {
  for (auto& l : quant_layers()) {
    l.layer->weight_quant.clear();
    l.layer->input_quant.clear();
    l.layer->grad_quant.clear();
    l.layer->weight_mask = at::Tensor();
  }
}

}  // namespace qharness
