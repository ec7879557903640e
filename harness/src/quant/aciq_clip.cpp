#include "quant/aciq_clip.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "qharness/aciq.hpp"
#include "quant/clip_rows.hpp"

namespace qharness {

at::Tensor aciq_clip(const at::Tensor& x, bool is_signed, bool per_channel, std::int64_t axis, std::int64_t bits) {
  const double alpha = aciq_alpha(bits, AciqDistribution::Laplace, is_signed);
  const at::Tensor rows = clip_rows(x, per_channel, axis);
  const std::vector<double> maxima = row_max(rows, is_signed);
  const at::Tensor mu = rows.mean(1, /*keepdim=*/true);
  const at::Tensor b = (rows - mu).abs().mean(1);
  const at::Tensor value = (mu.squeeze(1).abs() + alpha * b).contiguous().cpu();
  std::vector<double> clip(maxima.size());
  for (std::size_t c = 0; c < clip.size(); ++c) clip[c] = std::min(value.data_ptr<double>()[c], maxima[c]);
  return clip_tensor(clip, per_channel, x);
}

}  // namespace qharness
