// The ImageFolder reader: class order and labels as torchvision's ImageFolder, the resize and
// center crop against torchvision's transforms (when /usr/bin/python3 has torchvision), and
// every kind of bad input named by its path.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <boost/filesystem.hpp>
#include <cstdio>
#include <fstream>

#include "data/imagefolder_dataset.hpp"
#include "temp_dir.hpp"

namespace fs = boost::filesystem;
using namespace qharness;
using qharness::test_support::TempDir;

namespace {

// A smooth RGB pattern (JPEG keeps it close), distinct per `seed`.
at::Tensor pattern(std::int64_t h, std::int64_t w, int seed) {
  at::Tensor y = at::arange(h, at::kFloat).view({h, 1, 1}), x = at::arange(w, at::kFloat).view({1, w, 1});
  at::Tensor c = at::arange(3, at::kFloat).view({1, 1, 3});
  at::Tensor v = 127.5 + 100 * at::sin(0.05 * (x + seed * 7) + 0.08 * y + c) * at::cos(0.03 * y - 0.5 * c);
  return v.round().clamp(0, 255).to(at::kByte).contiguous();   // [h, w, 3]
}

void write_jpeg(const std::string& path, const at::Tensor& hwc) {
  tjhandle h = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(h, hwc.data_ptr<std::uint8_t>(), static_cast<int>(hwc.size(1)), 0, static_cast<int>(hwc.size(0)),
                        TJPF_RGB, &jpeg, &size, TJSAMP_444, 95, 0),
            0);
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(jpeg), static_cast<std::streamsize>(size));
  tjFree(jpeg);
  tjDestroy(h);
}

// train/ and val/ with classes b_cat, a_dog (sorted: a_dog = 0), images of several shapes.
void write_folder(const TempDir& dir) {
  int seed = 0;
  for (const char* split : {"train", "val"})
    for (const char* cls : {"b_cat", "a_dog"})
      for (const char* name : {"x2.jpg", "x1.JPEG"})
        write_jpeg(dir.file(std::string(split) + "/" + cls + "/" + name), pattern(90 + 13 * (seed % 3), 120 - 9 * (seed % 4), seed++));
}

}  // namespace

TEST(ImageFolder, ClassesSortedLabelsAndShape) {
  TempDir dir;
  write_folder(dir);
  fs::create_directories(dir.file("train/a_dog/notes"));   // a subfolder of a class: ignored
  std::ofstream(dir.file("train/a_dog/readme.txt")) << "not an image";
  auto train = load_imagefolder_split(dir.str(), true, {64, 56});
  EXPECT_EQ(train->size(), 4);
  EXPECT_EQ(train->num_classes(), 2);
  Batch b = train->get(at::arange(4, at::kLong));
  EXPECT_EQ(b.images.sizes(), (at::IntArrayRef{4, 3, 56, 56}));
  EXPECT_EQ(b.images.scalar_type(), at::kByte);
  EXPECT_TRUE(at::equal(b.labels, at::tensor({0, 0, 1, 1}, at::kLong)));   // a_dog first, as torchvision
  // get() is a pure function of the indices: same image, same bytes; order follows the indices.
  Batch again = train->get(at::tensor({3, 0}, at::kLong));
  EXPECT_TRUE(at::equal(again.images[0], b.images[3]));
  EXPECT_TRUE(at::equal(again.images[1], b.images[0]));
  EXPECT_EQ(load_imagefolder_split(dir.str(), false, {64, 56})->size(), 4);
}

TEST(ImageFolder, MatchesTorchvisionResizeAndCenterCrop) {
  if (std::system("/usr/bin/python3 -c 'import torchvision' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 has no torchvision (./qh installs python3-torchvision)";
  TempDir dir;
  write_folder(dir);
  const std::string script = dir.file("reference.py");
  std::ofstream(script) << "import sys, numpy as np\n"
                           "from PIL import Image\n"
                           "from torchvision import datasets, transforms\n"
                           "t = transforms.Compose([transforms.Resize(64), transforms.CenterCrop(56)])\n"
                           "ds = datasets.ImageFolder(sys.argv[1] + '/train', transform=t)\n"
                           "out = np.stack([np.asarray(img).transpose(2, 0, 1) for img, _ in ds])\n"
                           "labels = np.array([label for _, label in ds], dtype=np.int64)\n"
                           "out.tofile(sys.argv[1] + '/images.u8'); labels.tofile(sys.argv[1] + '/labels.i64')\n";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + dir.str()).c_str()), 0);
  auto train = load_imagefolder_split(dir.str(), true, {64, 56});
  Batch ours = train->get(at::arange(4, at::kLong));
  std::ifstream in(dir.file("images.u8"), std::ios::binary);
  std::vector<char> ref_bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(static_cast<std::int64_t>(ref_bytes.size()), ours.images.numel());
  at::Tensor ref = at::from_blob(ref_bytes.data(), ours.images.sizes(), at::kByte).clone();
  std::ifstream lin(dir.file("labels.i64"), std::ios::binary);
  std::vector<std::int64_t> ref_labels(4);
  lin.read(reinterpret_cast<char*>(ref_labels.data()), 4 * sizeof(std::int64_t));
  EXPECT_TRUE(at::equal(ours.labels, at::tensor(ref_labels, at::kLong)));
  // PIL resizes with fixed-point filter weights, ATen in float: one gray level apart at most.
  at::Tensor diff = (ours.images.to(at::kInt) - ref.to(at::kInt)).abs();
  EXPECT_LE(diff.max().item<int>(), 1);
  EXPECT_LT(diff.to(at::kFloat).mean().item<float>(), 0.2f);
}

TEST(ImageFolder, BadInputIsNamedByPath) {
  TempDir dir;
  write_folder(dir);
  // A truncated file, and one that is not a JPEG at all.
  const std::string cut = dir.file("train/a_dog/x1.JPEG");
  std::string bytes;
  {
    std::ifstream in(cut, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::ofstream(cut, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  std::ofstream(dir.file("train/b_cat/x2.jpg"), std::ios::trunc) << "GIF89a, not a jpeg";
  auto train = load_imagefolder_split(dir.str(), true, {64, 56});
  try {
    train->get(at::tensor({0}, at::kLong));
    FAIL() << "a truncated JPEG must be an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  try {
    train->get(at::tensor({3}, at::kLong));
    FAIL() << "a file that is not a JPEG must be an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("b_cat/x2.jpg"), std::string::npos) << e.what();
  }
  // A class folder without images, and a val/ whose classes differ.
  fs::create_directories(dir.file("val/c_empty"));
  try {
    load_imagefolder_split(dir.str(), false, {64, 56});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("differ"), std::string::npos) << e.what();
  }
  fs::create_directories(dir.file("train/c_empty"));
  try {
    load_imagefolder_split(dir.str(), true, {64, 56});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("c_empty"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_imagefolder_split(dir.file("nowhere"), true, {64, 56}), std::runtime_error);
}
