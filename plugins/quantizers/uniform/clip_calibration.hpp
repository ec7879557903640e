#pragma once
// Clipping values for the `uniform` quantizer, computed from data.
//
//   minmax      max|x| (signed) or max(x) (unsigned).
//   mse         the clip minimizing mean((Q(x) - x)^2): `lp` with p = 2.
//   lp          the clip minimizing mean(|Q(x) - x|^p), p >= 1, found by Boost.Math's Brent
//               minimizer (boost::math::tools::brent_find_minima) over (0, m], m = minmax's
//               clip (searched on [1e-6 m, m]; the result is never worse than m itself).
//               Q is the quantizer's own grid with round-to-nearest. Each evaluation is one
//               fused pass of lp_error.hpp over the tensor's nonzero entries (the zeros' error
//               added back), the power in float64.
//   aciq        Banner, Nahshan, Soudry, "Post training 4-bit quantization of convolutional
//               networks for rapid-deployment" (NeurIPS 2019), "ACIQ": the clip alpha that
//               minimizes the analytic clipping + rounding MSE of a Laplace(mu, b) or
//               Gaussian(mu, sigma) fit, eq. (5) and (7) of the paper:
//                 Laplace:  2 b^2 e^(-alpha/b) + alpha^2 / (3 * 4^M)
//                 Gaussian: (alpha^2 + sigma^2)(1 - erf(alpha / (sqrt(2) sigma)))
//                           - alpha sigma sqrt(2/pi) e^(-alpha^2 / (2 sigma^2)) + alpha^2 / (3 * 4^M)
//               minimized numerically (Brent) rather than tabulated; for M = 2, 3, 4 this
//               gives the paper's constants alpha* = 2.83 b, 3.89 b, 5.03 b (Laplace) and
//               1.71 sigma, 2.15 sigma, 2.55 sigma (Gaussian), checked by the unit tests.
//               Unsigned (post-ReLU) tensors use the one-sided variant (one tail, 2^M bins
//               over [0, alpha]: alpha^2 / (12 * 4^M)). b = mean|x - mu|, sigma = std(x); the
//               clip is |mu| + alpha, capped at minmax's clip.
//   percentile  the given percentile of |x| (signed) or of x (unsigned), e.g. 99.99.
//   sawb        Choi et al., "Bridging the accuracy gap for 2-bit quantized neural networks"
//               (SAWB): clip = c1 sqrt(E[x^2]) - c2 E|x| from the tensor's own statistics
//               (c1 = 12.1, c2 = 12.2 at 4 bits, as used by LUQ), capped at minmax's clip
//               (not on the luq grid, whose reference code does not cap). Where the formula
//               gives a clip <= 0 (E|x| / sqrt(E[x^2]) >= c1 / c2, 0.992 at 4 bits: nearly all
//               magnitudes equal, e.g. a +-c tensor) the clip is minmax's instead, the exact
//               clip for such a tensor, rather than the floor that would zero it.
// Per-channel calibration does the same for every slice along the channel axis.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "qharness/aciq.hpp"
#include "uniform_grid.hpp"

namespace qharness::plugins::uniform {

enum class Calibration { MinMax, Mse, Lp, Aciq, Percentile, Sawb };

struct CalibrationOptions {
  Calibration method = Calibration::MinMax;
  double p = 2.0;                 // lp: the norm's exponent, >= 1
  double percentile = 99.99;      // percentile: in (0, 100]
  AciqDistribution distribution = AciqDistribution::Laplace;  // aciq
  double sawb_c1 = 12.1, sawb_c2 = 12.2;                       // sawb
};

// The clip (0-d, or [C] when per_channel) for x on the given grid. Clips are > 0 and in
// float64 precision cast to x's dtype. Deterministic.
at::Tensor calibrate_clip(const at::Tensor& x, Grid grid, std::int64_t bits, bool is_signed,
                          bool per_channel, std::int64_t channel_axis,
                          const CalibrationOptions& options);

// ACIQ's alpha (qharness::aciq_alpha, AciqDistribution) is the public qharness/aciq.hpp's, which
// the harness's generic aciq calibration uses too.

// The clip in (0, max_abs] minimizing mean(|Q(x) - x|^p) for a contiguous float tensor x,
// per tensor (Brent, see above). Exposed for the tests.
double lp_optimal_clip(const at::Tensor& x, Grid grid, std::int64_t bits, bool is_signed,
                       double p, double max_abs);

}  // namespace qharness::plugins::uniform
