#include "tasks/evaluate_task.hpp"

#include "tasks/model_setup.hpp"
#include "tasks/training.hpp"

namespace qharness {
namespace {

void run_evaluate(TrialContext& ctx) {
  const ResolvedConfig& cfg = ctx.config();
  const DataSplits data = load_data(cfg);
  auto model = prepare_model(ctx, data, ModelUse::Evaluation);
  const Evaluation e = evaluate_model(*model, *data.test, cfg.get_int("data.batch_size"), trial_device(cfg));
  ctx.metric("top1", e.top1);
  ctx.metric("top5", e.top5);
  ctx.metric("loss", e.loss);
  ctx.metric("images", static_cast<double>(e.images));
}

}  // namespace

TaskInfo evaluate_task() {
  return {"evaluate", "top-1, top-5 and loss of a model on the test split", {"data", "model"}, {}, run_evaluate};
}

}  // namespace qharness
