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
#include <ATen/core/Tensor.h>

#include <vector>

#include "models/model.hpp"

namespace qharness {

struct GradientStatistics {
  std::vector<std::string> layers;
  std::vector<double> bias, error;   // per layer
};

// `layers` must have an active gradient slot. The model is used in eval mode (batch-norm
// statistics are not touched) and its parameters' .grad are left as they were.
GradientStatistics measure_gradient_statistics(QModel& model, const std::vector<NamedQuantLayer>& layers,
                                               const at::Tensor& images, const at::Tensor& labels, int samples);

}  // namespace qharness
