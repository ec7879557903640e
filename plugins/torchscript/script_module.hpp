#pragma once
// A TorchScript module (a file saved by torch.jit.save) loaded without a Python interpreter,
// with the checks the torchscript plugins make before a run: the file loads, the methods exist
// with exactly the argument types the plugin calls them with, and they return a Tensor.
//
// The only header of these plugins that hides torch/script.h (included by script_module.cpp
// alone: it costs ~15 s of compile time per translation unit). Every error is a
// std::invalid_argument (refusals before a run) or std::runtime_error (a call that throws at
// run time) naming the file, without LibTorch's C++ stack trace.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace qharness::torchscript {

enum class ArgType { Tensor, Int, Bool };
using Arg = std::variant<at::Tensor, std::int64_t, bool>;

struct MethodSpec {
  std::string name;                // "forward", "calibrate"
  std::vector<ArgType> args;       // after self
  std::string signature;           // as the docs write it, for the error message
};

class ScriptModule {
 public:
  // Loads `file` and checks every method of `methods`. Throws std::invalid_argument naming the
  // file: missing, not TorchScript, saved by an incompatible torch, a method missing or with
  // other argument or return types.
  ScriptModule(const std::string& file, const std::vector<MethodSpec>& methods);
  ~ScriptModule();
  ScriptModule(const ScriptModule&) = delete;
  ScriptModule& operator=(const ScriptModule&) = delete;

  // Calls a method checked at construction; its result must be a Tensor (checked by the
  // schema). Throws std::runtime_error naming the file and method when the module throws.
  at::Tensor call(std::size_t method_index, const std::vector<Arg>& args) const;

  const std::string& file() const { return file_; }

 private:
  struct Impl;
  std::string file_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qharness::torchscript
