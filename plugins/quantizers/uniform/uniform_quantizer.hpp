#pragma once
// The `uniform` quantizer plugin: uniform fake quantization of weights (signed) and post-ReLU
// activations (unsigned, QuantTarget::is_signed = false), per tensor or per channel,
// round-to-nearest or stochastic rounding, straight-through backward.
//
// YAML options (besides the common bits / granularity / rounding):
//   grid: integer | reference     (default integer) the grid, see uniform_grid.hpp:
//       integer   - zero is a level: signed k * a / (2^(M-1) - 1), |k| <= 2^(M-1) - 1;
//                   unsigned k * a / (2^M - 1), 0 <= k <= 2^M - 1;
//       reference - the LAPQ reference implementation's: 2^M levels over [-a, a], step
//                   2a / (2^M - 1), no zero level (unsigned: as integer).
//   calibration: minmax | mse | lp | aciq | percentile   (default minmax), see
//       clip_calibration.hpp; `p` (lp, default 2), `percentile` (default 99.99),
//       `aciq_distribution: laplace | gaussian` (default laplace).
// bits: 32 means "not quantized": quantize() returns x unchanged.
//
// quantize() is differentiable in x (straight-through inside the clipping range, 0 outside)
// and in `clip` when clip requires grad (LAPQ's gradient and Hessian searches): it then uses
// composed, twice-differentiable ATen ops (fake_quant_composed). When no gradient is needed
// (grad mode off, or neither x nor clip requires grad) and x is float32 it runs the fast
// kernel (fake_quant_kernel), which gives the same bits.
// Stochastic rounding draws U[0, 1) noise of x's shape from the given generator only.
// Calibration always uses round-to-nearest (it is deterministic). calibrate_method() serves the
// harness's methods (ptq's minmax / mse / lp / aciq) with the same code.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "clip_calibration.hpp"
#include "qharness/params.hpp"
#include "qharness/quantizer.hpp"
#include "uniform_grid.hpp"

namespace qharness::plugins::uniform {

class UniformQuantizer : public Quantizer {
 public:
  struct Options {
    std::int64_t bits = 4;               // common `bits`: 1..32; 32 = not quantized
    bool per_channel = false;            // common `granularity: per-channel`
    bool stochastic = false;             // common `rounding: stochastic`
    Grid grid = Grid::Integer;           // `grid`
    CalibrationOptions calibration;      // `calibration`, `p`, `percentile`, `aciq_distribution`
  };

  // The plugin's own options (the driver adds the common ones).
  static std::vector<ParamSpec> param_specs();
  // Options from a Params holding the common options and every key of param_specs().
  static Options options_from_params(const Params& params);

  explicit UniformQuantizer(const Options& options);  // throws std::invalid_argument

  const Options& options() const { return options_; }

  at::Tensor calibrate(const at::Tensor& x, const QuantTarget& target) override;
  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget& target,
                      at::Generator& generator) override;
  // Every method of the harness, on this quantizer's grid and with its fast kernel: the clip
  // calibrate() gives with `calibration` (and `p`) set to the method, the other calibration
  // options (aciq_distribution, ...) as configured.
  at::Tensor calibrate_method(const at::Tensor& x, const QuantTarget& target,
                              const CalibrationMethod& method) override;

 private:
  at::Tensor calibrate_with(const at::Tensor& x, const QuantTarget& target, const CalibrationOptions& calibration);

  Options options_;
};

}  // namespace qharness::plugins::uniform
