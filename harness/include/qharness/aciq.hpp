#pragma once
// ACIQ's clipping constant (Banner, Nahshan, Soudry, "Post training 4-bit quantization of
// convolutional networks for rapid-deployment", NeurIPS 2019): the alpha that minimizes the
// analytic clipping + rounding mean squared error of a uniform 2^M-bin grid over [-alpha,
// alpha] (two-sided, signed data) or [0, alpha] (one-sided, post-ReLU data), for data of unit
// scale: Laplace(0, b = 1) or N(0, sigma = 1). Eq. (5) and (7) of the paper:
//   Laplace:  2 b^2 e^(-alpha/b) + alpha^2 / (3 * 4^M)
//   Gaussian: (alpha^2 + sigma^2)(1 - erf(alpha / (sqrt(2) sigma)))
//             - alpha sigma sqrt(2/pi) e^(-alpha^2 / (2 sigma^2)) + alpha^2 / (3 * 4^M)
// (one-sided: one tail, and rounding noise alpha^2 / (12 * 4^M)). Minimized numerically
// (Brent) rather than tabulated; for M = 2, 3, 4 it gives the paper's 2.83, 3.89, 5.03
// (Laplace) and 1.71, 2.15, 2.55 (Gaussian). The clip of a tensor is then
// |mean| + alpha * b (b = mean|x - mean|) or |mean| + alpha * sigma.
//
// Part of the public API so that a plugin can use the reference constant for its own grid;
// the harness's generic `aciq` calibration uses it too. Header-only (Boost.Math is).
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/tools/minima.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace qharness {

enum class AciqDistribution { Laplace, Gaussian };

// alpha in units of b (Laplace) or sigma (Gaussian), for `bits` in [1, 31].
inline double aciq_alpha(std::int64_t bits, AciqDistribution distribution, bool two_sided) {
  if (bits < 1 || bits > 31)
    throw std::invalid_argument("aciq needs bits in [1, 31], got " + std::to_string(bits));
  const double four_m = std::ldexp(1.0, 2 * static_cast<int>(bits));  // 4^M
  // Rounding noise Delta^2 / 12 with 2^M bins: Delta = 2 alpha / 2^M (two-sided) or alpha / 2^M.
  const double rounding = two_sided ? 1.0 / (3.0 * four_m) : 1.0 / (12.0 * four_m);
  const double tails = two_sided ? 2.0 : 1.0;
  auto error = [&](double alpha) {
    double clipping;
    if (distribution == AciqDistribution::Laplace) {
      clipping = tails * std::exp(-alpha);  // b = 1: b^2 e^(-alpha/b) per tail
    } else {
      // sigma = 1: per tail (alpha^2 + 1)(1 - Phi(alpha)) - alpha phi(alpha).
      const double upper_tail = 0.5 * boost::math::erfc(alpha / std::sqrt(2.0));
      const double density = std::exp(-0.5 * alpha * alpha) / std::sqrt(2.0 * M_PI);
      clipping = tails * ((alpha * alpha + 1.0) * upper_tail - alpha * density);
    }
    return clipping + rounding * alpha * alpha;
  };
  // The optimum grows like log(4^M) (Laplace) or sqrt(log 4^M) (Gaussian): 100 brackets it
  // for every M <= 31 (Laplace at 31 bits: ~ 45).
  std::uintmax_t iterations = 200;
  return boost::math::tools::brent_find_minima(error, 1e-3, 100.0, 40, iterations).first;
}

}  // namespace qharness
