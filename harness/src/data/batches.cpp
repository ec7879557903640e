#include "data/batches.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

#include "data/portable_random.hpp"

namespace qharness {

std::vector<at::Tensor> epoch_batches(std::int64_t n, std::int64_t batch_size, bool shuffle, std::uint64_t seed,
                                      std::int64_t epoch) {
  if (batch_size < 1) throw std::invalid_argument("batch size must be >= 1");
  std::vector<std::int64_t> order;
  if (shuffle) {
    PortableRandom rng(seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(epoch) + 1);
    order = rng.sample(n, n);
  } else {
    order.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  }
  at::Tensor all = at::tensor(order, at::kLong);
  std::vector<at::Tensor> out;
  for (std::int64_t s = 0; s < n; s += batch_size) out.push_back(all.slice(0, s, std::min(n, s + batch_size)));
  return out;
}

namespace {

at::Tensor augment_u8(const at::Tensor& x, const AugmentOptions& o, std::uint64_t seed) {
  const auto n = x.size(0), h = x.size(2), w = x.size(3);
  const std::int64_t pad = o.pad >= 0 ? o.pad : std::max<std::int64_t>(1, h / 8);
  at::Tensor padded = at::constant_pad_nd(x, {pad, pad, pad, pad}, 0);
  at::Tensor out = at::empty_like(x);
  PortableRandom rng(seed);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto dy = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * pad + 1)));
    const auto dx = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * pad + 1)));
    at::Tensor crop = padded[i].slice(1, dy, dy + h).slice(2, dx, dx + w);
    if (o.flip && rng.below(2) == 1) crop = crop.flip({2});
    out[i].copy_(crop);
  }
  return out;
}

}  // namespace

Batch load_batch(const Dataset& data, const at::Tensor& indices, const AugmentOptions& augment,
                 std::uint64_t augment_seed) {
  Batch b = data.get(indices);
  if (augment.enabled) b.images = augment_u8(b.images, augment, augment_seed);
  b.images = normalize(b.images, data.normalization());
  return b;
}

std::vector<std::int64_t> calibration_indices(std::int64_t n, std::int64_t size, std::uint64_t seed) {
  if (size < 1 || size > n)
    throw std::invalid_argument("calibration size " + std::to_string(size) + " is not in [1, " + std::to_string(n) +
                                "] (the split's size)");
  PortableRandom rng(seed ^ 0xC0FFEE1234567ull);
  std::vector<std::int64_t> idx = rng.sample(n, size);
  std::sort(idx.begin(), idx.end());
  return idx;
}

Batch calibration_batch(const Dataset& data, std::int64_t size, std::uint64_t seed) {
  std::vector<std::int64_t> idx;
  try {
    idx = calibration_indices(data.size(), size, seed);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(data.describe() + ": " + e.what());
  }
  return load_batch(data, at::tensor(idx, at::kLong));
}

}  // namespace qharness
