#pragma once
// `qharness import FILE.pt --arch A -o CKPT`: weights from a TorchScript module saved in
// Python (torch.jit.save of a torchvision model, scripted or traced) into a zoo model.
#include <cstdint>
#include <string>

namespace qharness {

struct ImportOptions {
  std::string torchscript_file;
  std::string arch;
  std::string output;                 // the qharness checkpoint to write
  std::int64_t input_size = 0;        // image height = width; 0 = the arch's native_input (zoo.hpp)
  std::int64_t check_size = 64;       // side of the seeded images of the logits check; 0 = no check
};

struct ImportReport {
  std::int64_t tensors = 0;           // parameters + buffers copied
  double max_logit_diff = -1;         // zoo vs TorchScript on the check input (-1: not checked)
};

// Copies every parameter and buffer by name. Refuses (std::runtime_error naming the file or
// the tensor, without LibTorch's stack trace) when the file is missing or not TorchScript,
// lacks a name the zoo model has, has one the model lacks, a shape differs, or a tensor holds
// NaN or Inf; nothing is written then.
// Then runs both models (eval mode) on seeded images and reports the largest logit difference.
ImportReport import_torchscript(const ImportOptions& options);

}  // namespace qharness
