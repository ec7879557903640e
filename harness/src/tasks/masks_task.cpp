// The `masks` task (Hubara et al. 2021, Sec. 5-6): prune a trained model with one mask method
// and measure what the method costs and keeps.
//
//   masks: {method: tnm-mcf, n: 4, m: 8, <the plugin's options>, adaprune: true,
//           finetune_epochs: 0, start: dense, start_epochs: 1, start_global: false, skip: [first]}
//
// `method` is any mask plugin (mask_slot.hpp) or `dense`. Steps: the model of
// model.checkpoint; with `start: unstructured` it is first magnitude-pruned to the same density
// n/m (per layer, or over all layers with `start_global`) and fine-tuned `start_epochs` with
// that mask, which is then baked into the weights (the paper's second starting point). Every
// layer but `skip` then gets the method's mask; AdaPrune re-fits the kept weights by
// least squares on the calibration images (adaprune.hpp; with `adaprune_bias` the bias too, as
// the paper's code; `dense_linear` leaves Linear layers unpruned); `finetune_epochs` train with the mask
// fixed (straight-through to the dense weights, the train: block's optimizer), after which the
// mask is baked into the weights. `method: dense` leaves the model unpruned: the reference row.
//
// Everything below follows the pattern the plugin declares, not its name.
// Metrics: valid (1 when every block of every masked layer passes the one mask checker for the
// declared pattern), kept_ratio (kept |w| over the optimum's, summed over the masked layers; the
// optimum is the harness's own exact solver for the declared pattern, qharness/masks/
// optimal_masks.hpp, never the plugin under test), solve_s
// (mask solver seconds, all layers), density (kept / size of the masked layers), top1_dense (the
// model as loaded), top1_start (start: unstructured, after its fine-tuning), top1_pruned,
// top1_adaprune (adaprune: true), top1/top5/loss (final), recon_error_pruned/_adaprune (mean
// over layers of the relative reconstruction error, adaprune.hpp), log10_diversity (the
// method's masks on the masked layers; 0 for dense: one mask) and log10_diversity_unstructured/
// _nm/_tnm (the three mask types at n:m, summed over the same layers: those whose shape tiles
// into whole blocks for all three, see log10_layer_diversity), accel_share_nm/_tnm (share of a training step's GEMM multiply-accumulates, all
// layers, that N:M hardware accelerates with the masked layers 1-D N:M: their forward products;
// transposable: their forward and input-gradient products, layer_macs.hpp) and accel_share (the
// method's by its pattern: N:M -> nm, transposable -> tnm, dense/unstructured -> 0), and after
// AdaPrune and fine-tuning valid_final (1 when every masked layer's weights are still zero
// outside the method's mask) and density_final (nonzero weights / size of the masked layers).
// Arrays, one entry per masked layer, with layer_names: layer_valid, layer_kept_ratio,
// layer_solve_s (NaN for global unstructured: solved together), layer_density,
// layer_log10_diversity (NaN where the shape does not tile), layer_macs (forward, one image),
// and with adaprune layer_recon_pruned / layer_recon_adaprune.
#include "tasks/masks_task.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>

#include "data/batches.hpp"
#include "qharness/masks/kept_magnitude.hpp"
#include "qharness/masks/mask_check.hpp"
#include "qharness/masks/mask_diversity.hpp"
#include "qharness/masks/optimal_masks.hpp"
#include "tasks/adaprune.hpp"
#include "tasks/layer_macs.hpp"
#include "tasks/mask_slot.hpp"
#include "tasks/model_setup.hpp"
#include "tasks/training.hpp"

namespace qharness {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<at::Tensor> weights_of(const std::vector<NamedQuantLayer>& layers) {
  std::vector<at::Tensor> w;
  for (const auto& l : layers) w.push_back(l.layer->weight_param().detach());
  return w;
}

void set_masks(const std::vector<NamedQuantLayer>& layers, const std::vector<at::Tensor>& masks) {
  for (std::size_t i = 0; i < layers.size(); ++i)
    layers[i].layer->weight_mask = masks[i].to(layers[i].layer->weight_param().device());
}

// weight = weight * mask, mask slot cleared: the model is then sparse by its weights alone.
void bake_masks(const std::vector<NamedQuantLayer>& layers) {
  at::NoGradGuard no_grad;
  for (const auto& l : layers) {
    l.layer->weight_param().mul_(l.layer->weight_mask);
    l.layer->weight_mask = at::Tensor();
  }
}

// Fine-tunes with the current masks fixed (straight-through), then bakes them.
Evaluation finetune(QModel& model, const std::vector<NamedQuantLayer>& layers, const DataSplits& data,
                    const ResolvedConfig& cfg, std::int64_t epochs, std::uint64_t seed_offset, c10::Device device) {
  TrainOptions options = train_options(cfg);
  options.epochs = epochs;
  options.seed += seed_offset;
  auto log = [](const std::string& line) { std::cerr << "  " << line << "\n"; };
  const TrainResult r = train_model(model, data, options, device, log);
  bake_masks(layers);
  return r.final;
}

double sum_defined(const std::vector<double>& v) {
  double s = 0;
  for (double x : v)
    if (!std::isnan(x)) s += x;
  return s;
}

NdArray per_layer(const std::vector<double>& values, const std::vector<std::string>& names) {
  return NdArray{{values.size()}, values, names};
}

void run_masks(TrialContext& ctx) {
  const ResolvedConfig& cfg = ctx.config();
  const MaskMethod method(cfg, "masks", ctx.plugins());
  const bool global = method.scope() == MaskScope::Global;
  const DataSplits data = load_data(cfg);
  auto model = prepare_model(ctx, data, ModelUse::Training);
  const c10::Device device = trial_device(cfg);
  const std::int64_t batch_size = cfg.get_int("data.batch_size");
  std::vector<NamedQuantLayer> layers = masked_layers(*model, cfg.at("masks.skip").as<std::vector<std::string>>());
  if (cfg.get_bool("masks.dense_linear"))  // the paper's code's option: fully connected layers stay dense
    layers.erase(std::remove_if(layers.begin(), layers.end(),
                                [](const NamedQuantLayer& l) { return dynamic_cast<QLinearImpl*>(l.layer) != nullptr; }),
                 layers.end());
  const AdaPruneOptions adaprune_options{cfg.get_bool("masks.adaprune_bias")};
  if (layers.empty()) throw std::invalid_argument("masks.skip, masks.dense_linear: every layer is left dense, nothing to prune");
  std::vector<std::string> names;
  for (const auto& l : layers) names.push_back(l.name);
  auto evaluate = [&] { return evaluate_model(*model, *data.test, batch_size, device); };

  // Share of training GEMM work N:M hardware accelerates (layer_macs.hpp: three products a layer).
  const Batch probe = load_batch(*data.test, at::arange(1, at::kLong));
  const std::vector<double> macs_all = forward_macs(*model, probe.images.to(device));
  const auto all_layers = model->quant_layers();
  double total = 0, nm_work = 0, tnm_work = 0;
  std::vector<double> macs;
  for (std::size_t i = 0; i < all_layers.size(); ++i) {
    const double input_grad = i == 0 ? 0.0 : macs_all[i];
    total += 2 * macs_all[i] + input_grad;
    for (const auto& l : layers)
      if (l.name == all_layers[i].name) {
        nm_work += macs_all[i];
        tnm_work += macs_all[i] + input_grad;
        macs.push_back(macs_all[i]);
      }
  }
  ctx.metric("accel_share_nm", nm_work / total);
  ctx.metric("accel_share_tnm", tnm_work / total);
  double accel_share = 0.0;  // dense and unstructured masks: nothing N:M hardware accelerates
  if (!method.dense() && method.pattern() == MaskPattern::NM) accel_share = nm_work / total;
  if (!method.dense() && method.pattern() == MaskPattern::TransposableNM) accel_share = tnm_work / total;
  ctx.metric("accel_share", accel_share);
  ctx.array("layer_macs", per_layer(macs, names));
  // The three mask types compared on the same layers: those where every count is defined.
  const std::vector<std::pair<MaskPattern, const char*>> types = {
      {MaskPattern::Unstructured, "log10_diversity_unstructured"},
      {MaskPattern::NM, "log10_diversity_nm"},
      {MaskPattern::TransposableNM, "log10_diversity_tnm"}};
  std::vector<double> type_sums(types.size(), 0.0);
  for (const auto& l : layers) {
    std::vector<double> d;
    for (const auto& t : types) d.push_back(log10_layer_diversity(t.first, method.spec(), l.layer->weight_param()));
    if (std::none_of(d.begin(), d.end(), [](double x) { return std::isnan(x); }))
      for (std::size_t k = 0; k < d.size(); ++k) type_sums[k] += d[k];
  }
  for (std::size_t k = 0; k < types.size(); ++k) ctx.metric(types[k].second, type_sums[k]);

  model->eval();
  const Evaluation dense = evaluate();
  ctx.metric("top1_dense", dense.top1);
  std::cerr << "  loaded model: top1 " << dense.top1 << "\n";

  if (cfg.get_string("masks.start") == "unstructured" && !method.dense()) {
    // Magnitude pruning is the exact optimum of the unstructured pattern: the harness's own.
    const MaskScope start_scope = cfg.get_bool("masks.start_global") ? MaskScope::Global : MaskScope::PerLayer;
    set_masks(layers, masks::optimal_masks(MaskPattern::Unstructured, start_scope, method.spec(), weights_of(layers)));
    const std::int64_t epochs = cfg.get_int("masks.start_epochs");
    if (epochs > 0) finetune(*model, layers, data, cfg, epochs, 1, device);
    else bake_masks(layers);
    const Evaluation e = evaluate();
    ctx.metric("top1_start", e.top1);
    std::cerr << "  unstructured start (" << epochs << " epochs): top1 " << e.top1 << "\n";
  }

  const std::size_t n_layers = layers.size();
  std::vector<double> valid(n_layers, 1.0), kept_ratio(n_layers, 1.0), solve_s(n_layers, 0.0), density(n_layers, 1.0),
      diversity(n_layers, 0.0);
  double kept_sum = 0, optimum_sum = 0, kept_count = 0, size = 0, solve_total = 0;
  std::vector<at::Tensor> method_masks;  // what valid_final checks the final weights against
  if (!method.dense()) {
    const std::vector<at::Tensor> weights = weights_of(layers);
    std::vector<at::Tensor> masks;
    if (global) {
      const auto t0 = Clock::now();
      masks = method.compute(layers);
      solve_total = std::chrono::duration<double>(Clock::now() - t0).count();
      std::fill(solve_s.begin(), solve_s.end(), kNaN);
    } else {
      for (std::size_t i = 0; i < n_layers; ++i) {
        const auto t0 = Clock::now();
        masks.push_back(method.compute({layers[i]}).front());
        solve_s[i] = std::chrono::duration<double>(Clock::now() - t0).count();
        solve_total += solve_s[i];
      }
    }
    const std::vector<at::Tensor> optimal = masks::optimal_masks(method.pattern(), method.scope(), method.spec(), weights);
    // Global unstructured keeps a different count per layer: it is checked as one flat tensor.
    std::vector<at::Tensor> flat;
    for (const auto& m : masks) flat.push_back(m.reshape({1, -1}));
    const bool global_valid =
        global && masks::check_mask(at::cat(flat, 1), method.pattern(), method.spec()).valid;
    for (std::size_t i = 0; i < n_layers; ++i) {
      const masks::MaskCheck check = global ? masks::MaskCheck{global_valid, 0, 1, !global_valid, "global count"}
                                                   : masks::check_mask(masks[i], method.pattern(), method.spec());
      valid[i] = check.valid ? 1.0 : 0.0;
      if (!check.valid) std::cerr << "  " << names[i] << ": invalid mask: " << check.first_problem << "\n";
      const double kept = masks::kept_magnitude(weights[i], masks[i]);
      const double optimum = masks::kept_magnitude(weights[i], optimal[i]);
      kept_ratio[i] = optimum > 0 ? kept / optimum : 1.0;
      kept_sum += kept;
      optimum_sum += optimum;
      const double k = masks[i].sum().item<double>();
      density[i] = k / double(masks[i].numel());
      kept_count += k;
      size += double(masks[i].numel());
      diversity[i] = log10_layer_diversity(method.pattern(), method.spec(), weights[i]);
    }
    set_masks(layers, masks);
    method_masks = masks;
  }
  const bool all_valid = std::all_of(valid.begin(), valid.end(), [](double v) { return v == 1.0; });
  ctx.metric("valid", all_valid ? 1.0 : 0.0);
  ctx.metric("kept_ratio", method.dense() || optimum_sum == 0 ? 1.0 : kept_sum / optimum_sum);
  ctx.metric("solve_s", solve_total);
  ctx.metric("density", method.dense() ? 1.0 : kept_count / size);
  if (global) {  // one ranking over every masked layer: C(size, kept) of the layers together
    const auto total_size = static_cast<std::int64_t>(size);
    ctx.metric("log10_diversity", total_size % method.spec().m == 0
                                      ? masks::log10_unstructured_diversity(method.spec(), total_size) : kNaN);
  } else {
    ctx.metric("log10_diversity", sum_defined(diversity));
  }
  std::cerr << "  " << method.name() << " " << method.spec().n << ":" << method.spec().m << ": valid " << all_valid
            << ", kept_ratio " << (optimum_sum > 0 ? kept_sum / optimum_sum : 1.0) << ", solve " << solve_total << " s\n";

  Evaluation current = evaluate();
  ctx.metric("top1_pruned", current.top1);
  if (cfg.get_bool("masks.adaprune")) {
    if (!method.dense()) {
      // The layers' inputs of the model before this method's mask: what the pruned layer must reproduce.
      std::vector<at::Tensor> saved_masks;
      for (const auto& l : layers) {
        saved_masks.push_back(l.layer->weight_mask);
        l.layer->weight_mask = at::Tensor();
      }
      const Dataset& split = cfg.get_string("data.calibration.split") == "train" ? *data.train : *data.test;
      const Batch calib = calibration_batch(split, cfg.get_int("data.calibration.size"),
                                            static_cast<std::uint64_t>(cfg.get_int("data.calibration.seed")));
      const std::vector<at::Tensor> grams = input_grams(*model, layers, calib.images.to(device));
      set_masks(layers, saved_masks);
      std::vector<double> before, after;
      for (std::size_t i = 0; i < n_layers; ++i) {
        const AdaPruneResult r = adaprune_layer(*layers[i].layer, grams[i], adaprune_options);
        before.push_back(r.error_pruned);
        after.push_back(r.error_adaprune);
      }
      ctx.array("layer_recon_pruned", per_layer(before, names));
      ctx.array("layer_recon_adaprune", per_layer(after, names));
      ctx.metric("recon_error_pruned", sum_defined(before) / double(n_layers));
      ctx.metric("recon_error_adaprune", sum_defined(after) / double(n_layers));
      current = evaluate();
    }
    ctx.metric("top1_adaprune", current.top1);
    std::cerr << "  adaprune: top1 " << current.top1 << "\n";
  }
  const std::int64_t finetune_epochs = cfg.get_int("masks.finetune_epochs");
  if (finetune_epochs > 0 && !method.dense()) current = finetune(*model, layers, data, cfg, finetune_epochs, 2, device);
  ctx.metric("top1", current.top1);
  ctx.metric("top5", current.top5);
  ctx.metric("loss", current.loss);
  // The final weights (after AdaPrune and fine-tuning, masks baked in) must still be sparse in
  // the method's pattern: zero wherever the method's mask is.
  double nonzero_final = 0, size_final = 0;
  bool valid_final = true;
  for (std::size_t i = 0; i < n_layers; ++i) {
    at::NoGradGuard no_grad;
    const at::Tensor w = layers[i].layer->effective_weight().detach();
    nonzero_final += w.ne(0).sum().item<double>();
    size_final += double(w.numel());
    if (!method.dense() && w.ne(0).logical_and(method_masks[i].logical_not()).any().item<bool>()) {
      valid_final = false;
      std::cerr << "  " << names[i] << ": nonzero weights outside the mask after AdaPrune/fine-tuning\n";
    }
  }
  ctx.metric("valid_final", valid_final ? 1.0 : 0.0);
  ctx.metric("density_final", nonzero_final / size_final);

  ctx.array("layer_valid", per_layer(valid, names));
  ctx.array("layer_kept_ratio", per_layer(kept_ratio, names));
  ctx.array("layer_solve_s", per_layer(solve_s, names));
  ctx.array("layer_density", per_layer(density, names));
  ctx.array("layer_log10_diversity", per_layer(diversity, names));
}

SchemaNode masks_schema() {
  std::vector<std::pair<std::string, SchemaNode>> own;
  own.emplace_back("skip", SchemaNode::leaf(ParamType::StringList, YAML::Load("[first]"),
                                            "layers left dense (names, or first/last); [] prunes every layer"));
  own.emplace_back("start", SchemaNode::one_of({"dense", "unstructured"}, "dense",
                                               "starting point: the loaded model, or it magnitude-pruned to density "
                                               "n/m (per layer, or start_global) and fine-tuned start_epochs"));
  own.emplace_back("start_epochs", SchemaNode::leaf(ParamType::Int, YAML::Node("1"),
                                                    "start: unstructured: fine-tuning epochs of the unstructured model "
                                                    "(train: block)")
                                       .range(0, {}));
  own.emplace_back("start_global", SchemaNode::leaf(ParamType::Bool, YAML::Node("false"),
                                                    "start: unstructured: one magnitude ranking over all masked layers"));
  own.emplace_back("adaprune", SchemaNode::leaf(ParamType::Bool, YAML::Node("true"),
                                                "re-fit the kept weights by least squares on the calibration images "
                                                "(data.calibration)"));
  own.emplace_back("adaprune_bias", SchemaNode::leaf(ParamType::Bool, YAML::Node("true"),
                                                     "AdaPrune also re-fits each layer's bias (the paper's code); false: "
                                                     "the kept weights only"));
  own.emplace_back("dense_linear", SchemaNode::leaf(ParamType::Bool, YAML::Node("false"),
                                                    "leave every Linear (fully connected) layer dense, as the paper's "
                                                    "code can"));
  own.emplace_back("finetune_epochs", SchemaNode::leaf(ParamType::Int, YAML::Node("0"),
                                                       "epochs of training with the mask fixed after AdaPrune (train: block)")
                                          .range(0, {}));
  return mask_slot_schema("one-shot pruning of a trained model with a mask plugin (`method`, any registered mask "
                          "plugin or dense), AdaPrune, fine-tuning",
                          "tnm-mcf", std::move(own));
}

}  // namespace

TaskInfo masks_task() {
  return {"masks", "one-shot pruning with a mask method: validity, kept magnitude vs the optimum, AdaPrune, fine-tuning",
          {"data", "model", "train"}, masks_schema, run_masks};
}

}  // namespace qharness
