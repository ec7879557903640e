#include "data/cifar10_dataset.hpp"

#include <ATen/ATen.h>
#include <boost/filesystem.hpp>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace fs = boost::filesystem;

namespace qharness {
namespace {

constexpr std::size_t kRecord = 1 + 3 * 32 * 32;

void read_batch_file(const fs::path& file, std::vector<std::uint8_t>& images, std::vector<std::uint8_t>& labels) {
  if (!fs::exists(file)) throw std::runtime_error("CIFAR-10 file '" + file.string() + "' does not exist");
  std::ifstream in(file.string(), std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw std::runtime_error("CIFAR-10 file '" + file.string() + "': read error");
  if (bytes.empty() || bytes.size() % kRecord != 0)
    throw std::runtime_error("CIFAR-10 file '" + file.string() + "': " + std::to_string(bytes.size()) +
                             " bytes is not a whole number of 3073-byte records (truncated or not the binary version)");
  const std::size_t n = bytes.size() / kRecord;
  for (std::size_t i = 0; i < n; ++i) {
    const auto label = static_cast<std::uint8_t>(bytes[i * kRecord]);
    if (label > 9)
      throw std::runtime_error("CIFAR-10 file '" + file.string() + "': record " + std::to_string(i) + " has label " +
                               std::to_string(label) + ", not a class 0..9");
    labels.push_back(label);
    images.insert(images.end(), bytes.begin() + static_cast<std::ptrdiff_t>(i * kRecord + 1),
                  bytes.begin() + static_cast<std::ptrdiff_t>((i + 1) * kRecord));
  }
}

}  // namespace

std::shared_ptr<Dataset> load_cifar10_split(const std::string& root, bool train) {
  const fs::path dir = fs::is_directory(fs::path(root) / "cifar-10-batches-bin") ? fs::path(root) / "cifar-10-batches-bin"
                                                                                  : fs::path(root);
  std::vector<std::uint8_t> images, labels;
  if (train)
    for (int k = 1; k <= 5; ++k) read_batch_file(dir / ("data_batch_" + std::to_string(k) + ".bin"), images, labels);
  else
    read_batch_file(dir / "test_batch.bin", images, labels);
  const auto n = static_cast<std::int64_t>(labels.size());
  at::Tensor x = at::empty({n, 3, 32, 32}, at::kByte);
  std::memcpy(x.data_ptr<std::uint8_t>(), images.data(), images.size());
  at::Tensor y = at::empty({n}, at::kByte);
  std::memcpy(y.data_ptr<std::uint8_t>(), labels.data(), labels.size());
  return std::make_shared<InMemoryDataset>(std::string("cifar10 ") + (train ? "train" : "test") + " (" +
                                               std::to_string(n) + " images from " + dir.string() + ")",
                                           x, y, 10,
                                           Normalization{{0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}});
}

}  // namespace qharness
