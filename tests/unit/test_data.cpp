// Datasets: IDX reader (gzip and plain, and every kind of bad file), MNIST-format splits,
// CIFAR-10 binary, synthetic data, batching, augmentation and the calibration subset.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/filesystem.hpp>
#include <fstream>
#include <set>

#include "data/batches.hpp"
#include "data/cifar10_dataset.hpp"
#include "data/idx_file.hpp"
#include "data/mnist_dataset.hpp"
#include "data/synthetic_dataset.hpp"
#include "temp_dir.hpp"

namespace fs = boost::filesystem;
using namespace qharness;
using qharness::test_support::TempDir;

namespace {

const Normalization kMnistNorm{{0.5}, {0.25}};


std::vector<std::uint8_t> idx_bytes(std::vector<std::uint32_t> dims, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> b = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_plain(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> ramp(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 % 251);
  return v;
}

// The message of the runtime_error that `f` throws ("" when it throws none).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A folder with the four MNIST files: n train and m test images of 28x28 (gzipped).
void write_mnist(const TempDir& dir, std::uint32_t n, std::uint32_t m) {
  for (auto [prefix, count] : {std::pair<std::string, std::uint32_t>{"train", n}, {"t10k", m}}) {
    write_gz(dir.file(prefix + "-images-idx3-ubyte.gz"), idx_bytes({count, 28, 28}, ramp(count * 28 * 28)));
    std::vector<std::uint8_t> labels(count);
    for (std::uint32_t i = 0; i < count; ++i) labels[i] = static_cast<std::uint8_t>(i % 10);
    write_gz(dir.file(prefix + "-labels-idx1-ubyte.gz"), idx_bytes({count}, labels));
  }
}

}  // namespace

TEST(IdxFile, ReadsGzippedAndPlainFiles) {
  TempDir dir;
  const auto data = ramp(5 * 3 * 4);
  write_gz(dir.file("a.gz"), idx_bytes({5, 3, 4}, data));
  write_plain(dir.file("a"), idx_bytes({5, 3, 4}, data));
  for (const auto& f : {dir.file("a.gz"), dir.file("a")}) {
    IdxArray a = read_idx_file(f);
    EXPECT_EQ(a.dims, (std::vector<std::int64_t>{5, 3, 4}));
    EXPECT_EQ(a.data, data);
  }
}

TEST(IdxFile, MissingFileIsNamed) {
  const std::string msg = error_of([] { read_idx_file("/nonexistent/train-images-idx3-ubyte.gz"); });
  EXPECT_NE(msg.find("/nonexistent/train-images-idx3-ubyte.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(IdxFile, TruncatedDataIsAnErrorNamingTheFile) {
  TempDir dir;
  auto bytes = idx_bytes({5, 3, 4}, ramp(5 * 3 * 4));
  bytes.resize(bytes.size() - 7);
  write_gz(dir.file("t.gz"), bytes);
  const std::string msg = error_of([&] { read_idx_file(dir.file("t.gz")); });
  EXPECT_NE(msg.find(dir.file("t.gz")), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("60"), std::string::npos) << msg;   // the announced size
}

TEST(IdxFile, CutGzipStreamIsAnError) {
  TempDir dir;
  write_gz(dir.file("full.gz"), idx_bytes({50, 28, 28}, ramp(50 * 28 * 28)));
  auto gz = read_file(dir.file("full.gz"));
  gz.resize(gz.size() / 2);
  write_plain(dir.file("cut.gz"), gz);
  const std::string msg = error_of([&] { read_idx_file(dir.file("cut.gz")); });
  EXPECT_NE(msg.find(dir.file("cut.gz")), std::string::npos) << msg;
  EXPECT_TRUE(msg.find("truncated") != std::string::npos || msg.find("corrupt") != std::string::npos) << msg;
}

TEST(IdxFile, CorruptGzipDataIsAnError) {
  TempDir dir;
  write_gz(dir.file("full.gz"), idx_bytes({50, 28, 28}, ramp(50 * 28 * 28)));
  auto gz = read_file(dir.file("full.gz"));
  for (std::size_t i = 20; i < 60; ++i) gz[i] ^= 0x5a;   // inside the deflate stream
  write_plain(dir.file("bad.gz"), gz);
  const std::string msg = error_of([&] { read_idx_file(dir.file("bad.gz")); });
  EXPECT_NE(msg.find(dir.file("bad.gz")), std::string::npos) << msg;
  EXPECT_NE(msg.find("corrupt"), std::string::npos) << msg;
}

TEST(IdxFile, WrongMagicAndTrailingBytesAreErrors) {
  TempDir dir;
  write_plain(dir.file("png"), {0x89, 'P', 'N', 'G', 1, 2, 3, 4});
  EXPECT_NE(error_of([&] { read_idx_file(dir.file("png")); }).find("not an IDX file"), std::string::npos);
  auto bytes = idx_bytes({2, 2}, ramp(4));
  bytes[2] = 0x0D;   // float elements
  write_plain(dir.file("float"), bytes);
  EXPECT_NE(error_of([&] { read_idx_file(dir.file("float")); }).find("not unsigned byte"), std::string::npos);
  auto extra = idx_bytes({2, 2}, ramp(6));
  write_plain(dir.file("extra"), extra);
  EXPECT_NE(error_of([&] { read_idx_file(dir.file("extra")); }).find("2 unexpected bytes"), std::string::npos);
}

TEST(MnistDataset, LoadsBothSplits) {
  TempDir dir;
  write_mnist(dir, 30, 20);
  auto train = load_mnist_split("fashion-mnist", dir.str(), true, kMnistNorm);
  auto test = load_mnist_split("fashion-mnist", dir.str(), false, kMnistNorm);
  EXPECT_EQ(train->size(), 30);
  EXPECT_EQ(test->size(), 20);
  EXPECT_EQ(train->num_classes(), 10);
  Batch b = train->get(at::tensor(std::vector<std::int64_t>{0, 13}, at::kLong));
  EXPECT_EQ(b.images.sizes(), (std::vector<std::int64_t>{2, 1, 28, 28}));
  EXPECT_EQ(b.labels[1].item<std::int64_t>(), 3);
  const auto expected = ramp(30 * 28 * 28);
  EXPECT_EQ(b.images[1][0][0][5].item<std::uint8_t>(), expected[13 * 784 + 5]);
}

TEST(MnistDataset, InconsistentFilesAreNamed) {
  TempDir dir;
  write_mnist(dir, 30, 20);
  write_gz(dir.file("train-labels-idx1-ubyte.gz"), idx_bytes({29}, std::vector<std::uint8_t>(29, 1)));
  std::string msg = error_of([&] { load_mnist_split("mnist", dir.str(), true, kMnistNorm); });
  EXPECT_NE(msg.find("train-images-idx3-ubyte.gz' holds 30 images"), std::string::npos) << msg;
  EXPECT_NE(msg.find("29 labels"), std::string::npos) << msg;
  write_gz(dir.file("train-labels-idx1-ubyte.gz"), idx_bytes({30}, std::vector<std::uint8_t>(30, 12)));
  msg = error_of([&] { load_mnist_split("mnist", dir.str(), true, kMnistNorm); });
  EXPECT_NE(msg.find("label 12"), std::string::npos) << msg;
  fs::remove(dir.file("t10k-images-idx3-ubyte.gz"));
  msg = error_of([&] { load_mnist_split("mnist", dir.str(), false, kMnistNorm); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz"), std::string::npos) << msg;
}

TEST(Cifar10Dataset, ReadsRecordsAndRejectsTruncatedFiles) {
  TempDir dir;
  std::vector<std::uint8_t> bytes;
  for (int r = 0; r < 3; ++r) {
    bytes.push_back(static_cast<std::uint8_t>(r + 4));
    for (int i = 0; i < 3072; ++i) bytes.push_back(static_cast<std::uint8_t>((i + r) % 256));
  }
  write_plain(dir.file("test_batch.bin"), bytes);
  auto test = load_cifar10_split(dir.str(), false);
  EXPECT_EQ(test->size(), 3);
  EXPECT_EQ(test->shape().channels, 3);
  Batch b = test->get(at::tensor(std::vector<std::int64_t>{2}, at::kLong));
  EXPECT_EQ(b.labels[0].item<std::int64_t>(), 6);
  EXPECT_EQ(b.images[0][1][0][0].item<std::uint8_t>(), (1024 + 2) % 256);   // green plane, first pixel
  bytes.resize(bytes.size() - 100);
  write_plain(dir.file("test_batch.bin"), bytes);
  const std::string msg = error_of([&] { load_cifar10_split(dir.str(), false); });
  EXPECT_NE(msg.find("test_batch.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a whole number"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { load_cifar10_split(dir.str(), true); }).find("data_batch_1.bin' does not exist"), std::string::npos);
}

TEST(SyntheticDataset, SameSeedSameBytes) {
  SyntheticOptions o;
  o.train_size = 64;
  o.test_size = 32;
  auto all = at::arange(64, at::kLong);
  Batch a = make_synthetic_split(o, true)->get(all), b = make_synthetic_split(o, true)->get(all);
  EXPECT_TRUE(at::equal(a.images, b.images));
  EXPECT_TRUE(at::equal(a.labels, b.labels));
  o.seed = 1;
  Batch c = make_synthetic_split(o, true)->get(all);
  EXPECT_FALSE(at::equal(a.images, c.images));
  auto test = make_synthetic_split(SyntheticOptions{}, false);
  EXPECT_EQ(test->size(), 256);
  // Every class occurs.
  EXPECT_EQ(std::get<0>(at::_unique(test->get(at::arange(256, at::kLong)).labels)).numel(), 10);
}

TEST(Batches, EpochOrderIsAReproduciblePermutation) {
  auto a = epoch_batches(103, 10, true, 7, 0);
  ASSERT_EQ(a.size(), 11u);
  EXPECT_EQ(a.back().numel(), 3);
  at::Tensor all = at::cat(a);
  EXPECT_TRUE(at::equal(std::get<0>(all.sort()), at::arange(103, at::kLong)));
  EXPECT_TRUE(at::equal(all, at::cat(epoch_batches(103, 10, true, 7, 0))));
  EXPECT_FALSE(at::equal(all, at::cat(epoch_batches(103, 10, true, 7, 1))));
  EXPECT_TRUE(at::equal(at::cat(epoch_batches(103, 10, false, 7, 3)), at::arange(103, at::kLong)));
}

TEST(Batches, NormalizeAndAugment) {
  SyntheticOptions o;
  o.shape = {3, 16, 16};
  auto data = make_synthetic_split(o, true);
  at::Tensor idx = at::arange(8, at::kLong);
  Batch raw = data->get(idx);
  Batch plain = load_batch(*data, idx);
  EXPECT_EQ(plain.images.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::allclose(plain.images, (raw.images.to(at::kFloat) / 255.0 - 0.5) / 0.25, 1e-5, 1e-5));
  AugmentOptions aug;
  aug.enabled = true;
  Batch x = load_batch(*data, idx, aug, 3), y = load_batch(*data, idx, aug, 3), z = load_batch(*data, idx, aug, 4);
  EXPECT_EQ(x.images.sizes(), plain.images.sizes());
  EXPECT_TRUE(at::equal(x.images, y.images));
  EXPECT_FALSE(at::equal(x.images, z.images));
  EXPECT_FALSE(at::equal(x.images, plain.images));
  EXPECT_TRUE(at::equal(x.labels, plain.labels));
}

TEST(Calibration, DeterministicDistinctSubset) {
  auto a = calibration_indices(1000, 64, 5);
  EXPECT_EQ(a, calibration_indices(1000, 64, 5));
  EXPECT_NE(a, calibration_indices(1000, 64, 6));
  EXPECT_EQ(std::set<std::int64_t>(a.begin(), a.end()).size(), 64u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_GE(a.front(), 0);
  EXPECT_LT(a.back(), 1000);
  auto data = make_synthetic_split(SyntheticOptions{}, true);
  Batch c = calibration_batch(*data, 16, 0);
  EXPECT_EQ(c.images.size(0), 16);
  EXPECT_TRUE(at::equal(c.images, calibration_batch(*data, 16, 0).images));
  const std::string msg = error_of([&] { calibration_batch(*data, 513, 0); });
  EXPECT_NE(msg.find("calibration size 513"), std::string::npos) << msg;
}
