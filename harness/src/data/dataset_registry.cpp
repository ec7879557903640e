#include "data/dataset_registry.hpp"

#include <boost/filesystem.hpp>

#include "data/cifar10_dataset.hpp"
#include "data/imagefolder_dataset.hpp"
#include "data/mnist_dataset.hpp"
#include "data/synthetic_dataset.hpp"
#include "util/named_table.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

// The four IDX files of MNIST's layout, gzipped (as Debian ships them) or not.
std::string missing_idx_files(const std::string& dataset, const std::string& root) {
  std::string missing;
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                        "t10k-labels-idx1-ubyte"}) {
    if (!fs::exists(fs::path(root) / f) && !fs::exists(fs::path(root) / (std::string(f) + ".gz")))
      missing += (missing.empty() ? "" : ", ") + std::string(f) + ".gz";
  }
  return missing.empty() ? "" : "the " + dataset + " files " + missing;
}

// `normalization`: the usual constants (torchvision's examples), the training set's pixel
// mean and standard deviation.
DatasetInfo idx_dataset(const std::string& name, std::string description, std::string source,
                        std::string default_root, Normalization normalization) {
  DatasetInfo d;
  d.name = name;
  d.description = std::move(description);
  d.source = std::move(source);
  d.default_root = std::move(default_root);
  d.shape = {1, 28, 28};
  d.classes = 10;
  d.missing_files = [name](const std::string& root) { return missing_idx_files(name, root); };
  d.load = [name, normalization](const ResolvedConfig&, const std::string& root, bool train) {
    return load_mnist_split(name, root, train, normalization);
  };
  return d;
}

DatasetInfo cifar10() {
  DatasetInfo d;
  d.name = "cifar10";
  d.description = "CIFAR-10: 32x32 colour images, 10 classes (50000 train, 10000 test)";
  d.source = "CIFAR-10: the binary version, data_batch_1.bin ... test_batch.bin, in data.root or "
             "data.root/cifar-10-batches-bin";
  d.shape = {3, 32, 32};
  d.classes = 10;
  d.missing_files = [](const std::string& root) -> std::string {
    const fs::path r(root);
    const fs::path dir = fs::exists(r / "cifar-10-batches-bin") ? r / "cifar-10-batches-bin" : r;
    std::string missing;
    for (const char* f : {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                          "data_batch_5.bin", "test_batch.bin"})
      if (!fs::exists(dir / f)) missing += (missing.empty() ? "" : ", ") + (dir / f).string();
    return missing;
  };
  d.load = [](const ResolvedConfig&, const std::string& root, bool train) { return load_cifar10_split(root, train); };
  return d;
}

DatasetInfo imagefolder() {
  DatasetInfo d;
  d.name = "imagefolder";
  d.description = "torchvision's ImageFolder layout (e.g. ImageNet), JPEG images, preprocessed as torchvision's "
                  "ImageNet evaluation transform";
  d.source = "ImageFolder: train/ and val/ folders with one subfolder of JPEG images per class";
  d.shape = {3, 0, 0};   // crop x crop
  d.missing_files = [](const std::string& root) -> std::string {
    std::string missing;
    for (const char* f : {"train", "val"})
      if (!fs::is_directory(fs::path(root) / f)) missing += (missing.empty() ? "the folder " : ", ") + std::string(f) + "/";
    return missing;
  };
  d.options = [] {
    SchemaNode s = SchemaNode::map("dataset imagefolder: torchvision's ImageNet evaluation preprocessing");
    s.add("resize", SchemaNode::leaf(ParamType::Int, YAML::Node("256"), "shorter side after the (antialiased bilinear) resize")
                        .range(1, {}));
    s.add("crop", SchemaNode::leaf(ParamType::Int, YAML::Node("224"), "side of the center crop (<= resize)").range(1, {}));
    return s;
  };
  d.load = [](const ResolvedConfig& cfg, const std::string& root, bool train) {
    ImageFolderOptions o;
    o.resize = cfg.get_int("data.imagefolder.resize");
    o.crop = cfg.get_int("data.imagefolder.crop");
    return load_imagefolder_split(root, train, o);
  };
  return d;
}

DatasetInfo synthetic() {
  DatasetInfo d;
  d.name = "synthetic";
  d.description = "seeded class prototypes plus noise, generated in memory (for tests and dry runs)";
  d.needs_files = false;
  d.options = [] {
    SchemaNode s = SchemaNode::map("dataset synthetic: seeded class prototypes plus noise (for tests and dry runs)");
    s.add("train_size", SchemaNode::leaf(ParamType::Int, YAML::Node("512"), "images in the train split").range(1, {}));
    s.add("test_size", SchemaNode::leaf(ParamType::Int, YAML::Node("256"), "images in the test split").range(1, {}));
    s.add("classes", SchemaNode::leaf(ParamType::Int, YAML::Node("10"), "number of classes").range(2, {}));
    s.add("channels", SchemaNode::leaf(ParamType::Int, YAML::Node("1"), "image channels").range(1, {}));
    s.add("size", SchemaNode::leaf(ParamType::Int, YAML::Node("28"), "image height and width").range(4, {}));
    s.add("seed", SchemaNode::leaf(ParamType::Int, YAML::Node("0"),
                                   "the dataset's own seed (the trial seed does not change the data)"));
    return s;
  };
  d.load = [](const ResolvedConfig& cfg, const std::string&, bool train) {
    SyntheticOptions o;
    o.train_size = cfg.get_int("data.synthetic.train_size");
    o.test_size = cfg.get_int("data.synthetic.test_size");
    o.classes = cfg.get_int("data.synthetic.classes");
    o.shape = {cfg.get_int("data.synthetic.channels"), cfg.get_int("data.synthetic.size"),
               cfg.get_int("data.synthetic.size")};
    o.seed = static_cast<std::uint64_t>(cfg.get_int("data.synthetic.seed"));
    return make_synthetic_split(o, train);
  };
  return d;
}

}  // namespace

const std::vector<DatasetInfo>& all_datasets() {
  static const std::vector<DatasetInfo> datasets = {
      idx_dataset("fashion-mnist", "Fashion-MNIST: 28x28 grey images of clothing, 10 classes (60000 train, 10000 test)",
                  "Fashion-MNIST comes with the Debian package dataset-fashion-mnist: `apt-get install "
                  "dataset-fashion-mnist` puts it in /usr/share/datasets/fashion-mnist",
                  "/usr/share/datasets/fashion-mnist", {{0.2860}, {0.3530}}),
      idx_dataset("mnist", "MNIST: 28x28 grey handwritten digits, 10 classes (60000 train, 10000 test)",
                  "MNIST: the four IDX files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                  "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz from the MNIST distribution (gzipped or not)",
                  "", {{0.1307}, {0.3081}}),
      cifar10(),
      imagefolder(),
      synthetic(),
  };
  return datasets;
}

std::vector<std::string> dataset_names() { return names_of(all_datasets()); }

const DatasetInfo& dataset_info(const std::string& name) { return require_named(all_datasets(), name, "dataset"); }

std::string check_dataset_root(const DatasetInfo& d, const std::string& root) {
  if (!d.needs_files) return "";
  if (root.empty())
    return "data.root: dataset '" + d.name + "' has no default location; set data.root to its folder (" + d.source + ")";
  if (!fs::is_directory(root))
    return "data.root: folder '" + root + "' for dataset '" + d.name + "' does not exist (" + d.source + ")";
  const std::string missing = d.missing_files ? d.missing_files(root) : "";
  if (!missing.empty()) return "data.root: '" + root + "' lacks " + missing + " (" + d.source + ")";
  return "";
}

}  // namespace qharness
