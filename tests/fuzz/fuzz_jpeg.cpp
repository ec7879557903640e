// Fuzz target: the ImageFolder JPEG path, decoding (libjpeg-turbo) and torchvision's
// resize + center crop. Bad input is a std::runtime_error naming the file.
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "data/imagefolder_dataset.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = qharness::fuzz::write_input("image.jpg", data, size);
  try {
    const at::Tensor image = qharness::decode_jpeg_file(path);
    if (image.dim() != 3 || image.size(0) != 3 || image.scalar_type() != at::kByte) std::abort();
    // Small sizes: a huge declared image is the decoder's business, not the resize's.
    const at::Tensor out = qharness::resize_and_center_crop(image, 8, 6);
    if (out.sizes() != at::IntArrayRef({3, 6, 6})) {
      std::cerr << "resize_and_center_crop(8, 6) gave " << out.sizes() << "\n";
      std::abort();
    }
  } catch (const std::runtime_error& e) {
    qharness::fuzz::require_file_named(e, path, "JPEG");
  }
  return 0;
}
