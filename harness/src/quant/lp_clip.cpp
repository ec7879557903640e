#include "quant/lp_clip.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <boost/math/tools/minima.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "quant/clip_rows.hpp"

namespace qharness {
namespace {

// Brent's relative precision 2^(1 - bits): 2^-19 ~ 2e-6 of the clip, far below the clip
// changes that matter for the error, and ~25 evaluations per search.
constexpr int kBrentBits = 20;
constexpr std::uintmax_t kBrentMaxIterations = 100;
// The lower end of the search, relative to the minmax clip.
constexpr double kSearchFloor = 1e-6;

// The clip in (0, max] minimizing error(c), for one tensor or slice.
template <class F>
double argmin_clip(F error, double max) {
  if (!(max > kMinClip)) return kMinClip;
  std::uintmax_t iterations = kBrentMaxIterations;
  const double best =
      boost::math::tools::brent_find_minima(error, kSearchFloor * max, max, kBrentBits, iterations).first;
  // Brent returns a point within its tolerance of a local minimum; the minmax clip competes
  // explicitly, so the result is never worse than minmax in the Lp error.
  return error(best) <= error(max) ? best : max;
}

}  // namespace

double lp_error(Quantizer& quantizer, const at::Tensor& x, const at::Tensor& clip, const QuantTarget& target,
                double p, const at::Generator& noise) {
  at::NoGradGuard no_grad;
  at::Generator gen = noise.defined() ? noise.clone() : at::make_generator<at::CPUGeneratorImpl>(0);
  const at::Tensor q = quantizer.quantize(x, clip, target, gen);
  at::Tensor e = (q.to(at::kDouble) - x.to(at::kDouble)).abs_();
  if (p != 1.0) e.pow_(p);
  const double mean = e.sum().item<double>() / static_cast<double>(x.numel());
  // A clip where the quantizer's output is not finite is never the optimum.
  return std::isfinite(mean) ? mean : std::numeric_limits<double>::max();
}

at::Tensor lp_clip(Quantizer& quantizer, const at::Tensor& x, const QuantTarget& target, bool per_channel, double p,
                   const at::Generator& noise) {
  if (!(p >= 1.0) || !std::isfinite(p))
    throw std::invalid_argument("lp calibration: p must be finite and >= 1, got " + std::to_string(p));
  const at::Tensor data = x.detach();
  const std::vector<double> maxima = row_max(clip_rows(data, per_channel, target.channel_axis), target.is_signed);
  std::vector<double> clips(maxima.size());
  const auto options = at::TensorOptions().dtype(data.scalar_type()).device(data.device());
  for (std::size_t c = 0; c < clips.size(); ++c) {
    const at::Tensor slice = per_channel ? data.narrow(target.channel_axis, static_cast<std::int64_t>(c), 1) : data;
    auto error = [&](double clip) {
      const at::Tensor t = per_channel ? at::full({1}, clip, options) : at::scalar_tensor(clip, options);
      return lp_error(quantizer, slice, t, target, p, noise);
    };
    clips[c] = argmin_clip(error, maxima[c]);
  }
  return clip_tensor(clips, per_channel, data);
}

}  // namespace qharness
