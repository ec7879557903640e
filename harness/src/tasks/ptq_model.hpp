#pragma once
// A trained model prepared for post-training quantization, shared by the tasks that work on
// its clipping values (ptq, hessian, landscape), so that all three see the same model, the
// same calibration batch and the same initial clips:
//
//   data loaded, model.checkpoint's weights, weight and activation quantizers attached
//   (quant: block), eval mode, parameters frozen (only clips are ever differentiated),
//   ONE calibration batch resident on the trial's device (data.calibration: size, split,
//   seed), the clips' calibrator, and bias correction of the weights when
//   ptq.bias_correction is set (quant/bias_correction.hpp, around any weight quantizer).
//
// The clip initializations that need the calibration loss live here too: lp-pstar (Lp
// calibration over ptq.p_grid, parabola vertex p*) and LAPQ's joint search (ptq.optimizer).
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/data_source.hpp"
#include "models/incremental_forward.hpp"
#include "models/model.hpp"
#include "tasks/ptq_calibration.hpp"
#include "tasks/quant_setup.hpp"
#include "tasks/task.hpp"

namespace qharness {

struct PstarInit {
  std::vector<double> grid;        // the p values tried
  std::vector<double> grid_loss;   // calibration loss at each
  double p_star = 0.0;             // the parabola vertex; the clips are left at Lp(p*)
};

struct LapqSearch {
  std::int64_t evaluations = 0;           // function_evaluations + gradient_evaluations
  std::int64_t function_evaluations = 0;  // the loss alone (a forward pass)
  std::int64_t gradient_evaluations = 0;  // the loss and its clip gradient (forward + backward)
  std::int64_t iterations = 0;     // the optimizer's completed outer iterations (Powell: sweeps)
  double moved = 0.0;              // the fraction of clips whose final value differs from the start
  double wall_s = 0.0;             // seconds in the optimizer
  std::vector<double> trace;       // the loss at every evaluation
  std::string message;             // the optimizer's
};

class PtqModel {
 public:
  explicit PtqModel(const TrialContext& ctx);

  // Cross-entropy on the calibration batch with the current clips; no graph. Restarts the
  // forward at the first layer whose clips changed since the last call (eval_cache_mb,
  // models/incremental_forward.hpp): the same number as a full forward, bit for bit.
  double calib_loss();
  // The share of the model's stages that calib_loss's evaluations computed so far (1 = every
  // evaluation ran the whole network; lower = restarts at the first changed layer).
  double eval_stage_share() const;
  // The same as a tensor with autograd on: differentiable in every clip that requires grad.
  at::Tensor calib_loss_graph();

  // Lp calibration for each p of linspace(spec[0], spec[1], spec[2]), then at p*.
  PstarInit init_lp_pstar(const std::vector<double>& p_grid_spec);
  // LAPQ's joint search of every clip from the current ones, bounds (0, max|x|]; leaves the
  // clips at the optimizer's best point, or where they started when that is no better. The
  // optimizer gets the clip gradient when every quantizer declares clip_gradient.
  LapqSearch search_lapq(const PluginSelection& optimizer, const PluginRegistry& plugins);
  // The starting point named by `at`: lp-pstar, or lapq (lp-pstar then the search), with the
  // ptq block's p_grid and optimizer.
  void initialize(const std::string& at, const ResolvedConfig& cfg, const PluginRegistry& plugins);

  DataSplits data;
  std::shared_ptr<QModel> model;
  c10::Device device;
  QuantPlan plan;
  at::Tensor images, labels;   // the calibration batch, on `device`
  std::unique_ptr<PtqCalibrator> calibrator;
  std::unique_ptr<IncrementalForward> forward;   // calib_loss's evaluation
};

}  // namespace qharness
