// Plugins written in Python: quantizer `torchscript` and mask `torchscript`, each running a
// module saved by torch.jit.save (docs/plugins.md, "Plugins in Python"). LibTorch runs the
// module in the driver's threads; no Python interpreter is involved.
#include <qharness/plugin.hpp>

#include "torchscript/torchscript_mask.hpp"
#include "torchscript/torchscript_quantizer.hpp"

namespace {

qharness::ParamSpec module_option(const char* what) {
  qharness::ParamSpec s{"module", qharness::ParamType::File, std::monostate{},
                        std::string("the TorchScript file (torch.jit.save) of the ") + what +
                            ", relative to the experiment file; its content is part of the trial id"};
  s.required = true;
  return s;
}

void register_plugins(qharness::Registrar& r) {
  r.add_quantizer({"torchscript",
                   "a quantizer written in Python: a scripted module's forward(x, clip, bits, signed) and "
                   "calibrate(x, bits, signed)",
                   {module_option("quantizer")}},
                  [](const qharness::Params& p) {
                    return std::make_unique<qharness::torchscript::TorchScriptQuantizer>(p);
                  });
  qharness::ParamSpec pattern{"pattern", qharness::ParamType::String, std::string("nm"),
                              "the constraint the module's masks satisfy, checked on every mask: unstructured "
                              "(n/m of each layer), nm (1-D N:M), transposable (N:M in W and W^T)",
                              {"unstructured", "nm", "transposable"}};
  r.add_mask({"torchscript", "a mask written in Python: a scripted module's forward(weight, n, m) -> bool mask",
              {module_option("mask"), pattern}},
             [](const qharness::Params& p) { return std::make_unique<qharness::torchscript::TorchScriptMask>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
