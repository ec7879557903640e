#pragma once
// ImageFolder: root/train/<class>/*.jpg and root/val/<class>/*.jpg (torchvision's layout, as
// ImageNet is usually unpacked). Classes are the subfolder names in sorted order (label i = the
// i-th name, as torchvision.datasets.ImageFolder), images in sorted order within a class.
//
// Images are decoded on demand with libjpeg-turbo (TurboJPEG), in parallel over a batch, and
// preprocessed as torchvision's ImageNet evaluation transform: Resize(resize) of the shorter
// side (bilinear with antialiasing; the longer side rounds down like torchvision), then
// CenterCrop(crop). get() returns uint8 [n, 3, crop, crop]; normalize() applies ImageNet's mean
// and std. The resize runs in float and rounds back to uint8, as PIL does; PIL's fixed-point
// filter can differ from it by one gray level on some pixels (tests/unit/test_imagefolder.cpp
// measures the difference against torchvision).
#include <memory>
#include <string>

#include "data/dataset.hpp"

namespace qharness {

struct ImageFolderOptions {
  std::int64_t resize = 256;   // shorter side after the resize
  std::int64_t crop = 224;     // side of the center crop
};

// Lists root/<train|val>/; throws std::runtime_error naming the folder when it is missing,
// has no class folder, or a class has no JPEG file, and when val's classes differ from train's.
// A corrupt or truncated JPEG is reported (with its path) by get(), when it is first read.
std::shared_ptr<Dataset> load_imagefolder_split(const std::string& root, bool train, const ImageFolderOptions& options);

// Decodes one JPEG file to uint8 [3, H, W] (grayscale images are expanded to RGB). Throws
// std::runtime_error naming the file on a read error, corrupt or truncated data.
at::Tensor decode_jpeg_file(const std::string& path);

// torchvision's Resize(size) (shorter side, antialiased bilinear) then CenterCrop(crop) of a
// uint8 [3, H, W] image.
at::Tensor resize_and_center_crop(const at::Tensor& image_u8, std::int64_t size, std::int64_t crop);

}  // namespace qharness
