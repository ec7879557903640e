#pragma once
// Checks of a trial's quantizer choices against what the plugins declare (QuantizerTraits,
// plugin.hpp), run on every trial of a sweep before any trial runs (TaskInfo::check), so that
// a quantizer that cannot do what the YAML asks is refused with exit 2, naming the plugin,
// the role or method, why, and where the YAML says so:
//   - every active slot of the quant: block (bits < 32) names a plugin that serves the slot's
//     role (quant.weights: weights, quant.activations: activations, quant.gradients: gradients);
//   - a method that differentiates the loss in the clips (hessian method exact) finds every
//     studied slot's plugin declaring clip_gradient;
//   - a clip search (ptq.optimizer, run by ptq's lapq and by `at: lapq`) whose quantizers do
//     not all declare clip_gradient gets no gradient: an optimizer that refuses to minimize
//     without one (ceres with `gradient: analytic`) is refused now, not after every trial's
//     lp-pstar. The optimizer is asked, not named: it is built with the trial's options and
//     run on a small quadratic without a gradient, and with one.
#include <string>
#include <vector>

#include "config/resolve.hpp"
#include "tasks/quant_setup.hpp"
#include "tasks/task.hpp"

namespace qharness {

void check_quant_roles(const ResolvedConfig& cfg, const PluginCatalog& plugins, const OriginLookup& origin_of,
                       QuantSlots which, std::vector<std::string>& errors);
// The check of a task that needs no more than that (quant-train).
TaskCheck quant_roles_check(QuantSlots which);

// For the active slots of `which`: `key` (e.g. "hessian.method") is the setting that needs the
// clip gradient, `need` says what it does with it ("exact takes ... through quantize()"),
// `instead` what the user can choose instead.
void check_clip_gradient(const ResolvedConfig& cfg, const PluginCatalog& plugins, const OriginLookup& origin_of,
                         QuantSlots which, const std::string& key, const std::string& need,
                         const std::string& instead, std::vector<std::string>& errors);

// For a task that quantizes weights and activations and runs the clip search when the setting
// at `key` is lapq (ptq: ptq.method, landscape and hessian: their `at`): quantizer roles, then
// whether ptq.optimizer can search with what the quantizers give.
void check_clip_search(const ResolvedConfig& cfg, const PluginRegistry& plugins, const OriginLookup& origin_of,
                       const std::string& key, std::vector<std::string>& errors);
// That check as a task's check (ptq, landscape).
TaskCheck clip_search_check(const std::string& key);

}  // namespace qharness
