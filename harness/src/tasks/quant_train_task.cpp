#include "tasks/quant_train_task.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <iostream>
#include <set>

#include "data/batches.hpp"
#include "tasks/gradient_statistics.hpp"
#include "tasks/layer_macs.hpp"
#include "tasks/model_setup.hpp"
#include "tasks/quant_checks.hpp"
#include "tasks/quant_setup.hpp"
#include "tasks/training.hpp"

namespace qharness {
namespace {

// Share of a training step's multiply-accumulates done as INT4 x FP4 products (shift and add):
// the two backward products of every layer whose output gradient is quantized (the input
// gradient of the first layer is never computed).
double shift_add_share(QModel& model, const at::Tensor& one_image) {
  const std::vector<double> macs = forward_macs(model, one_image);
  const auto layers = model.quant_layers();
  double total = 0, covered = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const double backward = macs[i] * (i == 0 ? 1.0 : 2.0);
    total += macs[i] + backward;
    if (layers[i].layer->grad_quant.active()) covered += backward;
  }
  return total > 0 ? covered / total : 0.0;
}

std::vector<std::int64_t> statistics_epochs(std::int64_t epochs, std::int64_t points) {
  std::set<std::int64_t> at{0};
  for (std::int64_t k = 1; k <= points; ++k) at.insert((epochs * k + points - 1) / points);
  if (points == 0) at.clear();
  return {at.begin(), at.end()};
}

void run_quant_train(TrialContext& ctx) {
  const ResolvedConfig& cfg = ctx.config();
  const DataSplits data = load_data(cfg);
  auto model = prepare_model(ctx, data, ModelUse::Training);
  const c10::Device device = trial_device(cfg);
  const QuantPlan plan = attach_quantizers(*model, ctx, {true, true, true});
  std::vector<NamedQuantLayer> grad_layers;
  for (const auto& l : plan.quantized)
    if (l.layer->grad_quant.active()) grad_layers.push_back(l);

  TrainOptions options = train_options(cfg);
  const std::int64_t stats_batch = std::min<std::int64_t>(cfg.get_int("quant-train.stats_batch"), data.train->size());
  const Batch probe = load_batch(*data.train, at::arange(stats_batch, at::kLong));
  const at::Tensor probe_x = probe.images.to(device), probe_y = probe.labels.to(device);
  const int samples = static_cast<int>(cfg.get_int("quant-train.stats_samples"));
  const auto stats_at = grad_layers.empty() ? std::vector<std::int64_t>{}
                                            : statistics_epochs(options.epochs, cfg.get_int("quant-train.stats_points"));
  std::vector<GradientStatistics> stats;
  auto maybe_measure = [&](std::int64_t epochs_done) {
    if (std::find(stats_at.begin(), stats_at.end(), epochs_done) == stats_at.end()) return;
    stats.push_back(measure_gradient_statistics(*model, grad_layers, probe_x, probe_y, samples));
  };
  ctx.metric("shift_add_mac_share", shift_add_share(*model, probe_x.narrow(0, 0, 1)));

  auto log = [](const std::string& line) { std::cerr << "  " << line << "\n"; };
  maybe_measure(0);
  TrainResult r = train_model(*model, data, options, device, log, maybe_measure);
  ctx.metric("top1_before_fnt", r.final.top1);
  std::vector<double> train_loss = r.train_loss, test_top1 = r.test_top1, lr = r.lr;

  const std::int64_t fnt_epochs = cfg.get_int("quant-train.fnt_epochs");
  if (fnt_epochs > 0) {
    // FNT: everything in high precision but the weights.
    for (auto& l : model->quant_layers()) {
      l.layer->input_quant.clear();
      l.layer->grad_quant.clear();
    }
    TrainOptions fnt = options;
    fnt.epochs = fnt_epochs;
    fnt.schedule = "triangular";
    fnt.seed = options.seed + 1;
    const TrainResult f = train_model(*model, data, fnt, device, log);
    train_loss.insert(train_loss.end(), f.train_loss.begin(), f.train_loss.end());
    test_top1.insert(test_top1.end(), f.test_top1.begin(), f.test_top1.end());
    lr.insert(lr.end(), f.lr.begin(), f.lr.end());
    r.final = f.final;
  }
  ctx.metric("top1", r.final.top1);
  ctx.metric("top5", r.final.top5);
  ctx.metric("loss", r.final.loss);
  ctx.metric("quantized_layers", static_cast<double>(plan.quantized.size()));
  ctx.series("train_loss", train_loss);
  ctx.series("test_top1", test_top1);
  ctx.series("lr", lr);
  if (!stats.empty()) {
    // Rows are layers, columns the measurement points (epochs in stats_epochs).
    const std::size_t n_layers = stats[0].layers.size(), n_points = stats.size();
    std::vector<double> bias(n_layers * n_points), error(n_layers * n_points), debiased(n_layers * n_points);
    double last_bias = 0, last_error = 0, last_debiased = 0;
    for (std::size_t p = 0; p < n_points; ++p)
      for (std::size_t l = 0; l < n_layers; ++l) {
        bias[l * n_points + p] = stats[p].bias[l];
        error[l * n_points + p] = stats[p].error[l];
        debiased[l * n_points + p] = stats[p].debiased_bias[l];
      }
    for (std::size_t l = 0; l < n_layers; ++l) {
      last_bias += stats.back().bias[l] / double(n_layers);
      last_error += stats.back().error[l] / double(n_layers);
      last_debiased += stats.back().debiased_bias[l] / double(n_layers);
    }
    // grad_bias is the raw statistic (it includes the sampling floor ~ sqrt(grad_error /
    // stats_samples)); grad_bias_debiased removes the floor (gradient_statistics.hpp).
    ctx.metric("grad_bias", last_bias);
    ctx.metric("grad_bias_debiased", last_debiased);
    ctx.metric("grad_error", last_error);
    ctx.array("grad_bias", NdArray{{n_layers, n_points}, bias, stats[0].layers});
    ctx.array("grad_bias_debiased", NdArray{{n_layers, n_points}, debiased, stats[0].layers});
    ctx.array("grad_error", NdArray{{n_layers, n_points}, error, stats[0].layers});
    ctx.array("stats_epochs", NdArray{{stats_at.size()}, std::vector<std::int64_t>(stats_at.begin(), stats_at.end()), {}});
  }
}

SchemaNode quant_train_schema() {
  SchemaNode s = SchemaNode::map("4-bit training: quantized forward and neural gradients, then FNT");
  s.add("fnt_epochs", SchemaNode::leaf(ParamType::Int, YAML::Node("0"),
                                       "FNT: epochs after training with only the weights quantized, triangular lr").range(0, {}));
  s.add("stats_points", SchemaNode::leaf(ParamType::Int, YAML::Node("3"),
                                         "gradient bias/error measured before training and at this many evenly spaced epochs").range(0, {}));
  s.add("stats_samples", SchemaNode::leaf(ParamType::Int, YAML::Node("16"),
                                          "independent gradient quantizations per measurement (>= 2: the "
                                          "debiased bias removes their sampling floor)").range(2, {}));
  s.add("stats_batch", SchemaNode::leaf(ParamType::Int, YAML::Node("64"), "images in the measurement batch").range(1, {}));
  return s;
}

}  // namespace

TaskInfo quant_train_task() {
  return {"quant-train", "4-bit training (INT4 forward, quantized neural gradients) with optional FNT",
          {"data", "model", "train", "quant"}, quant_train_schema, run_quant_train, quant_roles_check({true, true, true})};
}

}  // namespace qharness
