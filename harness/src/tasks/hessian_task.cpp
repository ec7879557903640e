// The `hessian` task:
//
//   hessian: {params: activations, layers: all, at: lp-pstar, values: [], method: exact,
//             fd_step: 1.0e-2}
//
// The PTQ model (ptq_model.hpp: trained model, quantizers from quant:, one resident
// calibration batch of data.calibration.size images) is put at the point `at`: lp-pstar (the
// ptq block's p_grid), lapq (lp-pstar, then the joint search with ptq.optimizer), or values
// (lp-pstar, then the studied clips set to `values`, one per clip in order). The studied clips
// (clip_selection.hpp: params, layers) are the variables; every other clip stays put. The
// Hessian of the calibration cross-entropy is taken by `method` (clip_hessian.hpp): exact
// (double backward through the straight-through estimator) or fd (central differences,
// relative step fd_step, 2n^2 + 1 evaluations).
//
// Records arrays hessian [n, n], gradient [n], eigenvalues [n] (ascending), clip [n] (the point)
// with layer_names, gaussian_curvature [n-1] (adjacent pairs, layer_names "a|b"); metrics
// calib_loss, trace, top_eigenvalue, condition_number (left out when H is singular),
// offdiag_ratio, coupling, mean_abs_gaussian_curvature (n >= 2), clips (n), evals,
// hessian_wall_s; and fd_step with method fd.
#include "tasks/hessian_task.hpp"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <stdexcept>

#include "tasks/clip_hessian.hpp"
#include "tasks/clip_selection.hpp"
#include "tasks/ptq_model.hpp"

namespace qharness {
namespace {

void run_hessian(TrialContext& ctx) {
  const ResolvedConfig& cfg = ctx.config();
  PtqModel ptq(ctx);
  const std::string at_point = cfg.get_string("hessian.at");
  ptq.initialize(at_point, cfg, ctx.plugins());
  const std::vector<StudiedClip> clips = select_clips(ptq, cfg.get_string("hessian.params"),
                                                      cfg.at("hessian.layers").as<std::vector<std::string>>(),
                                                      "hessian.layers");
  std::vector<double> x0 = ptq.calibrator->clips();
  if (at_point == "values") {
    const std::vector<double> values = cfg.get_doubles("hessian.values");
    if (values.size() != clips.size())
      throw std::invalid_argument("hessian.values: " + std::to_string(values.size()) + " value(s) for " +
                                  std::to_string(clips.size()) + " studied clip(s) (hessian.params, hessian.layers)");
    for (std::size_t k = 0; k < clips.size(); ++k) {
      if (!(values[k] > 0)) throw std::invalid_argument("hessian.values: clip values must be > 0");
      x0[clips[k].entry] = values[k];
    }
    ptq.calibrator->set_clips(x0);
  }
  std::vector<double> point;
  std::vector<std::string> names;
  for (const auto& c : clips) {
    point.push_back(x0[c.entry]);
    names.push_back(c.name);
  }

  const auto started = std::chrono::steady_clock::now();
  const std::string method = cfg.get_string("hessian.method");
  HessianEstimate h;
  if (method == "exact") {
    // Each studied clip becomes a view of x, so the loss is a graph in x.
    std::vector<at::Tensor> saved;
    for (const auto& c : clips) saved.push_back(c.slot->clip);
    h = exact_hessian(
        [&](const at::Tensor& x) {
          for (std::size_t k = 0; k < clips.size(); ++k)
            clips[k].slot->clip = x[static_cast<std::int64_t>(k)].to(saved[k].scalar_type()).reshape(saved[k].sizes());
          return ptq.calib_loss_graph();
        },
        point);
    for (std::size_t k = 0; k < clips.size(); ++k) clips[k].slot->clip = saved[k];
  } else {
    h = fd_hessian(
        [&](const std::vector<double>& x) {
          std::vector<double> all = x0;
          for (std::size_t k = 0; k < clips.size(); ++k) all[clips[k].entry] = x[k];
          ptq.calibrator->set_clips(all);
          return ptq.calib_loss();
        },
        point, cfg.get_double("hessian.fd_step"));
    ptq.calibrator->set_clips(x0);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const HessianSummary s = summarize_hessian(h);
  std::cerr << "  hessian (" << method << ") over " << clips.size() << " clip(s): trace " << s.trace
            << ", top eigenvalue " << s.top_eigenvalue << ", coupling " << s.coupling << "\n";

  const std::uint64_t n = clips.size();
  ctx.array("hessian", NdArray{{n, n}, h.hessian, names});
  ctx.array("gradient", NdArray{{n}, h.gradient, names});
  ctx.array("eigenvalues", NdArray{{n}, s.eigenvalues, {}});
  ctx.array("clip", NdArray{{n}, point, names});
  ctx.metric("calib_loss", h.value);
  ctx.metric("trace", s.trace);
  ctx.metric("top_eigenvalue", s.top_eigenvalue);
  if (std::isfinite(s.condition_number)) ctx.metric("condition_number", s.condition_number);
  ctx.metric("offdiag_ratio", s.offdiag_ratio);
  ctx.metric("coupling", s.coupling);
  if (n >= 2) {
    std::vector<std::string> pairs;
    double sum = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      pairs.push_back(names[i] + "|" + names[i + 1]);
      sum += std::abs(s.gaussian_curvature[i]);
    }
    ctx.array("gaussian_curvature", NdArray{{n - 1}, s.gaussian_curvature, pairs});
    ctx.metric("mean_abs_gaussian_curvature", sum / static_cast<double>(n - 1));
  }
  ctx.metric("clips", static_cast<double>(n));
  ctx.metric("evals", static_cast<double>(h.evaluations));
  if (method == "fd") ctx.metric("fd_step", cfg.get_double("hessian.fd_step"));
  ctx.metric("hessian_wall_s", wall);
}

SchemaNode hessian_schema() {
  SchemaNode s = SchemaNode::map("hessian: the Hessian of the calibration loss over clipping values (docs/studies/landscape.md)");
  s.add("params", SchemaNode::one_of({"activations", "weights", "both"}, "activations",
                                     "which clips are the variables: activation clips, weight clips, or both"));
  SchemaNode layers = SchemaNode::leaf(ParamType::StringList, YAML::Load("[all]"),
                                       "the layers whose clips are studied: all, or names and aliases "
                                       "(first-quantized, second-quantized, last-quantized)");
  layers.scalar_is_list = true;
  s.add("layers", layers);
  s.add("at", SchemaNode::one_of({"lp-pstar", "lapq", "values"}, "lp-pstar",
                                 "the point: lp-pstar init, the lapq result (ptq block: p_grid, optimizer), or "
                                 "lp-pstar with the studied clips set to `values`"));
  s.add("values", SchemaNode::leaf(ParamType::DoubleList, YAML::Node(YAML::NodeType::Sequence),
                                   "at: values: one clip value per studied clip, in the order of hessian.layers (weight before activation)"));
  s.add("method", SchemaNode::one_of({"exact", "fd"}, "exact",
                                     "exact: double backward through the straight-through estimator; fd: central "
                                     "finite differences (2n^2+1 evaluations)"));
  s.add("fd_step", SchemaNode::leaf(ParamType::Double, YAML::Node("1.0e-2"),
                                    "fd: the relative step, h_i = fd_step * clip_i").range(1e-12, 1.0));
  return s;
}

}  // namespace

TaskInfo hessian_task() {
  return {"hessian", "the Hessian of the calibration loss over clipping values (exact by double backward, or fd)",
          {"data", "model", "quant", "ptq"}, hessian_schema, run_hessian};
}

}  // namespace qharness
