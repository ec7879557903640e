#include "torchscript/script_module.hpp"

#include <torch/script.h>
#include <torch/version.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace qharness::torchscript {
namespace {

// LibTorch's messages carry a C++ stack trace after the first lines; the user needs the reason.
std::string reason(const std::exception& e) {
  std::string what = e.what();
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) what = c10_error->what_without_backtrace();
  // TorchScript's interpreter errors quote the whole Python traceback: keep it, but not the
  // serialized-code dump that follows "The above operation failed".
  if (auto cut = what.find("\nThe above operation failed"); cut != std::string::npos) what.resize(cut);
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  return what;
}

bool arg_matches(const c10::TypePtr& t, ArgType want) {
  switch (want) {
    case ArgType::Tensor: return t->kind() == c10::TypeKind::TensorType;
    case ArgType::Int: return t->kind() == c10::TypeKind::IntType;
    case ArgType::Bool: return t->kind() == c10::TypeKind::BoolType;
  }
  return false;
}

}  // namespace

struct ScriptModule::Impl {
  torch::jit::Module module;
  std::vector<torch::jit::Method> methods;
  std::vector<std::string> names;
};

ScriptModule::ScriptModule(const std::string& file, const std::vector<MethodSpec>& methods)
    : file_(file), impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw std::invalid_argument(file + ": no such file");
  try {
    impl_->module = torch::jit::load(file, c10::Device(c10::kCPU));
  } catch (const std::exception& e) {
    const std::string why = reason(e);
    // The zip reader's words for "this is no torch.jit.save archive"; a version mismatch says
    // "version" (a newer torch's file format or operator set).
    if (why.find("version") != std::string::npos)
      throw std::invalid_argument(file + ": saved by a torch this LibTorch (" TORCH_VERSION
                                  ") cannot read; save it with the same torch version (Debian's python3-torch): " + why);
    if (why.find("zip archive") != std::string::npos || why.find("constants.pkl") != std::string::npos ||
        why.find("data.pkl") != std::string::npos)
      throw std::invalid_argument(file + ": not a TorchScript module (save one with torch.jit.save(torch.jit.script(m), path)): " + why);
    throw std::invalid_argument(file + ": cannot load it as a TorchScript module: " + why);
  }
  impl_->module.eval();
  for (const MethodSpec& spec : methods) {
    auto method = impl_->module.find_method(spec.name);
    const std::string expected = " (expected " + spec.signature + ")";
    if (!method) {
      std::string what = spec.name == "forward" ? "no forward method" :
                         "no method '" + spec.name + "' (decorate it with @torch.jit.export)";
      throw std::invalid_argument(file + ": " + what + expected);
    }
    const c10::FunctionSchema& schema = method->function().getSchema();
    const auto& args = schema.arguments();
    bool ok = args.size() == spec.args.size() + 1 && schema.returns().size() == 1 &&
              schema.returns()[0].type()->kind() == c10::TypeKind::TensorType;
    for (std::size_t i = 0; ok && i < spec.args.size(); ++i) ok = arg_matches(args[i + 1].type(), spec.args[i]);
    if (!ok) {
      std::ostringstream got;
      got << schema;
      throw std::invalid_argument(file + ": method '" + spec.name + "' has the signature " + got.str() + expected);
    }
    impl_->methods.push_back(*method);
    impl_->names.push_back(spec.name);
  }
}

ScriptModule::~ScriptModule() = default;

at::Tensor ScriptModule::call(std::size_t method_index, const std::vector<Arg>& args) const {
  std::vector<c10::IValue> stack;
  stack.reserve(args.size());
  for (const Arg& a : args) std::visit([&](const auto& v) { stack.emplace_back(v); }, a);
  try {
    return impl_->methods.at(method_index)(std::move(stack)).toTensor();
  } catch (const std::exception& e) {
    throw std::runtime_error(file_ + ": " + impl_->names.at(method_index) + " failed: " + reason(e));
  }
}

}  // namespace qharness::torchscript
