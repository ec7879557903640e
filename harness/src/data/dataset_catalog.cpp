#include "data/dataset_catalog.hpp"

#include <boost/filesystem.hpp>

namespace fs = boost::filesystem;

namespace qharness {
namespace {

// IDX files may be gzipped (as Debian ships them) or not.
std::string missing_idx_files(const fs::path& root) {
  std::string missing;
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                        "t10k-labels-idx1-ubyte"}) {
    if (!fs::exists(root / f) && !fs::exists(root / (std::string(f) + ".gz")))
      missing += (missing.empty() ? "" : ", ") + std::string(f) + ".gz";
  }
  return missing;
}

}  // namespace

std::vector<std::string> dataset_names() { return {"fashion-mnist", "mnist", "cifar10", "imagefolder", "synthetic"}; }

std::string default_dataset_root(const std::string& dataset) {
  if (dataset == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  return "";
}

std::string check_dataset_root(const std::string& dataset, const std::string& root) {
  if (dataset == "synthetic") return "";
  if (root.empty())
    return "data.root: dataset '" + dataset + "' has no default location; set data.root to its folder";
  const fs::path r(root);
  if (!fs::is_directory(r)) {
    std::string hint;
    if (dataset == "fashion-mnist")
      hint = " (Fashion-MNIST comes with the Debian package dataset-fashion-mnist: `apt-get install "
             "dataset-fashion-mnist` puts it in /usr/share/datasets/fashion-mnist)";
    else if (dataset == "mnist")
      hint = " (MNIST: the four IDX files train-images-idx3-ubyte.gz, ... from the MNIST distribution)";
    else if (dataset == "cifar10")
      hint = " (CIFAR-10: the binary version, data_batch_1.bin ... test_batch.bin)";
    else if (dataset == "imagefolder")
      hint = " (ImageFolder: train/ and val/ folders with one subfolder of JPEG images per class)";
    return "data.root: folder '" + root + "' for dataset '" + dataset + "' does not exist" + hint;
  }
  if (dataset == "fashion-mnist" || dataset == "mnist") {
    std::string missing = missing_idx_files(r);
    if (!missing.empty())
      return "data.root: '" + root + "' lacks the " + dataset + " files " + missing +
             (dataset == "fashion-mnist" ? " (install the Debian package dataset-fashion-mnist)" : "");
  } else if (dataset == "cifar10") {
    fs::path d = fs::exists(r / "cifar-10-batches-bin") ? r / "cifar-10-batches-bin" : r;
    for (const char* f : {"data_batch_1.bin", "test_batch.bin"})
      if (!fs::exists(d / f))
        return "data.root: '" + d.string() + "' lacks " + f + " (CIFAR-10 binary version)";
  } else if (dataset == "imagefolder") {
    for (const char* f : {"train", "val"})
      if (!fs::is_directory(r / f))
        return "data.root: '" + root + "' lacks the folder " + f + "/ (one subfolder of JPEG images per class)";
  }
  return "";
}

}  // namespace qharness
