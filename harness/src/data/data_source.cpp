#include "data/data_source.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include "data/dataset_registry.hpp"

namespace qharness {
namespace {

std::shared_ptr<Dataset> load_split(const ResolvedConfig& cfg, bool train) {
  return dataset_info(cfg.get_string("data.dataset")).load(cfg, cfg.get_string("data.root"), train);
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
  // A dataset's own options (data.<name>) can change its bytes (synthetic's seed, imagefolder's crop).
  const std::string dataset = cfg.get_string("data.dataset");
  if (dataset_info(dataset).options) {
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

}  // namespace qharness
