#include "data/synthetic_dataset.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

#include "data/portable_random.hpp"

namespace qharness {

std::shared_ptr<Dataset> make_synthetic_split(const SyntheticOptions& o, bool train) {
  const auto [c, h, w] = o.shape;
  if (c < 1 || h < 4 || w < 4 || o.classes < 2)
    throw std::invalid_argument("synthetic data: need >= 1 channel, images of at least 4x4 and >= 2 classes");
  // Prototypes: a coarse 4x4 grid of random levels per channel, upsampled (nearest).
  PortableRandom proto_rng(o.seed * 2654435761u + 17);
  std::vector<double> coarse(static_cast<std::size_t>(o.classes * c * 16));
  for (auto& v : coarse) v = proto_rng.uniform();
  // Train and test draw from the same prototypes with different noise streams.
  PortableRandom rng(o.seed * 2654435761u + (train ? 101 : 202));
  const std::int64_t n = train ? o.train_size : o.test_size;
  at::Tensor x = at::empty({n, c, h, w}, at::kByte);
  at::Tensor y = at::empty({n}, at::kLong);
  auto* px = x.data_ptr<std::uint8_t>();
  auto* py = y.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const auto label = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(o.classes)));
    py[i] = label;
    const auto dy = static_cast<std::int64_t>(rng.below(5)) - 2, dx = static_cast<std::int64_t>(rng.below(5)) - 2;
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t r = 0; r < h; ++r)
        for (std::int64_t q = 0; q < w; ++q) {
          const std::int64_t rr = std::clamp<std::int64_t>(r + dy, 0, h - 1), qq = std::clamp<std::int64_t>(q + dx, 0, w - 1);
          const double level = coarse[static_cast<std::size_t>(((label * c + ch) * 4 + rr * 4 / h) * 4 + qq * 4 / w)];
          const double v = 255.0 * (0.15 + 0.7 * level) + 80.0 * (rng.uniform() - 0.5);
          px[((i * c + ch) * h + r) * w + q] = static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
        }
  }
  Normalization norm{std::vector<double>(static_cast<std::size_t>(c), 0.5), std::vector<double>(static_cast<std::size_t>(c), 0.25)};
  return std::make_shared<InMemoryDataset>("synthetic " + std::string(train ? "train" : "test") + " (" +
                                               std::to_string(n) + " images, seed " + std::to_string(o.seed) + ")",
                                           x, y, o.classes, norm);
}

}  // namespace qharness
