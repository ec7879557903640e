#include "driver/import_weights.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/script.h>

#include <boost/filesystem.hpp>

#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "models/checkpoint.hpp"
#include "models/zoo.hpp"

namespace qharness {
namespace {

std::string shape_text(const at::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

// LibTorch's errors carry a C++ stack trace in what(): the user gets the message alone.
std::string message_of(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

// The first non-finite value of a floating-point tensor and how many there are
// ("NaN at [3, 0, 1, 2] (5 of 864 values not finite)"), or "".
std::string non_finite(const at::Tensor& t) {
  if (!t.is_floating_point()) return "";
  const at::Tensor bad = at::logical_not(at::isfinite(t)).flatten();
  const std::int64_t count = bad.sum().item<std::int64_t>();
  if (count == 0) return "";
  std::int64_t flat = bad.nonzero()[0][0].item<std::int64_t>();
  const double v = t.flatten()[flat].item<double>();
  std::vector<std::int64_t> index(static_cast<std::size_t>(t.dim()));
  for (std::int64_t d = t.dim() - 1; d >= 0; --d) {
    index[static_cast<std::size_t>(d)] = flat % t.size(d);
    flat /= t.size(d);
  }
  std::ostringstream s;
  s << (std::isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf") << " at [";
  for (std::size_t i = 0; i < index.size(); ++i) s << (i ? ", " : "") << index[i];
  s << "] (" << count << " of " << t.numel() << " values not finite)";
  return s.str();
}

ImportReport import_checked(const ImportOptions& o);

}  // namespace

ImportReport import_torchscript(const ImportOptions& o) {
  try {
    return import_checked(o);
  } catch (const c10::Error& e) {
    throw std::runtime_error("import: " + message_of(e));
  }
}

namespace {

ImportReport import_checked(const ImportOptions& o) {
  boost::system::error_code ec;
  const auto status = boost::filesystem::status(o.torchscript_file, ec);
  if (status.type() == boost::filesystem::file_not_found)
    throw std::runtime_error("import: '" + o.torchscript_file + "': no such file");
  if (status.type() != boost::filesystem::regular_file)
    throw std::runtime_error("import: '" + o.torchscript_file + "': not a regular file");
  torch::jit::Module source;
  try {
    source = torch::jit::load(o.torchscript_file);
  } catch (const std::exception& e) {
    throw std::runtime_error("import: '" + o.torchscript_file + "' is not a TorchScript file (torch.jit.save of a "
                             "scripted or traced module): " + message_of(e).substr(0, 300));
  }
  source.eval();
  std::map<std::string, at::Tensor> theirs;
  for (const auto& p : source.named_parameters(/*recurse=*/true)) theirs[p.name] = p.value;
  for (const auto& b : source.named_buffers(/*recurse=*/true)) theirs[b.name] = b.value;
  auto first = theirs.find("conv1.weight") != theirs.end() ? theirs["conv1.weight"]
                                                           : (theirs.count("fc1.weight") ? theirs["fc1.weight"] : at::Tensor());
  auto last = theirs.count("fc.weight") ? theirs["fc.weight"] : (theirs.count("fc3.weight") ? theirs["fc3.weight"] : at::Tensor());
  if (!first.defined() || !last.defined())
    throw std::runtime_error("import: '" + o.torchscript_file + "' has no conv1.weight/fc1.weight or fc.weight/fc3.weight: "
                             "not one of the zoo's architectures");
  const ModelInfo& info = model_info(o.arch);
  const std::int64_t size = o.input_size > 0 ? o.input_size : info.native_input;
  std::int64_t channels = first.dim() == 4 ? first.size(1) : 1;
  // A linear first layer sees C*H*W: take the channel count from the size.
  if (first.dim() == 2 && first.size(1) % (size * size) == 0) channels = first.size(1) / (size * size);
  ModelSpec spec{o.arch, {channels, size, size}, last.size(0)};
  auto model = make_model(spec);

  ImportReport report;
  std::map<std::string, at::Tensor> ours;
  for (const auto& p : model->named_parameters()) ours[p.key()] = p.value();
  for (const auto& b : model->named_buffers()) ours[b.key()] = b.value();
  for (const auto& [name, t] : ours) {
    auto it = theirs.find(name);
    if (it == theirs.end())
      throw std::runtime_error("import: '" + o.torchscript_file + "' has no tensor '" + name + "' that " + o.arch +
                               " needs (is it a " + o.arch + "?)");
    if (it->second.sizes() != t.sizes())
      throw std::runtime_error("import: '" + name + "' has shape " + shape_text(it->second) + " in '" +
                               o.torchscript_file + "', " + o.arch + " expects " + shape_text(t));
  }
  for (const auto& [name, t] : theirs) {
    if (!ours.count(name))
      throw std::runtime_error("import: '" + o.torchscript_file + "' has a tensor '" + name + "' that " + o.arch +
                               " does not (is it a " + o.arch + "?)");
    if (const std::string bad = non_finite(t); !bad.empty())
      throw std::runtime_error("import: '" + name + "' in '" + o.torchscript_file + "' holds " + bad +
                               ": nothing imported");
  }
  {
    at::NoGradGuard no_grad;
    for (auto& [name, t] : ours) {
      t.copy_(theirs[name]);
      ++report.tensors;
    }
  }
  if (o.check_size > 0) {
    model->eval();
    at::NoGradGuard no_grad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);
    // A model that takes any size is checked at check_size (small: fast); the others at theirs.
    const std::int64_t side = info.any_input_size ? o.check_size : size;
    at::Tensor x = at::randn({2, channels, side, side}, gen);
    at::Tensor a = model->forward(x);
    at::Tensor b = source.forward({x}).toTensor();
    report.max_logit_diff = (a - b).abs().max().item<double>();
  }
  save_checkpoint(*model, o.output);
  return report;
}

}  // namespace
}  // namespace qharness
