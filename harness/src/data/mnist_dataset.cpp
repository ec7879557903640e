#include "data/mnist_dataset.hpp"

#include <ATen/ATen.h>
#include <boost/filesystem.hpp>

#include <stdexcept>

#include "data/idx_file.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

// The gzipped file when present, else the plain one (named in errors as the .gz we expected).
std::string idx_path(const std::string& root, const std::string& stem) {
  const fs::path plain = fs::path(root) / stem;
  const fs::path gz = fs::path(root) / (stem + ".gz");
  if (fs::exists(gz) || !fs::exists(plain)) return gz.string();
  return plain.string();
}

}  // namespace

std::shared_ptr<Dataset> load_mnist_split(const std::string& name, const std::string& root, bool train,
                                          const Normalization& normalization) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images_file = idx_path(root, prefix + "-images-idx3-ubyte");
  const std::string labels_file = idx_path(root, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx_file(images_file);
  IdxArray labels = read_idx_file(labels_file);
  if (images.dims.size() != 3)
    throw std::runtime_error("IDX file '" + images_file + "': expected 3 dimensions (n, rows, cols), found " +
                             std::to_string(images.dims.size()));
  if (labels.dims.size() != 1)
    throw std::runtime_error("IDX file '" + labels_file + "': expected 1 dimension (n), found " +
                             std::to_string(labels.dims.size()));
  if (images.dims[0] != labels.dims[0])
    throw std::runtime_error("'" + images_file + "' holds " + std::to_string(images.dims[0]) + " images but '" +
                             labels_file + "' holds " + std::to_string(labels.dims[0]) + " labels");
  for (std::size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] > 9)
      throw std::runtime_error("IDX file '" + labels_file + "': label " + std::to_string(labels.data[i]) +
                               " at index " + std::to_string(i) + " is not a class 0..9");
  const auto n = images.dims[0];
  at::Tensor x = at::empty({n, 1, images.dims[1], images.dims[2]}, at::kByte);
  std::memcpy(x.data_ptr<std::uint8_t>(), images.data.data(), images.data.size());
  at::Tensor y = at::empty({n}, at::kByte);
  std::memcpy(y.data_ptr<std::uint8_t>(), labels.data.data(), labels.data.size());
  return std::make_shared<InMemoryDataset>(name + " " + (train ? "train" : "test") + " (" + std::to_string(n) +
                                               " images from " + root + ")",
                                           x, y, 10, normalization);
}

}  // namespace qharness
