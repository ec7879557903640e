#include "quant/minmax_clip.hpp"

#include "quant/clip_rows.hpp"

namespace qharness {

at::Tensor minmax_clip(const at::Tensor& x, bool is_signed, bool per_channel, std::int64_t axis) {
  return clip_tensor(row_max(clip_rows(x, per_channel, axis), is_signed), per_channel, x);
}

}  // namespace qharness
