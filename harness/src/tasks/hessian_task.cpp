// The `hessian` task:
//
//   hessian: {params: activations, layers: all, at: lp-pstar, values: [], method: exact,
//             fd_step: 1.0e-2, radius: 0.1, samples: 0}
//
// The PTQ model (ptq_model.hpp: trained model, quantizers from quant:, one resident
// calibration batch of data.calibration.size images) is put at the point `at`: lp-pstar (the
// ptq block's p_grid), lapq (lp-pstar, then the joint search with ptq.optimizer), or values
// (lp-pstar, then the studied clips set to `values`, one per clip in order). The studied clips
// (clip_selection.hpp: params, layers) are the variables; every other clip stays put. The
// Hessian of the calibration cross-entropy is taken by `method` (clip_hessian.hpp): exact
// (double backward through the straight-through estimator), fd (central differences,
// relative step fd_step, 2n^2 + 1 evaluations) or quadfit (a full quadratic fitted by least
// squares to the quantized loss at `samples` random points within clip * (1 +- radius),
// seeded by the trial's seed).
//
// Records arrays hessian [n, n], gradient [n], eigenvalues [n] (ascending), clip [n] (the point)
// with layer_names, gaussian_curvature [n-1] (adjacent pairs, layer_names "a|b"); metrics
// calib_loss, trace, top_eigenvalue, condition_number (left out when H is singular),
// offdiag_ratio, coupling, mean_abs_gaussian_curvature (n >= 2), clips (n), evals,
// hessian_wall_s; fd_step with method fd; r2 (the fit's) and radius with quadfit. Scale-free
// twins for every method, in relative coordinates (H_ij a_i a_j, clip_hessian.hpp): arrays
// rel_hessian, rel_eigenvalues; metrics rel_trace, rel_top_eigenvalue, rel_condition_number,
// rel_offdiag_ratio (coupling is scale-free as it is).
#include "tasks/hessian_task.hpp"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <stdexcept>

#include "tasks/clip_hessian.hpp"
#include "tasks/clip_selection.hpp"
#include "tasks/ptq_model.hpp"
#include "tasks/quant_checks.hpp"

namespace qharness {
namespace {

// quadfit's default sample count per coefficient of the fitted quadratic: enough redundancy
// that the rounding jumps average out instead of being interpolated.
constexpr std::size_t kQuadfitSamplesPerCoefficient = 4;

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
    // fd and quadfit see the true quantized loss: a forward pass, no straight-through.
    auto loss_at = [&](const std::vector<double>& x) {
      std::vector<double> all = x0;
      for (std::size_t k = 0; k < clips.size(); ++k) all[clips[k].entry] = x[k];
      ptq.calibrator->set_clips(all);
      return ptq.calib_loss();
    };
    if (method == "fd") {
      h = fd_hessian(loss_at, point, cfg.get_double("hessian.fd_step"));
    } else {
      const auto given = static_cast<std::size_t>(cfg.get_int("hessian.samples"));
      const std::size_t samples = given > 0 ? given : kQuadfitSamplesPerCoefficient * quadratic_coefficients(point.size());
      h = quadfit_hessian(loss_at, point, cfg.get_double("hessian.radius"), samples,
                          static_cast<std::uint64_t>(ctx.seed()));
    }
    ptq.calibrator->set_clips(x0);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const HessianSummary s = summarize_hessian(h);
  const HessianEstimate rel = relative_hessian(h, point);
  const HessianSummary rs = summarize_hessian(rel);
  std::cerr << "  hessian (" << method << ") over " << clips.size() << " clip(s): trace " << s.trace
            << ", top eigenvalue " << s.top_eigenvalue << " (relative coordinates: " << rs.top_eigenvalue
            << "), coupling " << s.coupling;
  if (method == "quadfit") std::cerr << ", fit r2 " << h.fit_r2 << " over " << h.evaluations << " evaluations";
  std::cerr << "\n";

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
  // Scale-free: the same in relative (log-clip) coordinates. coupling needs no twin: it is
  // invariant under H -> D H D already.
  ctx.array("rel_hessian", NdArray{{n, n}, rel.hessian, names});
  ctx.array("rel_eigenvalues", NdArray{{n}, rs.eigenvalues, {}});
  ctx.metric("rel_trace", rs.trace);
  ctx.metric("rel_top_eigenvalue", rs.top_eigenvalue);
  if (std::isfinite(rs.condition_number)) ctx.metric("rel_condition_number", rs.condition_number);
  ctx.metric("rel_offdiag_ratio", rs.offdiag_ratio);
  if (method == "quadfit") {
    ctx.metric("r2", h.fit_r2);
    ctx.metric("radius", cfg.get_double("hessian.radius"));
  }
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
  ctx.metric("eval_stage_share", ptq.eval_stage_share());
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
  s.add("method", SchemaNode::one_of({"exact", "fd", "quadfit"}, "exact",
                                     "exact: double backward through the straight-through estimator (a Gauss-Newton "
                                     "matrix over activation clips); fd: central finite differences (2n^2+1 "
                                     "evaluations); quadfit: a quadratic fitted by least squares to the quantized loss "
                                     "at random points around the clips"));
  s.add("fd_step", SchemaNode::leaf(ParamType::Double, YAML::Node("1.0e-2"),
                                    "fd: the relative step, h_i = fd_step * clip_i").range(1e-12, 1.0));
  s.add("radius", SchemaNode::leaf(ParamType::Double, YAML::Node("0.1"),
                                   "quadfit: the sampling box's half-width relative to each clip, "
                                   "clip_i * (1 +- radius)").range(1e-6, 0.99));
  s.add("samples", SchemaNode::leaf(ParamType::Int, YAML::Node("0"),
                                    "quadfit: random points fitted (plus the clips themselves); 0 = 4 x the "
                                    "quadratic's 1 + n + n(n+1)/2 coefficients").range(0, {}));
  return s;
}

// Before the sweep: quantizers that serve their roles, at lapq an optimizer that can search
// with what they give, and for method exact a clip gradient from every quantizer whose clips
// are studied (hessian.params).
void check_hessian(const ResolvedConfig& cfg, const PluginRegistry& plugins, const OriginLookup& origin_of,
                   std::vector<std::string>& errors) {
  check_clip_search(cfg, plugins, origin_of, "hessian.at", errors);
  if (cfg.get_string("hessian.method") != "exact") return;
  const std::string params = cfg.get_string("hessian.params");
  check_clip_gradient(cfg, plugins, origin_of, {params != "activations", params != "weights", false}, "hessian.method",
                      "exact takes the Hessian by double backward through quantize() into the clips",
                      "use method fd or quadfit, which only evaluate the loss", errors);
}

}  // namespace

TaskInfo hessian_task() {
  return {"hessian", "the Hessian of the calibration loss over clipping values (exact by double backward, or fd)",
          {"data", "model", "quant", "ptq"}, hessian_schema, run_hessian, check_hessian};
}

}  // namespace qharness
