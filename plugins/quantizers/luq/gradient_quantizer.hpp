#pragma once
// Quantizers for neural gradients (LUQ, Chmiel et al., "Accurate Neural Training with 4-bit
// Matrix Multiplications at Standard Formats") and the ablations it is compared with.
//
// Code book, for a tensor with scale alpha = max|g| and b bits (b = 4: INT4/FP4):
//   luq, fp4-rdn, fp4-sr  radix-2 FP with 1 sign bit and e = b-1 exponent bits, no mantissa.
//                         Exponent code 0 is zero; codes 1..2^e-1 are alpha * 2^(code - (2^e-1)),
//                         so the magnitudes are alpha * 2^-k, k = 0..2^e-2 (7 of them at 4 bit:
//                         alpha .. alpha/64), plus 0: 15 values, 16 code points with -0.
//                         The reference code keeps alpha/2^7 too, 8 magnitudes + 0 = 17 values,
//                         which needs 5 bits; we drop the smallest magnitude to stay at 4.
//                         The underflow threshold a is the smallest magnitude, alpha * 2^-(2^e-2).
//   int4-sr               uniform: alpha * j / (2^(b-1)-1), j = -(2^(b-1)-1) .. 2^(b-1)-1.
// Rounding:
//   luq      |g| < a: a with probability |g|/a, else 0 (stochastic underflow, unbiased);
//            else stochastic rounding between the adjacent powers of two lo <= |g| < 2 lo,
//            up with probability (|g| - lo)/lo: unbiased.
//   fp4-rdn  the nearest representable value (linear distance; below a/2 -> 0): biased.
//   fp4-sr   like luq above a, but values under a are flushed to 0: biased in the underflow range.
//   int4-sr  stochastic rounding on the uniform grid: unbiased.
// SMP (samples = N) averages N independent quantizations (the mean is no longer on the code
// book; its variance is 1/N of one sample's).
//
// Random numbers come from a counter-based stream (a 32-bit hash of the element index, keyed
// per sample from the seed by SplitMix64), so the kernel is parallel and vectorized, and a given
// seed gives the same result for any thread count.
#include <ATen/ATen.h>
#include <qharness/params.hpp>
#include <qharness/quantizer.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace qharness::gradquant {

enum class Format { Luq, Fp4Rdn, Fp4Sr, Int4Sr };

Format format_from_name(const std::string& name);   // "luq", "fp4-rdn", "fp4-sr", "int4-sr"

struct Options {
  Format format = Format::Luq;
  int bits = 4;          // total bits incl. sign: 2..8
  int samples = 1;       // SMP: average of this many independent quantizations
};

// Every value quantize() can return for one sample, ascending.
std::vector<double> codebook(const Options& options, double alpha);
// The smallest nonzero magnitude (log formats) or grid step (int4-sr).
double underflow_threshold(const Options& options, double alpha);

// g (float32, any shape, CPU) quantized with scale alpha (> 0; alpha = 0 gives zeros).
// Values with |g| > alpha are clamped to +-alpha. Deterministic for a given seed.
at::Tensor quantize(const at::Tensor& g, double alpha, const Options& options, std::uint64_t seed);

// max|g| in one pass; NaN when g holds a NaN.
double max_abs(const at::Tensor& g);

// The plugin: serves the gradient slot of quantized layers. calibrate() is max|g| of the tensor
// (the slot calls it at every iteration), quantize() seeds the counter-based stream with one
// draw from the slot's generator. Gradients are quantized inside backward, so quantize() is
// not itself differentiable.
class GradientQuantizer : public qharness::Quantizer {
 public:
  // `name`: the format (luq, fp4-rdn, fp4-sr, int4-sr). Params: bits, granularity (per-tensor
  // only), samples.
  GradientQuantizer(const std::string& name, const qharness::Params& params);
  GradientQuantizer(Options options) : options_(options) {}
  static std::vector<qharness::ParamSpec> param_specs();

  at::Tensor calibrate(const at::Tensor& g, const qharness::QuantTarget&) override;
  at::Tensor quantize(const at::Tensor& g, const at::Tensor& clip, const qharness::QuantTarget&,
                      at::Generator& generator) override;

 private:
  Options options_;
};

}  // namespace qharness::gradquant
