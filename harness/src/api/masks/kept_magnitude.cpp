#include "qharness/masks/kept_magnitude.hpp"

#include <ATen/ATen.h>

#include <stdexcept>

namespace qharness::masks {

double kept_magnitude(const at::Tensor& weight, const at::Tensor& mask) {
  if (!weight.defined() || !mask.defined() || weight.sizes() != mask.sizes())
    throw std::invalid_argument("kept_magnitude: the weight and the mask must have one shape");
  return (weight.detach().to(at::kDouble).abs() * mask.to(at::kDouble)).sum().item<double>();
}

double total_magnitude(const at::Tensor& weight) {
  return weight.detach().to(at::kDouble).abs().sum().item<double>();
}

double block_kept_magnitude(const float* block_abs, const std::uint8_t* keep, int m) {
  double s = 0;
  for (int k = 0; k < m * m; ++k)
    if (keep[k]) s += block_abs[k];
  return s;
}

}  // namespace qharness::masks
