#include "data/imagefolder_dataset.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/filesystem.hpp>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace fs = boost::filesystem;

namespace qharness {
namespace {

bool is_jpeg(const fs::path& p) {
  const std::string ext = boost::algorithm::to_lower_copy(p.extension().string());
  return ext == ".jpg" || ext == ".jpeg";
}

std::vector<std::string> sorted_subfolders(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (fs::is_directory(e.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class ImageFolderDataset : public Dataset {
 public:
  ImageFolderDataset(std::string description, std::vector<std::string> files, std::vector<std::int64_t> labels,
                     std::int64_t classes, ImageFolderOptions options)
      : description_(std::move(description)),
        files_(std::move(files)),
        labels_(std::move(labels)),
        classes_(classes),
        options_(options) {}

  std::string describe() const override { return description_; }
  std::int64_t size() const override { return static_cast<std::int64_t>(files_.size()); }
  ImageShape shape() const override { return {3, options_.crop, options_.crop}; }
  std::int64_t num_classes() const override { return classes_; }
  // ImageNet's statistics, as in torchvision's reference training scripts.
  Normalization normalization() const override { return {{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}}; }

  Batch get(const at::Tensor& indices) const override {
    const at::Tensor idx = indices.to(at::kLong).contiguous();
    const auto* ix = idx.data_ptr<std::int64_t>();
    const std::int64_t n = idx.numel();
    at::Tensor images = at::empty({n, 3, options_.crop, options_.crop}, at::kByte);
    at::Tensor labels = at::empty({n}, at::kLong);
    // The decode is the data path's cost: one image per task, across the torch threads. The
    // resize's own ATen ops run single-threaded inside (nested parallel regions are serial).
    std::vector<std::string> errors(static_cast<std::size_t>(n));
    at::parallel_for(0, n, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const std::int64_t k = ix[i];
        if (k < 0 || k >= size()) {
          errors[i] = description_ + ": index " + std::to_string(k) + " out of range";
          continue;
        }
        try {
          images[i].copy_(resize_and_center_crop(decode_jpeg_file(files_[k]), options_.resize, options_.crop));
          labels[i] = labels_[k];
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      }
    });
    for (const auto& e : errors)
      if (!e.empty()) throw std::runtime_error(e);
    return {images, labels};
  }

 private:
  std::string description_;
  std::vector<std::string> files_;
  std::vector<std::int64_t> labels_;
  std::int64_t classes_;
  ImageFolderOptions options_;
};

struct TurboJpegHandle {
  tjhandle h = tjInitDecompress();
  ~TurboJpegHandle() {
    if (h) tjDestroy(h);
  }
};

}  // namespace

at::Tensor decode_jpeg_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the file");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw std::runtime_error(path + ": empty file (not a JPEG image)");
  thread_local TurboJpegHandle decoder;
  if (!decoder.h) throw std::runtime_error(path + ": cannot start the TurboJPEG decoder");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(decoder.h, bytes.data(), bytes.size(), &width, &height, &subsampling, &colorspace) != 0)
    throw std::runtime_error(path + ": not a readable JPEG image (" + tjGetErrorStr2(decoder.h) + ")");
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK)
    throw std::runtime_error(path + ": CMYK JPEG images are not supported (convert it to RGB)");
  at::Tensor hwc = at::empty({height, width, 3}, at::kByte);
  // A truncated or damaged file decodes with a warning (TurboJPEG fills the rest with gray): it
  // is still an error here, since the pixels are not the image's.
  if (tjDecompress2(decoder.h, bytes.data(), bytes.size(), hwc.data_ptr<std::uint8_t>(), width, 0, height, TJPF_RGB,
                    TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING) != 0)
    throw std::runtime_error(path + ": corrupt or truncated JPEG data (" + tjGetErrorStr2(decoder.h) + ")");
  return hwc.permute({2, 0, 1}).contiguous();
}

at::Tensor resize_and_center_crop(const at::Tensor& image_u8, std::int64_t size, std::int64_t crop) {
  const std::int64_t h = image_u8.size(1), w = image_u8.size(2);
  // torchvision.transforms.functional.resize with an int: the shorter side becomes `size`, the
  // longer one int(size * long / short) (truncated).
  std::int64_t oh = size, ow = size;
  if (h <= w) ow = static_cast<std::int64_t>(static_cast<double>(size) * w / h);
  else oh = static_cast<std::int64_t>(static_cast<double>(size) * h / w);
  at::Tensor x = image_u8.unsqueeze(0).to(at::kFloat);
  if (oh != h || ow != w) x = at::_upsample_bilinear2d_aa(x, {oh, ow}, /*align_corners=*/false);
  x = x.round_().clamp_(0, 255).to(at::kByte).squeeze(0);
  if (crop > oh || crop > ow)
    throw std::runtime_error("center crop " + std::to_string(crop) + " is larger than the resized image (" +
                             std::to_string(oh) + "x" + std::to_string(ow) + "): set data.imagefolder.crop <= resize");
  // torchvision's CenterCrop: top = round((H - crop) / 2) with Python's round (half to even,
  // which nearbyint does in the default rounding mode), left likewise.
  const auto top = static_cast<std::int64_t>(std::nearbyint((oh - crop) / 2.0));
  const auto left = static_cast<std::int64_t>(std::nearbyint((ow - crop) / 2.0));
  return x.slice(1, top, top + crop).slice(2, left, left + crop).contiguous();
}

std::shared_ptr<Dataset> load_imagefolder_split(const std::string& root, bool train, const ImageFolderOptions& options) {
  const fs::path dir = fs::path(root) / (train ? "train" : "val");
  if (!fs::is_directory(dir))
    throw std::runtime_error(dir.string() + ": no such folder (ImageFolder wants train/ and val/, each with one "
                             "subfolder of JPEG images per class)");
  const std::vector<std::string> classes = sorted_subfolders(dir);
  if (classes.empty()) throw std::runtime_error(dir.string() + ": no class subfolders");
  if (!train) {
    const auto train_classes = sorted_subfolders(fs::path(root) / "train");
    if (train_classes != classes)
      throw std::runtime_error(dir.string() + ": its class folders differ from those of train/ (" +
                               std::to_string(classes.size()) + " vs " + std::to_string(train_classes.size()) +
                               " classes); labels would not agree");
  }
  std::vector<std::string> files;
  std::vector<std::int64_t> labels;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    std::vector<std::string> in_class;
    for (const auto& e : fs::directory_iterator(dir / classes[c]))
      if (fs::is_regular_file(e.path()) && is_jpeg(e.path())) in_class.push_back(e.path().string());
    if (in_class.empty())
      throw std::runtime_error((dir / classes[c]).string() + ": no JPEG images (.jpg, .jpeg) in this class folder");
    std::sort(in_class.begin(), in_class.end());
    files.insert(files.end(), in_class.begin(), in_class.end());
    labels.insert(labels.end(), in_class.size(), static_cast<std::int64_t>(c));
  }
  const std::string description = "imagefolder " + dir.string() + " (" + std::to_string(files.size()) + " images, " +
                                  std::to_string(classes.size()) + " classes)";
  return std::make_shared<ImageFolderDataset>(description, std::move(files), std::move(labels),
                                              static_cast<std::int64_t>(classes.size()), options);
}

}  // namespace qharness
