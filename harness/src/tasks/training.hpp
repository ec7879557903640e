#pragma once
// Training and evaluation of a zoo model on a dataset: what the train task runs, what the
// checkpoint cache runs on a miss, and what later tasks (quant-train, sparse-train, ptq's
// evaluation) reuse.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "data/data_source.hpp"
#include "models/model.hpp"

namespace qharness {

// The `train:` block (docs/yaml-reference.md). Defaults are the usual CIFAR recipe.
struct TrainOptions {
  std::int64_t epochs = 10;
  std::string optimizer = "sgd";    // sgd (with momentum) | adam
  double lr = 0.1;                  // peak learning rate
  double momentum = 0.9;            // sgd only
  double weight_decay = 5e-4;       // L2, on every parameter
  std::string schedule = "cosine";  // cosine: lr * (1 + cos(pi t / T)) / 2 per step | constant |
                                    // triangular: up to lr over T/2 steps, down to 0 (quant-train's FNT)
  bool augment = false;             // random crop after zero padding + horizontal flip
  std::int64_t batch_size = 256;    // data.batch_size
  std::uint64_t seed = 0;           // shuffling and augmentation draws
};

TrainOptions train_options(const ResolvedConfig& cfg);   // reads train.* and data.batch_size
SchemaNode train_schema();

struct Evaluation {
  double top1 = 0, top5 = 0, loss = 0;   // fractions in [0, 1]; mean cross-entropy
  std::int64_t images = 0;
};

struct TrainResult {
  std::vector<double> train_loss, test_loss, test_top1, lr;   // one entry per epoch (lr: at its start)
  std::vector<double> epoch_train_s;                          // per epoch: training steps only (no evaluation)
  Evaluation final;                                           // on the test split after the last epoch
  double train_images_per_s = 0;                              // training steps only
  double data_fraction = 0;                                   // of the training time spent loading batches
};

// `device: cpu | cuda`; cuda without a CUDA build of LibTorch is an error saying so.
c10::Device trial_device(const ResolvedConfig& cfg);

// Trains in place. Throws NonFiniteLoss when the training loss becomes NaN/Inf.
// `log` receives one line per epoch (may be empty); `after_epoch` is called after each epoch's
// evaluation with the number of epochs done (quant-train measures gradient statistics there);
// `before_step` before each optimizer step's forward pass with the number of steps done, inside
// the timed training loop (sparse-train recomputes its masks there).
TrainResult train_model(QModel& model, const DataSplits& data, const TrainOptions& options, c10::Device device,
                        const std::function<void(const std::string&)>& log = {},
                        const std::function<void(std::int64_t epochs_done)>& after_epoch = {},
                        const std::function<void(std::int64_t steps_done)>& before_step = {});

// Top-1, top-5 and mean loss over a whole split, in eval mode, without gradients.
Evaluation evaluate_model(QModel& model, const Dataset& data, std::int64_t batch_size, c10::Device device);

}  // namespace qharness
