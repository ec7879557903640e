#include "quant/clip_rows.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace qharness {

at::Tensor clip_rows(const at::Tensor& x, bool per_channel, std::int64_t axis) {
  if (x.numel() == 0) throw std::invalid_argument("calibration: the tensor is empty");
  const at::Tensor d = x.detach().to(at::kDouble);
  if (!per_channel) return d.reshape({1, -1});
  if (axis < 0 || axis >= x.dim())
    throw std::invalid_argument("calibration: channel axis " + std::to_string(axis) + " is outside a " +
                                std::to_string(x.dim()) + "-d tensor");
  return d.movedim(axis, 0).reshape({x.size(axis), -1}).contiguous();
}

std::vector<double> row_max(const at::Tensor& rows, bool is_signed) {
  const at::Tensor m = (is_signed ? rows.abs() : rows).amax(1).to(at::kDouble).contiguous().cpu();
  return std::vector<double>(m.data_ptr<double>(), m.data_ptr<double>() + m.numel());
}

at::Tensor clip_tensor(std::vector<double> values, bool per_channel, const at::Tensor& like) {
  for (double& v : values) v = std::max(v, kMinClip);
  at::Tensor out = at::tensor(values, at::TensorOptions().dtype(at::kDouble)).to(like.device(), like.scalar_type());
  return per_channel ? out : out.reshape({});
}

}  // namespace qharness
