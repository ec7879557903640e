#include "clip_calibration.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <qharness/vector_clones.hpp>
#include <boost/math/tools/minima.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "lp_error.hpp"

namespace qharness::plugins::uniform {
namespace {

// The smallest clip handed out: an all-zero tensor or channel still gets a valid (> 0) grid.
constexpr double kMinClip = 1e-12;
// Brent's relative precision 2^(1 - bits): 2^-19 ~ 2e-6 of the clip, far below the
// clip changes that matter for the error, and ~25 evaluations per search.
constexpr int kBrentBits = 20;
constexpr std::uintmax_t kBrentMaxIterations = 100;

// The mean Lp error of one tensor (or channel) as a function of its clip, for Brent's search.
// The zeros (about half of a post-ReLU activation) are set aside once: each contributes the
// error of quantizing 0 on the clip's grid, computed once per clip, so the ~25 evaluations of
// a search read only the nonzero entries (-0 quantizes like +0 on every grid).
class LpErrorOfClip {
 public:
  LpErrorOfClip(const at::Tensor& x, Grid grid, std::int64_t bits, bool is_signed, double p)
      : grid_(grid), bits_(bits), is_signed_(is_signed), p_(p) {
    const at::Tensor flat = x.detach().to(at::kFloat).contiguous().reshape({-1});
    numel_ = flat.numel();
    nonzero_ = flat.masked_select(flat != 0).contiguous();
    zeros_ = numel_ - nonzero_.numel();
  }

  double operator()(double clip) const {
    const LpErrorGrid lg = lp_error_grid(grid_parameters(grid_, bits_, is_signed_, at::scalar_tensor(clip, at::kDouble), 0));
    double sum = lp_error_sum(nonzero_.data_ptr<float>(), nonzero_.numel(), lg, p_);
    if (zeros_ > 0) {
      const float zero = 0.0f;
      sum += static_cast<double>(zeros_) * lp_error_sum(&zero, 1, lg, p_);
    }
    return sum / static_cast<double>(numel_);
  }

 private:
  Grid grid_;
  std::int64_t bits_;
  bool is_signed_;
  double p_;
  at::Tensor nonzero_;
  std::int64_t numel_ = 0, zeros_ = 0;
};

// x as a float32 matrix [C, K]: one row per channel (C = 1 per tensor).
at::Tensor as_rows(const at::Tensor& x, bool per_channel, std::int64_t axis) {
  at::Tensor f = x.detach().to(at::kFloat);
  if (!per_channel) return f.reshape({1, -1});
  return f.movedim(axis, 0).reshape({f.size(axis), -1}).contiguous();
}

// minmax's clip per row: max|x| (signed) or max(x) (unsigned), as doubles.
std::vector<double> row_max(const at::Tensor& rows, bool is_signed) {
  const at::Tensor m = (is_signed ? rows.abs() : rows).amax(1).to(at::kDouble).contiguous();
  return std::vector<double>(m.data_ptr<double>(), m.data_ptr<double>() + m.numel());
}

// Per row of a float matrix [C, K]: the minmax clip (max|x| signed, max(x) unsigned), E[x^2]
// and E|x|, in one pass over memory (SAWB needs all three on every training step; the ATen
// composition took a float64 copy and four more passes). The row is cut into fixed chunks,
// each summed in double over 8 independent lanes (so the loop vectorizes without reordering
// anything the compiler is not allowed to) and the chunks added in order: the result does
// not depend on the thread count.
struct RowMoments {
  std::vector<double> max, mean_sq, mean_abs;
};

// One chunk p[lo, hi) of a row: max, sum of squares, sum of |x|. Lane l sums the elements
// l, l + 8, ... in order, whatever the vector width of the clone that runs (same result).
QHARNESS_VECTOR_CLONES void moments_chunk(const float* p, std::int64_t lo, std::int64_t hi, bool is_signed,
                                          double* max_out, double* sq_out, double* abs_out) {
  constexpr int kLanes = 8;
  float mx[kLanes];
  double sq[kLanes] = {}, ab[kLanes] = {};
  for (float& m : mx) m = is_signed ? 0.0f : -std::numeric_limits<float>::infinity();
  std::int64_t i = lo;
  for (; i + kLanes <= hi; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float v = p[i + l], a = std::fabs(v), m = is_signed ? a : v;
      mx[l] = m > mx[l] ? m : mx[l];
      sq[l] += double(v) * double(v);
      ab[l] += double(a);
    }
  for (; i < hi; ++i) {
    const float v = p[i], a = std::fabs(v), m = is_signed ? a : v;
    mx[0] = m > mx[0] ? m : mx[0];
    sq[0] += double(v) * double(v);
    ab[0] += double(a);
  }
  double m = mx[0], s2 = 0, s1 = 0;
  for (int l = 0; l < kLanes; ++l) {
    m = std::max(m, double(mx[l]));
    s2 += sq[l];
    s1 += ab[l];
  }
  *max_out = m;
  *sq_out = s2;
  *abs_out = s1;
}

RowMoments row_moments(const at::Tensor& rows, bool is_signed) {
  const at::Tensor r = rows.contiguous();
  const std::int64_t channels = r.size(0), k = r.size(1);
  constexpr std::int64_t kChunk = 1 << 15;
  const std::int64_t chunks = (k + kChunk - 1) / kChunk;
  std::vector<double> part_max(channels * chunks), part_sq(channels * chunks), part_abs(channels * chunks);
  const float* data = r.data_ptr<float>();
  at::parallel_for(0, channels * chunks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t item = begin; item < end; ++item) {
      const std::int64_t c = item / chunks, lo = (item % chunks) * kChunk, hi = std::min(k, lo + kChunk);
      moments_chunk(data + c * k, lo, hi, is_signed, &part_max[item], &part_sq[item], &part_abs[item]);
    }
  });
  RowMoments out;
  for (std::int64_t c = 0; c < channels; ++c) {
    double m = part_max[c * chunks], s2 = 0, s1 = 0;
    for (std::int64_t j = 0; j < chunks; ++j) {
      m = std::max(m, part_max[c * chunks + j]);
      s2 += part_sq[c * chunks + j];
      s1 += part_abs[c * chunks + j];
    }
    out.max.push_back(m);
    out.mean_sq.push_back(s2 / double(k));
    out.mean_abs.push_back(s1 / double(k));
  }
  return out;
}

// Brent's minimizer for f over [lo, hi]; returns the argmin.
template <class F>
double brent_argmin(F f, double lo, double hi) {
  std::uintmax_t iterations = kBrentMaxIterations;
  return boost::math::tools::brent_find_minima(f, lo, hi, kBrentBits, iterations).first;
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("uniform quantizer calibration: " + what);
}

}  // namespace

double lp_optimal_clip(const at::Tensor& x, Grid grid, std::int64_t bits, bool is_signed,
                       double p, double max_abs) {
  check(p >= 1.0 && std::isfinite(p), "p must be finite and >= 1, got " + std::to_string(p));
  if (!(max_abs > kMinClip)) return kMinClip;
  const LpErrorOfClip error(x, grid, bits, is_signed, p);
  const double best = brent_argmin(error, 1e-6 * max_abs, max_abs);
  // Brent returns a point within its tolerance of a local minimum; the minmax clip competes
  // explicitly, so the result is never worse than minmax in the Lp error.
  return error(best) <= error(max_abs) ? best : max_abs;
}

at::Tensor calibrate_clip(const at::Tensor& x, Grid grid, std::int64_t bits, bool is_signed,
                          bool per_channel, std::int64_t channel_axis,
                          const CalibrationOptions& options) {
  check(x.numel() > 0, "the tensor is empty");
  if (per_channel)
    check(channel_axis >= 0 && channel_axis < x.dim(),
          "channel axis " + std::to_string(channel_axis) + " is outside a " +
              std::to_string(x.dim()) + "-d tensor");
  const at::Tensor rows = as_rows(x, per_channel, channel_axis);
  const std::int64_t channels = rows.size(0);
  // SAWB needs the moments beside the maxima: one fused pass gives all three.
  RowMoments moments;
  if (options.method == Calibration::Sawb) moments = row_moments(rows, is_signed);
  const std::vector<double> maxima =
      options.method == Calibration::Sawb ? moments.max : row_max(rows, is_signed);
  std::vector<double> clip(maxima);

  switch (options.method) {
    case Calibration::MinMax:
      break;
    case Calibration::Mse:
    case Calibration::Lp: {
      const double p = options.method == Calibration::Mse ? 2.0 : options.p;
      for (std::int64_t c = 0; c < channels; ++c)
        clip[c] = lp_optimal_clip(rows[c].contiguous(), grid, bits, is_signed, p, maxima[c]);
      break;
    }
    case Calibration::Aciq: {
      const double alpha = aciq_alpha(bits, options.distribution, is_signed);
      const at::Tensor d = rows.to(at::kDouble);
      const at::Tensor mu = d.mean(1, /*keepdim=*/true);
      const at::Tensor spread = options.distribution == AciqDistribution::Laplace
                                    ? (d - mu).abs().mean(1)
                                    : d.std(1, /*unbiased=*/false);
      const at::Tensor value = (mu.squeeze(1).abs() + alpha * spread).contiguous();
      for (std::int64_t c = 0; c < channels; ++c)
        clip[c] = std::min(value.data_ptr<double>()[c], maxima[c]);
      break;
    }
    case Calibration::Sawb: {
      for (std::int64_t c = 0; c < channels; ++c) {
        const double sawb = options.sawb_c1 * std::sqrt(moments.mean_sq[c]) - options.sawb_c2 * moments.mean_abs[c];
        // SAWB's linear fit is for bell-shaped data; it turns <= 0 when E|x| / sqrt(E[x^2])
        // >= c1 / c2 (0.992 at 4 bits), i.e. when nearly every magnitude is the same. Such a
        // tensor is represented best by clipping at its one magnitude: max|x|. (Clamping to
        // the floor instead would quantize the whole tensor to zero.)
        clip[c] = sawb > 0 ? sawb : maxima[c];
        // The LUQ reference code does not cap its SAWB clip; the harness's grids do.
        if (grid != Grid::LuqSawb) clip[c] = std::min(clip[c], maxima[c]);
      }
      break;
    }
    case Calibration::Percentile: {
      check(options.percentile > 0.0 && options.percentile <= 100.0,
            "percentile must be in (0, 100], got " + std::to_string(options.percentile));
      const at::Tensor v = is_signed ? rows.abs() : rows.clamp_min(0.0);
      const std::int64_t n = v.size(1);
      const auto k = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(std::ceil(options.percentile / 100.0 * static_cast<double>(n))), 1, n);
      const at::Tensor kth = std::get<0>(v.kthvalue(k, 1)).to(at::kDouble).contiguous();
      for (std::int64_t c = 0; c < channels; ++c) clip[c] = kth.data_ptr<double>()[c];
      break;
    }
  }
  for (double& c : clip) c = std::max(c, kMinClip);
  at::Tensor out = at::tensor(clip, at::TensorOptions().dtype(at::kDouble)).to(x.scalar_type());
  return per_channel ? out : out.reshape({});
}

}  // namespace qharness::plugins::uniform
