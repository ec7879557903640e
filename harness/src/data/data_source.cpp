#include "data/data_source.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include "data/cifar10_dataset.hpp"
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
  throw std::runtime_error("data.dataset: '" + dataset + "' is not implemented yet (the JPEG ImageFolder reader with "
                           "torchvision's ImageNet preprocessing is still missing); use fashion-mnist, mnist, cifar10 or synthetic");
}

// What defines a split's bytes: the data block without batch size and calibration.
std::string split_key(const ResolvedConfig& cfg, bool train) {
  std::string key = cfg.get_string("data.dataset") + "|" + cfg.get_string("data.root") + "|" + (train ? "train" : "test");
  if (cfg.get_string("data.dataset") == "synthetic") {
    YAML::Emitter e;
    e << YAML::Flow << cfg.at("data.synthetic");
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
    if (it == loaded.end()) it = loaded.emplace(key, load_split(cfg, train)).first;
    (train ? out.train : out.test) = it->second;
  }
  if (out.train->shape().channels != out.test->shape().channels || out.train->shape().height != out.test->shape().height ||
      out.train->shape().width != out.test->shape().width)
    throw std::runtime_error("the train and test splits of " + cfg.get_string("data.dataset") + " have different image shapes");
  return out;
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
