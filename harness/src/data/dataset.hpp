#pragma once
// One interface for every dataset (fashion-mnist, mnist, cifar10, synthetic, ...): a split is
// an indexable collection of labelled images. Images come out as raw uint8 [n, C, H, W] so that
// augmentation works on pixels (as torchvision's transforms do before Normalize); normalize()
// turns them into the float tensors a model sees.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qharness {

struct ImageShape {
  std::int64_t channels = 1, height = 28, width = 28;
};

// Per-channel mean and standard deviation of the pixel values in [0, 1] (torchvision's
// transforms.Normalize).
struct Normalization {
  std::vector<double> mean, std;
};

struct Batch {
  at::Tensor images;   // uint8 [n, C, H, W] from Dataset::get, float after normalize()
  at::Tensor labels;   // int64 [n], in [0, num_classes)
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::string describe() const = 0;            // e.g. "fashion-mnist train (60000 images)"
  virtual std::int64_t size() const = 0;
  virtual ImageShape shape() const = 0;
  virtual std::int64_t num_classes() const = 0;
  virtual Normalization normalization() const = 0;
  // The images and labels at `indices` (int64, 1-d, each in [0, size())), in that order.
  virtual Batch get(const at::Tensor& indices) const = 0;
};

// uint8 images -> float (x/255 - mean) / std, per channel.
at::Tensor normalize(const at::Tensor& images_u8, const Normalization& n);

// A split held in memory as one uint8 tensor (every small dataset: its files are read once).
class InMemoryDataset : public Dataset {
 public:
  InMemoryDataset(std::string description, at::Tensor images_u8, at::Tensor labels, std::int64_t num_classes,
                  Normalization normalization);
  std::string describe() const override { return description_; }
  std::int64_t size() const override;
  ImageShape shape() const override;
  std::int64_t num_classes() const override { return num_classes_; }
  Normalization normalization() const override { return normalization_; }
  Batch get(const at::Tensor& indices) const override;

 private:
  std::string description_;
  at::Tensor images_, labels_;
  std::int64_t num_classes_;
  Normalization normalization_;
};

}  // namespace qharness
