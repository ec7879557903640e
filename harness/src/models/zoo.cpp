#include "models/zoo.hpp"

#include <stdexcept>

namespace qharness {

std::vector<std::string> arch_names() { return {"mlp", "lenet5", "resnet20", "resnet18", "resnet50"}; }

std::shared_ptr<QModel> make_model(const ModelSpec& spec) {
  if (spec.num_classes < 1) throw std::invalid_argument("model: num_classes must be >= 1");
  if (spec.arch == "mlp") return make_mlp(spec);
  if (spec.arch == "lenet5") return make_lenet5(spec);
  if (spec.arch == "resnet20" || spec.arch == "resnet18" || spec.arch == "resnet50") return make_resnet(spec);
  std::string known;
  for (const auto& a : arch_names()) known += (known.empty() ? "" : ", ") + a;
  throw std::invalid_argument("unknown model arch '" + spec.arch + "'; known: " + known);
}

}  // namespace qharness
