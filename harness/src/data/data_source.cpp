#include "data/data_source.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include "data/cifar10_dataset.hpp"
#include "data/imagefolder_dataset.hpp"
#include "data/mnist_dataset.hpp"
#include "data/synthetic_dataset.hpp"

namespace qharness {
namespace {

std::shared_ptr<Dataset> load_split(const ResolvedConfig& cfg, bool train) {
  const std::string dataset = cfg.get_string("data.dataset");
  const std::string root = cfg.get_string("data.root");
  if (dataset == "fashion-mnist" || dataset == "mnist") return load_mnist_split(dataset, root, train);
  if (dataset == "cifar10") return load_cifar10_split(root, train);
  if (dataset == "synthetic") {
    SyntheticOptions o;
    o.train_size = cfg.get_int("data.synthetic.train_size");
    o.test_size = cfg.get_int("data.synthetic.test_size");
    o.classes = cfg.get_int("data.synthetic.classes");
    o.shape = {cfg.get_int("data.synthetic.channels"), cfg.get_int("data.synthetic.size"), cfg.get_int("data.synthetic.size")};
    o.seed = static_cast<std::uint64_t>(cfg.get_int("data.synthetic.seed"));
    return make_synthetic_split(o, train);
  }
  if (dataset == "imagefolder") {
    ImageFolderOptions o;
    o.resize = cfg.get_int("data.imagefolder.resize");
    o.crop = cfg.get_int("data.imagefolder.crop");
    return load_imagefolder_split(root, train, o);
  }
  throw std::logic_error("data.dataset: no reader for '" + dataset + "'");
}

// The first `size` images of a split (data.train_size / data.test_size). Fashion-MNIST, MNIST
// and CIFAR-10 store their images in no class order, so a prefix keeps every class.
class DatasetPrefix : public Dataset {
 public:
  DatasetPrefix(std::shared_ptr<Dataset> inner, std::int64_t size) : inner_(std::move(inner)), size_(size) {}
  std::string describe() const override {
    return inner_->describe() + ", first " + std::to_string(size_) + " images";
  }
  std::int64_t size() const override { return size_; }
  ImageShape shape() const override { return inner_->shape(); }
  std::int64_t num_classes() const override { return inner_->num_classes(); }
  Normalization normalization() const override { return inner_->normalization(); }
  Batch get(const at::Tensor& indices) const override { return inner_->get(indices); }

 private:
  std::shared_ptr<Dataset> inner_;
  std::int64_t size_;
};

std::shared_ptr<Dataset> limit_split(std::shared_ptr<Dataset> split, std::int64_t size) {
  if (size <= 0 || size >= split->size()) return split;
  return std::make_shared<DatasetPrefix>(std::move(split), size);
}

// What defines a split's bytes: the data block without batch size and calibration.
std::string split_key(const ResolvedConfig& cfg, bool train) {
  std::string key = cfg.get_string("data.dataset") + "|" + cfg.get_string("data.root") + "|" + (train ? "train" : "test");
  key += "|" + std::to_string(cfg.get_int(train ? "data.train_size" : "data.test_size"));
  const std::string dataset = cfg.get_string("data.dataset");
  if (dataset == "synthetic" || dataset == "imagefolder") {
    YAML::Emitter e;
    e << YAML::Flow << cfg.at("data." + dataset);
    key += std::string("|") + e.c_str();
  }
  return key;
}

}  // namespace

DataSplits load_data(const ResolvedConfig& cfg) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<Dataset>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  DataSplits out;
  for (bool train : {true, false}) {
    const std::string key = split_key(cfg, train);
    auto it = loaded.find(key);
    if (it == loaded.end())
      it = loaded.emplace(key, limit_split(load_split(cfg, train), cfg.get_int(train ? "data.train_size" : "data.test_size")))
               .first;
    (train ? out.train : out.test) = it->second;
  }
  if (out.train->shape().channels != out.test->shape().channels || out.train->shape().height != out.test->shape().height ||
      out.train->shape().width != out.test->shape().width)
    throw std::runtime_error("the train and test splits of " + cfg.get_string("data.dataset") + " have different image shapes");
  return out;
}

SchemaNode imagefolder_data_schema() {
  SchemaNode s = SchemaNode::map("dataset imagefolder: torchvision's ImageNet evaluation preprocessing");
  s.add("resize", SchemaNode::leaf(ParamType::Int, YAML::Node("256"), "shorter side after the (antialiased bilinear) resize").range(1, {}));
  s.add("crop", SchemaNode::leaf(ParamType::Int, YAML::Node("224"), "side of the center crop (<= resize)").range(1, {}));
  return s;
}

SchemaNode synthetic_data_schema() {
  SchemaNode s = SchemaNode::map("dataset synthetic: seeded class prototypes plus noise (for tests and dry runs)");
  s.add("train_size", SchemaNode::leaf(ParamType::Int, YAML::Node("512"), "images in the train split").range(1, {}));
  s.add("test_size", SchemaNode::leaf(ParamType::Int, YAML::Node("256"), "images in the test split").range(1, {}));
  s.add("classes", SchemaNode::leaf(ParamType::Int, YAML::Node("10"), "number of classes").range(2, {}));
  s.add("channels", SchemaNode::leaf(ParamType::Int, YAML::Node("1"), "image channels").range(1, {}));
  s.add("size", SchemaNode::leaf(ParamType::Int, YAML::Node("28"), "image height and width").range(4, {}));
  s.add("seed", SchemaNode::leaf(ParamType::Int, YAML::Node("0"), "the dataset's own seed (the trial seed does not change the data)"));
  return s;
}

}  // namespace qharness
