#pragma once
// How far the quantized neural gradient moves each layer's WEIGHT gradient from the one the
// unquantized neural gradient would give, on one batch:
//   bias  = || mean_s dW(q_s) - dW(g) || / || dW(g) ||      (the systematic part)
//   error = mean_s || dW(q_s) - dW(g) ||^2 / || dW(g) ||^2   (relative mean squared error)
// where g is the gradient w.r.t. the layer's output as backward delivers it (with the layers
// above quantized as in training), q_s are independent quantizations of g by the layer's
// gradient quantizer, and dW(.) is the layer's weight-gradient product with its (quantized)
// input. An unbiased quantizer has bias -> 0 as the number of samples grows (~ 1/sqrt(S));
// a biased one keeps a floor.
//
// The sampling floor. With the true bias b = E dW(q) - dW(g) and the quantization variance
// v = E||dW(q) - E dW(q)||^2 (both relative to ||dW(g)||^2), E[bias^2] = b^2 + v / S while
// E[error] = b^2 + v. So an unbiased quantizer shows bias ~ sqrt(error / S) from the S samples
// alone, and two quantizers at 4 bits with different variances would be compared on noise.
// debiased_bias removes that floor: sqrt(max(0, (S bias^2 - error) / (S - 1))), whose square
// is an unbiased estimate of b^2 (the sqrt(max(0, bias^2 - error / S)) is the same up
// to the factor S / (S - 1), which makes the estimate unbiased). It needs S >= 2.
#include <ATen/core/Tensor.h>

#include <vector>

#include "models/model.hpp"

namespace qharness {

struct GradientStatistics {
  std::vector<std::string> layers;
  std::vector<double> bias, error;   // per layer
  std::vector<double> debiased_bias; // per layer, see above
};

// sqrt(max(0, (S bias^2 - error) / (S - 1))): the bias with the sampling floor of S samples
// removed. Throws std::invalid_argument when samples < 2.
double debiased_bias(double bias, double error, int samples);

// `layers` must have an active gradient slot; samples >= 2. The model is used in eval mode (batch-norm
// statistics are not touched) and its parameters' .grad are left as they were.
GradientStatistics measure_gradient_statistics(QModel& model, const std::vector<NamedQuantLayer>& layers,
                                               const at::Tensor& images, const at::Tensor& labels, int samples);

}  // namespace qharness
