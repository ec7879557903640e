#include "data/dataset.hpp"

#include <ATen/ATen.h>

#include <stdexcept>

namespace qharness {

at::Tensor normalize(const at::Tensor& images_u8, const Normalization& n) {
  const auto c = images_u8.size(1);
  if (static_cast<std::int64_t>(n.mean.size()) != c || static_cast<std::int64_t>(n.std.size()) != c)
    throw std::invalid_argument("normalize: " + std::to_string(c) + " channels but " +
                                std::to_string(n.mean.size()) + " means and " + std::to_string(n.std.size()) + " stds");
  std::vector<float> mean(n.mean.begin(), n.mean.end()), inv_std;
  for (double s : n.std) inv_std.push_back(static_cast<float>(1.0 / (255.0 * s)));
  for (auto& m : mean) m *= 255.0f;
  at::Tensor m = at::tensor(mean).view({1, c, 1, 1});
  at::Tensor s = at::tensor(inv_std).view({1, c, 1, 1});
  return (images_u8.to(at::kFloat) - m) * s;
}

InMemoryDataset::InMemoryDataset(std::string description, at::Tensor images_u8, at::Tensor labels,
                                 std::int64_t num_classes, Normalization normalization)
    : description_(std::move(description)),
      images_(std::move(images_u8)),
      labels_(std::move(labels)),
      num_classes_(num_classes),
      normalization_(std::move(normalization)) {
  if (images_.dim() != 4 || images_.scalar_type() != at::kByte)
    throw std::invalid_argument(description_ + ": images must be uint8 [n, C, H, W]");
  if (labels_.dim() != 1 || labels_.size(0) != images_.size(0))
    throw std::invalid_argument(description_ + ": " + std::to_string(images_.size(0)) + " images but " +
                                std::to_string(labels_.numel()) + " labels");
  labels_ = labels_.to(at::kLong);
}

std::int64_t InMemoryDataset::size() const { return images_.size(0); }

ImageShape InMemoryDataset::shape() const { return {images_.size(1), images_.size(2), images_.size(3)}; }

Batch InMemoryDataset::get(const at::Tensor& indices) const {
  return {images_.index_select(0, indices), labels_.index_select(0, indices)};
}

}  // namespace qharness
