#include "uniform_quantizer.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "fake_quant.hpp"

namespace qharness::plugins::uniform {
namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("uniform quantizer: " + what);
}

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (std::int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

}  // namespace

std::vector<ParamSpec> UniformQuantizer::param_specs() {
  return {
      {"grid", ParamType::String, std::string("integer"),
       "integer: zero is a level (signed k*a/(2^(M-1)-1), |k| <= 2^(M-1)-1); reference: the "
       "LAPQ reference code's 2^M levels over [-a, a], step 2a/(2^M-1), no zero level",
       {"integer", "reference"}},
      {"calibration", ParamType::String, std::string("minmax"),
       "how calibrate() picks the clip: max|x|, min MSE, min Lp error (Brent), ACIQ "
       "(Banner et al. 2019), or a percentile of |x|",
       {"minmax", "mse", "lp", "aciq", "percentile"}},
      {"p", ParamType::Double, 2.0, "lp: the exponent of the minimized mean |Q(x) - x|^p, >= 1",
       {}, false, 1.0, std::nullopt},
      {"percentile", ParamType::Double, 99.99,
       "percentile: the clip is this percentile of |x| (of x when unsigned), in (0, 100]", {},
       false, 1e-9, 100.0},
      {"aciq_distribution", ParamType::String, std::string("laplace"),
       "aciq: the distribution fitted to the tensor", {"laplace", "gaussian"}},
  };
}

UniformQuantizer::Options UniformQuantizer::options_from_params(const Params& params) {
  Options o;
  o.bits = params.get_int("bits");
  o.per_channel = params.get_string("granularity") == "per-channel";
  o.stochastic = params.get_string("rounding") == "stochastic";
  o.grid = params.get_string("grid") == "reference" ? Grid::Reference : Grid::Integer;
  const std::string& method = params.get_string("calibration");
  if (method == "minmax") o.calibration.method = Calibration::MinMax;
  else if (method == "mse") o.calibration.method = Calibration::Mse;
  else if (method == "lp") o.calibration.method = Calibration::Lp;
  else if (method == "aciq") o.calibration.method = Calibration::Aciq;
  else if (method == "percentile") o.calibration.method = Calibration::Percentile;
  else throw std::invalid_argument("uniform quantizer: unknown calibration '" + method + "'");
  o.calibration.p = params.get_double("p");
  o.calibration.percentile = params.get_double("percentile");
  o.calibration.distribution = params.get_string("aciq_distribution") == "gaussian"
                                   ? AciqDistribution::Gaussian
                                   : AciqDistribution::Laplace;
  return o;
}

UniformQuantizer::UniformQuantizer(const Options& options) : options_(options) {
  check(options_.bits >= 1 && options_.bits <= 32,
        "bits must be in [1, 32], got " + std::to_string(options_.bits));
  check(options_.calibration.p >= 1.0 && std::isfinite(options_.calibration.p),
        "p must be finite and >= 1, got " + std::to_string(options_.calibration.p));
  check(options_.calibration.percentile > 0.0 && options_.calibration.percentile <= 100.0,
        "percentile must be in (0, 100], got " + std::to_string(options_.calibration.percentile));
}

at::Tensor UniformQuantizer::calibrate(const at::Tensor& x, const QuantTarget& target) {
  return calibrate_with(x, target, options_.calibration);
}

at::Tensor UniformQuantizer::calibrate_method(const at::Tensor& x, const QuantTarget& target,
                                              const CalibrationMethod& method) {
  CalibrationOptions o = options_.calibration;
  switch (method.kind) {
    case CalibrationMethod::Kind::MinMax: o.method = Calibration::MinMax; break;
    case CalibrationMethod::Kind::Mse: o.method = Calibration::Mse; break;
    case CalibrationMethod::Kind::Lp: o.method = Calibration::Lp, o.p = method.p; break;
    case CalibrationMethod::Kind::Aciq: o.method = Calibration::Aciq; break;
  }
  return calibrate_with(x, target, o);
}

at::Tensor UniformQuantizer::calibrate_with(const at::Tensor& x, const QuantTarget& target,
                                            const CalibrationOptions& calibration) {
  at::NoGradGuard no_grad;
  // bits: 32 is never quantized, but a clip is still well defined (max|x|) for searches
  // that treat every slot alike.
  const std::int64_t bits = options_.bits >= 32 ? 31 : options_.bits;
  if (options_.grid == Grid::Integer && target.is_signed)
    check(bits >= 2, "bits: 1 on a signed tensor leaves the integer grid only the level 0; "
                     "use bits >= 2 or grid: reference");
  return calibrate_clip(x, options_.grid, bits, target.is_signed, options_.per_channel,
                        target.channel_axis, calibration);
}

at::Tensor UniformQuantizer::quantize(const at::Tensor& x, const at::Tensor& clip,
                                      const QuantTarget& target, at::Generator& generator) {
  if (options_.bits >= 32) return x;
  check(clip.defined(), "clip is undefined");
  if (options_.per_channel) {
    check(target.channel_axis >= 0 && target.channel_axis < x.dim(),
          "channel axis " + std::to_string(target.channel_axis) + " is outside a " +
              std::to_string(x.dim()) + "-d tensor");
    check(clip.dim() == 1 && clip.size(0) == x.size(target.channel_axis),
          "per-channel clip must have shape [" + std::to_string(x.size(target.channel_axis)) +
              "] for a tensor of shape " + shape_of(x) + " along axis " +
              std::to_string(target.channel_axis) + ", got " + shape_of(clip));
  } else {
    check(clip.numel() == 1, "per-tensor clip must hold one value, got shape " + shape_of(clip));
  }
  const GridParameters g =
      grid_parameters(options_.grid, options_.bits, target.is_signed, clip, target.channel_axis);
  at::Tensor noise;
  if (options_.stochastic) noise = at::empty_like(x).uniform_(0.0, 1.0, generator);

  // The fast kernel whenever the clip needs no gradient; the composed ATen ops otherwise.
  const bool grad_mode = at::GradMode::is_enabled();
  const bool grad_to_clip = grad_mode && clip.requires_grad();   // LAPQ's clip search, Hessians
  const bool grad_to_x = grad_mode && x.requires_grad();         // training
  if (!grad_to_clip && x.scalar_type() == at::kFloat && x.device().is_cpu())
    return grad_to_x ? fake_quant_ste(x, g.scale, g.offset, g.spec, noise)
                     : fake_quant_kernel(x, g.scale, g.offset, g.spec, noise);
  return fake_quant_composed(x, g.scale, g.offset, g.spec, noise);
}

}  // namespace qharness::plugins::uniform
