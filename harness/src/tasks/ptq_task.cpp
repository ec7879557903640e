// The `ptq` task:
//
//   ptq: {method: lapq, p_grid: [2.0, 4.0, 10], bias_correction: true,
//         optimizer: {name: powell, maxiter: 2}}
//
// The trained model (model.checkpoint) gets weight and activation quantizers (quant: block,
// attach_quantizers) and ONE calibration batch (data.calibration) stays resident. Clips:
//   minmax | mse | lp | aciq  every quantized tensor calibrated by that method, each on its own
//                             tensor: the weight, or the layer's FP32 input on the
//                             calibration batch;
//   lp-pstar                  Lp calibration for every p of p_grid (linspace(start, stop,
//                             count)), calibration cross-entropy at each, parabola fit,
//                             vertex p* (parabola_vertex.hpp), Lp calibration with p*;
//   lapq                      lp-pstar, then the calibration cross-entropy minimized jointly
//                             over every clip with ptq.optimizer, bounds (0, max|x|].
// Calibration goes through the Quantizer interface: a second quantizer of the slot's own
// plugin and options is built with `calibration` (and `p`) set to the method, so the grid,
// bits and granularity match what the slot quantizes with, and any quantizer plugin that
// declares a `calibration` option works. Bias correction wraps the weight quantizer.
//
// Records metrics top1/top5/loss (test split), calib_loss_init (after initialization),
// calib_loss (final), evals (optimizer evaluations; 0 without a search), p_star, ptq_wall_s;
// series p_grid_loss and loss_trace (one value per optimizer evaluation); array clip
// [layers, 2] (weight clip, activation clip; the mean over channels when per-channel; NaN
// where not quantized) with layer_names.
#include "tasks/ptq_task.hpp"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <stdexcept>

#include "data/batches.hpp"
// Header-only; the core does not put plugins/ on its include path.
#include "../../../plugins/quantizers/uniform/bias_correction.hpp"
#include "tasks/model_setup.hpp"
#include "tasks/parabola_vertex.hpp"
#include "tasks/ptq_calibration.hpp"
#include "tasks/quant_setup.hpp"
#include "tasks/traced_minimize.hpp"
#include "tasks/training.hpp"

namespace qharness {
namespace {

// Quantizes with the inner quantizer, then restores each output channel's mean weight.
class BiasCorrectedWeights : public Quantizer {
 public:
  explicit BiasCorrectedWeights(std::shared_ptr<Quantizer> inner) : inner_(std::move(inner)) {}
  at::Tensor calibrate(const at::Tensor& x, const QuantTarget& t) override { return inner_->calibrate(x, t); }
  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget& t, at::Generator& g) override {
    return plugins::uniform::bias_corrected(x, inner_->quantize(x, clip, t, g), t.channel_axis);
  }

 private:
  std::shared_ptr<Quantizer> inner_;
};

double mean_clip(const at::Tensor& clip) {
  return clip.defined() ? clip.to(at::kDouble).mean().item<double>() : std::numeric_limits<double>::quiet_NaN();
}

void run_ptq(TrialContext& ctx) {
  const auto started = std::chrono::steady_clock::now();
  const ResolvedConfig& cfg = ctx.config();
  const std::string method = cfg.get_string("ptq.method");
  const DataSplits data = load_data(cfg);
  auto model = prepare_model(ctx, data);
  const c10::Device device = trial_device(cfg);
  const QuantPlan plan = attach_quantizers(*model, ctx, {true, true, false});
  model->eval();
  // Only clips are searched: no gradient is ever needed for the parameters.
  for (auto& p : model->parameters()) p.requires_grad_(false);

  const Dataset& calib_split = cfg.get_string("data.calibration.split") == "train" ? *data.train : *data.test;
  const Batch calib = calibration_batch(calib_split, cfg.get_int("data.calibration.size"),
                                        static_cast<std::uint64_t>(cfg.get_int("data.calibration.seed")));
  const at::Tensor images = calib.images.to(device), labels = calib.labels.to(device);

  PtqCalibrator calibrator(*model, plan.quantized, images, cfg.plugin("quant.weights"), cfg.plugin("quant.activations"),
                           ctx.plugins());
  if (cfg.get_bool("ptq.bias_correction"))
    for (const auto& l : plan.quantized)
      if (l.layer->weight_quant.active())
        l.layer->weight_quant.quantizer = std::make_shared<BiasCorrectedWeights>(l.layer->weight_quant.quantizer);

  auto calib_loss = [&]() {
    at::NoGradGuard no_grad;
    return at::cross_entropy_loss(model->forward(images), labels).item<double>();
  };

  std::vector<double> grid_loss, loss_trace;
  double p_star = std::numeric_limits<double>::quiet_NaN();
  std::int64_t evals = 0;
  if (method == "lp-pstar" || method == "lapq") {
    const std::vector<double> spec = cfg.get_doubles("ptq.p_grid");
    const std::vector<double> grid = linspace(spec[0], spec[1], std::lround(spec[2]));
    for (double p : grid) {
      calibrator.calibrate("lp", p);
      grid_loss.push_back(calib_loss());
      std::cerr << "  p = " << p << ": calibration loss " << grid_loss.back() << "\n";
    }
    p_star = parabola_vertex_p(grid, grid_loss);
    calibrator.calibrate("lp", p_star);
  } else {
    calibrator.calibrate(method, cfg.get_double("ptq.p"));
  }
  const double loss_init = calib_loss();
  double loss_final = loss_init;

  if (method == "lapq") {
    auto optimizer = ctx.plugins().make_optimizer(cfg.plugin("ptq.optimizer"));
    const std::vector<double> x0 = calibrator.clips();
    Objective objective;
    objective.value = [&](const std::vector<double>& x) {
      calibrator.set_clips(x);
      return calib_loss();
    };
    objective.value_and_gradient = [&](const std::vector<double>& x, std::vector<double>& g) {
      calibrator.set_clips(x);
      return calibrator.loss_and_clip_gradient(
          [&] { return at::cross_entropy_loss(model->forward(images), labels); }, g);
    };
    const TracedMinimum m = minimize_traced(*optimizer, objective, x0, calibrator.bounds());
    evals = m.evaluations;
    loss_trace = m.trace;
    calibrator.set_clips(m.result.x);
    loss_final = calib_loss();
    if (!(loss_final <= loss_init)) {
      // The optimizer's best point is no better than where it started: keep the start.
      calibrator.set_clips(x0);
      loss_final = calib_loss();
    }
    std::cerr << "  lapq: " << evals << " evaluations, " << m.result.message << "\n";
  }
  const double ptq_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const Evaluation e = evaluate_model(*model, *data.test, cfg.get_int("data.batch_size"), device);
  ctx.metric("top1", e.top1);
  ctx.metric("top5", e.top5);
  ctx.metric("loss", e.loss);
  ctx.metric("calib_loss_init", loss_init);
  ctx.metric("calib_loss", loss_final);
  ctx.metric("evals", static_cast<double>(evals));
  ctx.metric("quantized_layers", static_cast<double>(plan.quantized.size()));
  if (!grid_loss.empty()) {
    ctx.metric("p_star", p_star);
    ctx.series("p_grid_loss", grid_loss);
  }
  if (method == "lapq") ctx.series("loss_trace", loss_trace);
  ctx.metric("ptq_wall_s", ptq_wall);

  std::vector<double> clip;
  std::vector<std::string> names;
  for (const auto& l : plan.quantized) {
    names.push_back(l.name);
    clip.push_back(l.layer->weight_quant.active() ? mean_clip(l.layer->weight_quant.clip) : std::nan(""));
    clip.push_back(l.layer->input_quant.active() ? mean_clip(l.layer->input_quant.clip) : std::nan(""));
  }
  ctx.array("clip", NdArray{{names.size(), 2}, clip, names});
}

SchemaNode ptq_schema() {
  SchemaNode s = SchemaNode::map("post-training quantization: clip initialization per method, LAPQ's joint search");
  s.add("method", SchemaNode::one_of({"minmax", "mse", "lp", "aciq", "lp-pstar", "lapq"}, "lapq",
                                     "how the clips are chosen (lapq: lp-pstar, then the joint loss search)"));
  s.add("p", SchemaNode::leaf(ParamType::Double, YAML::Node("2.0"), "method lp: the exponent p (>= 1)").range(1, {}));
  SchemaNode grid = SchemaNode::leaf(ParamType::DoubleList, YAML::Load("[2.0, 4.0, 10]"),
                                     "lp-pstar/lapq: the p grid as [start, stop, count] = linspace(start, stop, count)");
  grid.check = [](const YAML::Node& v) -> std::string {
    if (!v.IsSequence() || v.size() != 3) return "must be [start, stop, count]";
    const double a = v[0].as<double>(), b = v[1].as<double>(), n = v[2].as<double>();
    if (a < 1 || b < 1) return "p values must be >= 1";
    if (b < a) return "stop must be >= start";
    if (n < 1 || n != std::floor(n)) return "count must be a whole number >= 1";
    return "";
  };
  s.add("p_grid", grid);
  s.add("bias_correction", SchemaNode::leaf(ParamType::Bool, YAML::Node("true"),
                                            "add back each output channel's mean weight shift after quantization"));
  SchemaNode opt = SchemaNode::plugin(PluginKind::Optimizer, "name", "powell",
                                      "lapq: the optimizer plugin and its options (powell: maxiter 2 unless given)");
  opt.default_options = {{"maxiter", "2"}};   // LAPQ's budget: two Powell sweeps
  s.add("optimizer", opt);
  return s;
}

}  // namespace

TaskInfo ptq_task() {
  return {"ptq", "post-training quantization: minmax/mse/lp/aciq/lp-pstar clips, or LAPQ's joint loss-aware search",
          {"data", "model", "quant"}, ptq_schema, run_ptq};
}

}  // namespace qharness
