#include "tasks/ptq_model.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <iostream>

#include "data/batches.hpp"
#include "quant/bias_correction.hpp"
#include "tasks/model_setup.hpp"
#include "tasks/parabola_vertex.hpp"
#include "tasks/traced_minimize.hpp"
#include "tasks/training.hpp"

namespace qharness {

PtqModel::PtqModel(const TrialContext& ctx)
    : data(load_data(ctx.config())),
      model(prepare_model(ctx, data, ModelUse::Evaluation)),
      device(trial_device(ctx.config())),
      plan(attach_quantizers(*model, ctx, {true, true, false})) {
  const ResolvedConfig& cfg = ctx.config();
  model->eval();
  for (auto& p : model->parameters()) p.requires_grad_(false);
  const Dataset& split = cfg.get_string("data.calibration.split") == "train" ? *data.train : *data.test;
  const Batch calib = calibration_batch(split, cfg.get_int("data.calibration.size"),
                                        static_cast<std::uint64_t>(cfg.get_int("data.calibration.seed")));
  images = calib.images.to(device);
  labels = calib.labels.to(device);
  calibrator = std::make_unique<PtqCalibrator>(
      *model, plan.quantized, images, cfg.plugin("quant.weights"), cfg.plugin("quant.activations"), ctx.plugins(),
      cfg.get_string("ptq.calibrate_on") == "fp32" ? CalibrateOn::Fp32 : CalibrateOn::Quantized);
  if (cfg.get_bool("ptq.bias_correction"))
    for (const auto& l : plan.quantized)
      if (l.layer->weight_quant.active())
        l.layer->weight_quant.quantizer = std::make_shared<BiasCorrectedQuantizer>(l.layer->weight_quant.quantizer);
  forward = std::make_unique<IncrementalForward>(
      *model, IncrementalForward::Options{cfg.get_int("eval_cache_mb") * (std::int64_t{1} << 20)});
}

double PtqModel::calib_loss() {
  at::NoGradGuard no_grad;
  return at::cross_entropy_loss((*forward)(images), labels).item<double>();
}

double PtqModel::eval_stage_share() const {
  const auto& s = forward->stats();
  return s.stages_total ? static_cast<double>(s.stages_run) / static_cast<double>(s.stages_total) : 1.0;
}

at::Tensor PtqModel::calib_loss_graph() {
  at::AutoGradMode grad_on(true);
  return at::cross_entropy_loss(model->forward(images), labels);
}

PstarInit PtqModel::init_lp_pstar(const std::vector<double>& spec) {
  PstarInit r;
  r.grid = linspace(spec[0], spec[1], std::lround(spec[2]));
  for (double p : r.grid) {
    calibrator->calibrate({CalibrationMethod::Kind::Lp, p});
    r.grid_loss.push_back(calib_loss());
  }
  r.p_star = parabola_vertex_p(r.grid, r.grid_loss);
  calibrator->calibrate({CalibrationMethod::Kind::Lp, r.p_star});
  // One line per trial: the whole grid is in the trial's series p_grid_loss.
  const auto best = std::min_element(r.grid_loss.begin(), r.grid_loss.end()) - r.grid_loss.begin();
  std::cerr << "  lp-pstar: p* = " << r.p_star << " (" << r.grid.size() << " grid points, lowest calibration loss "
            << r.grid_loss[best] << " at p = " << r.grid[best] << ")\n";
  return r;
}

LapqSearch PtqModel::search_lapq(const PluginSelection& selection, const PluginRegistry& plugins) {
  auto optimizer = plugins.make_optimizer(selection);
  const std::vector<double> x0 = calibrator->clips();
  const double loss_start = calib_loss();
  Objective objective;
  objective.value = [&](const std::vector<double>& x) {
    calibrator->set_clips(x);
    return calib_loss();
  };
  // The clip gradient only where every quantizer declares it: otherwise autograd would hand
  // the optimizer zeros (or fail) for clips the quantizer treats as constants, and an optimizer
  // that needs a gradient says so (Objective: "falls back to finite differences or refuses").
  if (calibrator->clip_gradient())
    objective.value_and_gradient = [&](const std::vector<double>& x, std::vector<double>& g) {
      calibrator->set_clips(x);
      return calibrator->loss_and_clip_gradient([&] { return calib_loss_graph(); }, g);
    };
  const TracedMinimum m = minimize_traced(*optimizer, objective, x0, calibrator->bounds());
  calibrator->set_clips(m.result.x);
  // The optimizer's best point is no better than where it started: keep the start.
  if (!(calib_loss() <= loss_start)) calibrator->set_clips(x0);
  LapqSearch r;
  r.evaluations = m.evaluations;
  r.function_evaluations = m.function_evaluations;
  r.gradient_evaluations = m.gradient_evaluations;
  r.iterations = m.result.iterations;
  r.moved = moved_fraction(m.x0, calibrator->clips());
  r.wall_s = m.wall_s;
  r.trace = m.trace;
  r.message = m.result.message;
  std::cerr << "  lapq: " << m.evaluations << " evaluations (" << m.gradient_evaluations << " with gradient), "
            << r.iterations << " iteration(s), " << r.moved * 100.0 << "% of " << x0.size()
            << " clips moved: " << m.result.message << "\n";
  return r;
}

void PtqModel::initialize(const std::string& at, const ResolvedConfig& cfg, const PluginRegistry& plugins) {
  init_lp_pstar(cfg.get_doubles("ptq.p_grid"));
  if (at == "lapq") search_lapq(cfg.plugin("ptq.optimizer"), plugins);
}

}  // namespace qharness
