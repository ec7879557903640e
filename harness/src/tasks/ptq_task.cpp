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
// Calibration goes through the Quantizer interface of the slot's own quantizer
// (quant/calibrate.hpp): the plugin's calibrate_method where it has one, else the harness's
// generic method through its quantize(), so the grid, bits and granularity match what the
// slot quantizes with and any quantizer plugin works. Bias correction (the harness's,
// quant/bias_correction.hpp) wraps the weight quantizer. A quantizer that does not serve its
// slot's role is refused before the sweep runs (quant_checks.hpp).
//
// Records metrics top1/top5/loss (test split), calib_loss_init (after initialization),
// calib_loss (final), evals (optimizer evaluations; 0 without a search), p_star, ptq_wall_s;
// with lapq also function_evals and gradient_evals (evals split into loss-only calls and
// loss-and-gradient calls, which cost a backward pass more), iterations (the optimizer's
// completed outer iterations: Powell's sweeps), moved (the fraction of clips that left their
// lp-pstar value: below 1 when a budget stopped a sweep midway, see the trial's log line) and
// search_wall_s (seconds in the optimizer: the fair cost of a derivative-free vs a gradient
// method);
// series p_grid_loss and loss_trace (one value per optimizer evaluation); array clip
// [layers, 2] (weight clip, activation clip; the mean over channels when per-channel; NaN
// where not quantized) with layer_names.
#include "tasks/ptq_task.hpp"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "quant/calibration_method.hpp"
#include "tasks/ptq_model.hpp"
#include "tasks/quant_checks.hpp"
#include "tasks/training.hpp"

namespace qharness {
namespace {

double mean_clip(const at::Tensor& clip) {
  return clip.defined() ? clip.to(at::kDouble).mean().item<double>() : std::numeric_limits<double>::quiet_NaN();
}

void run_ptq(TrialContext& ctx) {
  const auto started = std::chrono::steady_clock::now();
  const ResolvedConfig& cfg = ctx.config();
  const std::string method = cfg.get_string("ptq.method");
  PtqModel ptq(ctx);

  PstarInit pstar;
  if (method == "lp-pstar" || method == "lapq") pstar = ptq.init_lp_pstar(cfg.get_doubles("ptq.p_grid"));
  else ptq.calibrator->calibrate(calibration_method(method, cfg.get_double("ptq.p")));
  const double loss_init = ptq.calib_loss();
  LapqSearch search;
  if (method == "lapq") search = ptq.search_lapq(cfg.plugin("ptq.optimizer"), ctx.plugins());
  const double loss_final = ptq.calib_loss();
  const double ptq_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const Evaluation e = evaluate_model(*ptq.model, *ptq.data.test, cfg.get_int("data.batch_size"), ptq.device);
  ctx.metric("top1", e.top1);
  ctx.metric("top5", e.top5);
  ctx.metric("loss", e.loss);
  ctx.metric("calib_loss_init", loss_init);
  ctx.metric("calib_loss", loss_final);
  ctx.metric("evals", static_cast<double>(search.evaluations));
  if (method == "lapq") {
    ctx.metric("function_evals", static_cast<double>(search.function_evaluations));
    ctx.metric("gradient_evals", static_cast<double>(search.gradient_evaluations));
    ctx.metric("iterations", static_cast<double>(search.iterations));
    ctx.metric("moved", search.moved);
    ctx.metric("search_wall_s", search.wall_s);
  }
  ctx.metric("quantized_layers", static_cast<double>(ptq.plan.quantized.size()));
  if (!pstar.grid_loss.empty()) {
    ctx.metric("p_star", pstar.p_star);
    ctx.series("p_grid_loss", pstar.grid_loss);
  }
  if (method == "lapq") ctx.series("loss_trace", search.trace);
  ctx.metric("ptq_wall_s", ptq_wall);
  ctx.metric("eval_stage_share", ptq.eval_stage_share());

  std::vector<double> clip;
  std::vector<std::string> names;
  for (const auto& l : ptq.plan.quantized) {
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
  s.add("calibrate_on", SchemaNode::one_of({"quantized", "fp32"}, "quantized",
                                           "activation clips fitted on each layer's input with the layers before it "
                                           "already quantized (LAPQ's reference), or on the FP32 network's"));
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
          {"data", "model", "quant"}, ptq_schema, run_ptq,
          clip_search_check("ptq.method")};
}

}  // namespace qharness
