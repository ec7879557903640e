#include "tasks/train_task.hpp"

#include <iostream>

#include "models/checkpoint.hpp"
#include "tasks/model_setup.hpp"
#include "tasks/training.hpp"

namespace qharness {
namespace {

void run_train(TrialContext& ctx) {
  const ResolvedConfig& cfg = ctx.config();
  const DataSplits data = load_data(cfg);
  auto model = prepare_model(ctx, data, ModelUse::Training);
  const TrainResult r = train_model(*model, data, train_options(cfg), trial_device(cfg),
                                    [](const std::string& line) { std::cerr << "  " << line << "\n"; });
  save_checkpoint(*model, checkpoint_cache_path(ctx.results_root(), cfg.trial_id()));
  ctx.metric("top1", r.final.top1);
  ctx.metric("top5", r.final.top5);
  ctx.metric("loss", r.final.loss);
  ctx.metric("train_loss", r.train_loss.back());
  ctx.metric("train_images_per_s", r.train_images_per_s);
  ctx.metric("data_fraction", r.data_fraction);
  ctx.series("train_loss", r.train_loss);
  ctx.series("test_loss", r.test_loss);
  ctx.series("test_top1", r.test_top1);
  ctx.series("lr", r.lr);
}

}  // namespace

TaskInfo train_task() {
  return {"train", "train a model; its checkpoint is cached by the hash of this config", {"data", "model"},
          train_schema, run_train};
}

}  // namespace qharness
