// The `sparse-train` task (Hubara et al. 2021, Sec. 6): training (from scratch, or from
// model.checkpoint) in which every masked layer computes with its weight masked,
//
//   sparse-train: {mask: {method: tnm-greedy, n: 4, m: 8, every: 40}, skip: [first]}
//
// `method: dense` trains without masks (the reference row). The mask of every layer but `skip` is recomputed from the dense weight with the method
// plugin (mask_slot.hpp) before the first step and then every `every` optimizer steps; between
// recomputations it stays fixed. Forward uses w * mask, backward is straight-through: the
// dense weight receives the full gradient (QuantLayer's weight_mask slot), so pruned weights
// keep learning and can come back at the next recomputation. The train: block is the optimizer.
//
// Records series train_loss, test_top1, lr, mask_s (mask solver seconds per epoch) and
// mask_share (mask_s over the epoch's training time, evaluation excluded); metrics top1/top5/
// loss (test split, with the final masks), mask_share (over all epochs), mask_updates (how
// many times the masks were recomputed), valid (1 when every final mask passes the checker),
// mask_density (kept / size of the masked layers) and masked_weight_density (nonzero entries
// of the weights the products use, w * mask, over the same size: equals mask_density unless
// a kept weight is exactly 0, which shows that the masked positions do not contribute).
// Arrays layer_density (final mask density per masked layer) with layer_names.
#include "tasks/sparse_train_task.hpp"

#include <ATen/ATen.h>

#include <chrono>
#include <iostream>

#include "qharness/masks/mask_check.hpp"
#include "tasks/mask_slot.hpp"
#include "tasks/model_setup.hpp"
#include "tasks/training.hpp"

namespace qharness {
namespace {

using Clock = std::chrono::steady_clock;

void run_sparse_train(TrialContext& ctx) {
  const ResolvedConfig& cfg = ctx.config();
  const MaskMethod method(cfg, "sparse-train.mask", ctx.plugins());
  const std::int64_t every = cfg.get_int("sparse-train.mask.every");
  const DataSplits data = load_data(cfg);
  auto model = prepare_model(ctx, data, ModelUse::Training);
  const c10::Device device = trial_device(cfg);
  const auto layers = masked_layers(*model, cfg.at("sparse-train.skip").as<std::vector<std::string>>());
  if (layers.empty()) throw std::invalid_argument("sparse-train.skip: every layer is skipped, nothing to mask");

  double mask_s_epoch = 0;
  std::vector<double> mask_s;
  std::int64_t updates = 0;
  auto recompute = [&](std::int64_t steps_done) {
    if (method.dense() || steps_done % every != 0) return;
    const auto t0 = Clock::now();
    const std::vector<at::Tensor> masks = method.compute(layers);
    for (std::size_t i = 0; i < layers.size(); ++i) layers[i].layer->weight_mask = masks[i];
    mask_s_epoch += std::chrono::duration<double>(Clock::now() - t0).count();
    ++updates;
  };
  auto end_epoch = [&](std::int64_t) {
    mask_s.push_back(mask_s_epoch);
    mask_s_epoch = 0;
  };
  auto log = [](const std::string& line) { std::cerr << "  " << line << "\n"; };
  const TrainResult r = train_model(*model, data, train_options(cfg), device, log, end_epoch, recompute);

  std::vector<double> share;
  double mask_total = 0, train_total = 0;
  for (std::size_t e = 0; e < mask_s.size(); ++e) {
    share.push_back(r.epoch_train_s[e] > 0 ? mask_s[e] / r.epoch_train_s[e] : 0.0);
    mask_total += mask_s[e];
    train_total += r.epoch_train_s[e];
  }
  bool valid = true;
  double kept = 0, nonzero = 0, size = 0;
  std::vector<double> layer_density;
  std::vector<std::string> names;
  for (const auto& l : layers) {
    at::NoGradGuard no_grad;
    const at::Tensor mask = method.dense() ? at::ones_like(l.layer->weight_param(), at::kBool) : l.layer->weight_mask;
    if (!method.dense() && method.scope() == MaskScope::PerLayer) {
      const masks::MaskCheck check = masks::check_mask(mask, method.pattern(), method.spec());
      if (!check.valid) std::cerr << "  " << l.name << ": invalid mask: " << check.first_problem << "\n";
      valid = valid && check.valid;
    }
    const double k = mask.sum().item<double>();
    kept += k;
    nonzero += l.layer->effective_weight().ne(0).sum().item<double>();
    size += double(mask.numel());
    layer_density.push_back(k / double(mask.numel()));
    names.push_back(l.name);
  }
  if (!method.dense() && method.scope() == MaskScope::Global) {  // one budget: checked as one flat tensor
    std::vector<at::Tensor> flat;
    for (const auto& l : layers) flat.push_back(l.layer->weight_mask.reshape({1, -1}).cpu());
    const masks::MaskCheck check = masks::check_mask(at::cat(flat, 1), method.pattern(), method.spec());
    if (!check.valid) std::cerr << "  invalid global mask: " << check.first_problem << "\n";
    valid = check.valid;
  }
  ctx.metric("top1", r.final.top1);
  ctx.metric("top5", r.final.top5);
  ctx.metric("loss", r.final.loss);
  ctx.metric("mask_share", train_total > 0 ? mask_total / train_total : 0.0);
  ctx.metric("mask_updates", static_cast<double>(updates));
  ctx.metric("valid", valid ? 1.0 : 0.0);
  ctx.metric("mask_density", kept / size);
  ctx.metric("masked_weight_density", nonzero / size);
  ctx.series("train_loss", r.train_loss);
  ctx.series("test_top1", r.test_top1);
  ctx.series("lr", r.lr);
  ctx.series("mask_s", mask_s);
  ctx.series("mask_share", share);
  ctx.array("layer_density", NdArray{{layer_density.size()}, layer_density, names});
}

SchemaNode sparse_train_schema() {
  SchemaNode s = SchemaNode::map("training with N:M / transposable N:M masks recomputed every `every` steps");
  s.add("mask", mask_slot_schema("the mask plugin (`method`, any registered mask plugin or dense) and how often "
                                 "its masks are recomputed",
                                 "tnm-greedy",
                                 {{"every", SchemaNode::leaf(ParamType::Int, YAML::Node("40"),
                                                             "recompute the masks every this many optimizer steps "
                                                             "(and before the first)")
                                                .range(1, {})}}));
  s.add("skip", SchemaNode::leaf(ParamType::StringList, YAML::Load("[first]"),
                                 "layers left dense (names, or first/last); [] masks every layer"));
  return s;
}

}  // namespace

TaskInfo sparse_train_task() {
  return {"sparse-train", "training with masks recomputed on the fly (straight-through to the dense weights)",
          {"data", "model", "train"}, sparse_train_schema, run_sparse_train};
}

}  // namespace qharness
