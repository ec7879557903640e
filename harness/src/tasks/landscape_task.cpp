// The `landscape` task:
//
//   landscape: {layers: [first-quantized, second-quantized], params: activations, grid: 41,
//               window: relative, range: [], at: lp-pstar, rows: []}
//
// The PTQ model (ptq_model.hpp: trained model, quantizers from quant:, one resident
// calibration batch of data.calibration.size images) is put at `at` (lp-pstar, or lapq: the
// ptq block's p_grid and optimizer). Two layers' clips of kind `params` (clip_selection.hpp:
// names or first-quantized / second-quantized / last-quantized) then run over a grid x grid
// lattice, each from range[0] to range[1] times its reference value: with window relative
// (default) the clip at that point (range [] = [0.5, 1.5]), with window absolute its
// tensor's max|x| (range [] = [0.05, 1.0]); every other clip stays at its init. Row i varies layer a's clip, column j layer b's. `rows: [start, stop)` computes
// only those rows, so one surface can be split across trials like any sweep axis
// (sweep.zip on landscape.rows); [] = every row.
//
// Records arrays landscape [rows, grid], axis_a [rows] and axis_b [grid] (clip values),
// clip_init [2] (the two clips' init, layer_names [a, b]); metrics nonseparability and
// smooth_interaction (nonseparability.hpp, over this trial's rows), loss_init, loss_min,
// clip_a_at_min, clip_b_at_min, clip_a_init, clip_b_init,
// max_abs_a, max_abs_b, range_low, range_high (the range used), row_start, row_stop, evals,
// landscape_wall_s.
#include "tasks/landscape_task.hpp"

#include <chrono>
#include <iostream>
#include <stdexcept>

#include "tasks/clip_selection.hpp"
#include "tasks/nonseparability.hpp"
#include "tasks/parabola_vertex.hpp"
#include "tasks/ptq_model.hpp"
#include "tasks/quant_checks.hpp"

namespace qharness {
namespace {

// The windows' default ranges. Relative: half to one and a half times each clip at the
// operating point, as the LAPQ reference's separability script does, so that the surface shows
// the neighbourhood a clip search explores rather than the radical saturation at tiny clips.
const std::vector<double> kRelativeRange = {0.5, 1.5};
// Absolute: 5% to 100% of each tensor's max|x| (the study's first version).
const std::vector<double> kAbsoluteRange = {0.05, 1.0};

void run_landscape(TrialContext& ctx) {
  const ResolvedConfig& cfg = ctx.config();
  PtqModel ptq(ctx);
  ptq.initialize(cfg.get_string("landscape.at"), cfg, ctx.plugins());
  const std::vector<StudiedClip> clips = select_clips(ptq, cfg.get_string("landscape.params"),
                                                      cfg.at("landscape.layers").as<std::vector<std::string>>(),
                                                      "landscape.layers");
  if (clips.size() != 2) throw std::logic_error("landscape: expected two clips, got " + std::to_string(clips.size()));
  const StudiedClip &a = clips[0], &b = clips[1];

  const auto grid = static_cast<std::size_t>(cfg.get_int("landscape.grid"));
  std::size_t start = 0, stop = grid;
  const auto rows_spec = cfg.at("landscape.rows").as<std::vector<std::int64_t>>();
  if (!rows_spec.empty()) {
    if (rows_spec.size() != 2 || rows_spec[0] < 0 || rows_spec[1] <= rows_spec[0] ||
        rows_spec[1] > static_cast<std::int64_t>(grid))
      throw std::invalid_argument("landscape.rows: must be [start, stop) with 0 <= start < stop <= landscape.grid (" +
                                  std::to_string(grid) + ")");
    start = static_cast<std::size_t>(rows_spec[0]);
    stop = static_cast<std::size_t>(rows_spec[1]);
  }
  std::vector<double> x = ptq.calibrator->clips();
  const std::vector<double> x0 = x;
  // Each axis runs over `range` times its reference value: the clip at the operating point
  // (window relative) or the tensor's max|x| (window absolute).
  const bool relative = cfg.get_string("landscape.window") == "relative";
  std::vector<double> range = cfg.get_doubles("landscape.range");
  if (range.empty()) range = relative ? kRelativeRange : kAbsoluteRange;
  const double reference_a = relative ? x0[a.entry] : a.max_abs;
  const double reference_b = relative ? x0[b.entry] : b.max_abs;
  const std::vector<double> fractions = linspace(range[0], range[1], static_cast<long>(grid));
  std::vector<double> axis_a, axis_b;
  for (std::size_t i = start; i < stop; ++i) axis_a.push_back(fractions[i] * reference_a);
  for (double f : fractions) axis_b.push_back(f * reference_b);

  const double loss_init = ptq.calib_loss();
  const auto started = std::chrono::steady_clock::now();
  std::vector<double> surface;
  // The inner loop varies the later layer's clip, so that each evaluation restarts at that
  // layer (PtqModel::calib_loss); surface[i * grid + j] is (axis_a[i], axis_b[j]) either way.
  surface.assign(axis_a.size() * grid, 0.0);
  const bool a_outer = a.entry <= b.entry;   // clips() is in layer order
  const std::size_t outer_n = a_outer ? axis_a.size() : grid, inner_n = a_outer ? grid : axis_a.size();
  for (std::size_t o = 0; o < outer_n; ++o)
    for (std::size_t in = 0; in < inner_n; ++in) {
      const std::size_t i = a_outer ? o : in, j = a_outer ? in : o;
      x[a.entry] = axis_a[i];
      x[b.entry] = axis_b[j];
      ptq.calibrator->set_clips(x);
      surface[i * grid + j] = ptq.calib_loss();
    }
  ptq.calibrator->set_clips(x0);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::size_t best = 0;
  for (std::size_t k = 1; k < surface.size(); ++k)
    if (surface[k] < surface[best]) best = k;
  const double nonsep = nonseparability(surface, axis_a.size(), grid);
  const double smooth = smooth_interaction(surface, axis_a, axis_b);
  std::cerr << "  landscape " << a.name << " x " << b.name << ": " << surface.size() << " evaluations in " << wall
            << " s, nonseparability " << nonsep << " (smooth interaction " << smooth << ")\n";

  ctx.array("landscape", NdArray{{axis_a.size(), grid}, surface, {}});
  ctx.array("clip_init", NdArray{{2}, std::vector<double>{x0[a.entry], x0[b.entry]}, {a.name, b.name}});
  ctx.array("axis_a", NdArray{{axis_a.size()}, axis_a, {}});
  ctx.array("axis_b", NdArray{{grid}, axis_b, {}});
  ctx.metric("nonseparability", nonsep);
  ctx.metric("smooth_interaction", smooth);
  ctx.metric("loss_init", loss_init);
  ctx.metric("loss_min", surface[best]);
  ctx.metric("clip_a_at_min", axis_a[best / grid]);
  ctx.metric("clip_b_at_min", axis_b[best % grid]);
  ctx.metric("clip_a_init", x0[a.entry]);
  ctx.metric("clip_b_init", x0[b.entry]);
  ctx.metric("max_abs_a", a.max_abs);
  ctx.metric("max_abs_b", b.max_abs);
  ctx.metric("range_low", range[0]);
  ctx.metric("range_high", range[1]);
  ctx.metric("row_start", static_cast<double>(start));
  ctx.metric("row_stop", static_cast<double>(stop));
  ctx.metric("evals", static_cast<double>(surface.size()));
  ctx.metric("landscape_wall_s", wall);
  ctx.metric("eval_stage_share", ptq.eval_stage_share());
}

SchemaNode landscape_schema() {
  SchemaNode s = SchemaNode::map("landscape: the calibration loss on a grid over two layers' clips (docs/studies/landscape.md)");
  SchemaNode layers = SchemaNode::leaf(ParamType::StringList, YAML::Load("[first-quantized, second-quantized]"),
                                       "the two layers [a, b]: names or first-quantized, second-quantized, last-quantized");
  layers.check = [](const YAML::Node& v) -> std::string {
    if (v.size() != 2) return "must name two layers [a, b]";
    if (v[0].Scalar() == "all" || v[1].Scalar() == "all") return "names two layers, not all";
    return "";
  };
  s.add("layers", layers);
  s.add("params", SchemaNode::one_of({"activations", "weights"}, "activations", "which clip of the two layers varies"));
  s.add("grid", SchemaNode::leaf(ParamType::Int, YAML::Node("41"), "points per axis").range(2, 10000));
  s.add("window", SchemaNode::one_of({"relative", "absolute"}, "relative",
                                     "what `range` multiplies: relative = each clip at the operating point `at` "
                                     "(default range [0.5, 1.5]); absolute = its tensor's largest magnitude (default "
                                     "range [0.05, 1.0], dominated by the collapse at tiny clips)"));
  SchemaNode range = SchemaNode::leaf(ParamType::DoubleList, YAML::Node(YAML::NodeType::Sequence),
                                      "[low, high]: each axis's clips as multiples of its window's reference value; "
                                      "[] = the window's default");
  range.check = [](const YAML::Node& v) -> std::string {
    if (v.size() == 0) return "";
    if (v.size() != 2) return "must be [low, high] or []";
    if (!(v[0].as<double>() > 0)) return "low must be > 0";
    if (!(v[1].as<double>() > v[0].as<double>())) return "high must be > low";
    return "";
  };
  s.add("range", range);
  s.add("at", SchemaNode::one_of({"lp-pstar", "lapq"}, "lp-pstar",
                                 "where the other clips stay: lp-pstar init, or the lapq result (ptq block)"));
  s.add("rows", SchemaNode::leaf(ParamType::IntList, YAML::Node(YAML::NodeType::Sequence),
                                 "[start, stop): compute only these rows (layer a's values) of the grid, to split a "
                                 "surface across trials; [] = all"));
  return s;
}

}  // namespace

TaskInfo landscape_task() {
  return {"landscape", "the calibration loss on a 2-D grid over two layers' clipping values, and its nonseparability",
          {"data", "model", "quant", "ptq"}, landscape_schema, run_landscape,
          clip_search_check("landscape.at")};
}

}  // namespace qharness
