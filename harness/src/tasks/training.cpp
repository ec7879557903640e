#include "tasks/training.hpp"

#include <ATen/ATen.h>
#include <torch/cuda.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "data/batches.hpp"
#include "tasks/traced_minimize.hpp"

namespace qharness {

TrainOptions train_options(const ResolvedConfig& cfg) {
  TrainOptions o;
  o.epochs = cfg.get_int("train.epochs");
  o.optimizer = cfg.get_string("train.optimizer");
  o.lr = cfg.get_double("train.lr");
  o.momentum = cfg.get_double("train.momentum");
  o.weight_decay = cfg.get_double("train.weight_decay");
  o.schedule = cfg.get_string("train.schedule");
  o.augment = cfg.get_bool("train.augment");
  o.batch_size = cfg.get_int("data.batch_size");
  o.seed = static_cast<std::uint64_t>(cfg.get_int("seed"));
  return o;
}

SchemaNode train_schema() {
  SchemaNode s = SchemaNode::map("train: train a model from scratch (or from model.checkpoint) and cache the checkpoint");
  s.add("epochs", SchemaNode::leaf(ParamType::Int, YAML::Node("10"), "passes over the train split").range(1, {}));
  s.add("optimizer", SchemaNode::one_of({"sgd", "adam"}, "sgd", "sgd (with momentum) or adam"));
  s.add("lr", SchemaNode::leaf(ParamType::Double, YAML::Node("0.1"), "peak learning rate").range(0, {}));
  s.children.back().second.check = [](const YAML::Node& v) -> std::string {
    return v.as<double>() > 0 ? "" : "must be > 0";
  };
  s.add("momentum", SchemaNode::leaf(ParamType::Double, YAML::Node("0.9"), "sgd momentum").range(0, 1));
  s.add("weight_decay", SchemaNode::leaf(ParamType::Double, YAML::Node("5.0e-4"), "L2 weight decay on every parameter").range(0, {}));
  s.add("schedule", SchemaNode::one_of({"cosine", "constant", "triangular"}, "cosine",
                                       "cosine: lr (1 + cos(pi t/T)) / 2 at step t of T; constant: lr throughout; "
                                       "triangular: up to lr over T/2, down to 0"));
  s.add("augment", SchemaNode::leaf(ParamType::Bool, YAML::Node("false"),
                                    "random crop after zero padding (H/8 pixels) and horizontal flip"));
  return s;
}

c10::Device trial_device(const ResolvedConfig& cfg) {
  const std::string d = cfg.get_string("device");
  if (d == "cuda") {
    if (!torch::cuda::is_available())
      throw std::runtime_error("device: cuda, but this LibTorch has no usable CUDA device (torch::cuda::is_available() "
                               "is false; Debian's libtorch is a CPU build): use device: cpu");
    return c10::Device(c10::kCUDA);
  }
  return c10::Device(c10::kCPU);
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::unique_ptr<torch::optim::Optimizer> make_optimizer(QModel& model, const TrainOptions& o) {
  if (o.optimizer == "adam")
    return std::make_unique<torch::optim::Adam>(model.parameters(),
                                                torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  if (o.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        model.parameters(), torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  throw std::invalid_argument("train.optimizer: unknown optimizer '" + o.optimizer + "'");
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

}  // namespace

// The learning rate at step t of T (train.schedule).
static double scheduled_lr(const TrainOptions& o, double t, double total) {
  if (o.schedule == "cosine") return o.lr * 0.5 * (1.0 + std::cos(M_PI * t / total));
  if (o.schedule == "triangular") {
    const double half = total / 2.0;
    return o.lr * (t < half ? (t + 1.0) / half : std::max(0.0, (total - t) / half));
  }
  return o.lr;
}

TrainResult train_model(QModel& model, const DataSplits& data, const TrainOptions& o, c10::Device device,
                        const std::function<void(const std::string&)>& log,
                        const std::function<void(std::int64_t)>& after_epoch,
                        const std::function<void(std::int64_t)>& before_step) {
  model.to(device);
  auto opt = make_optimizer(model, o);
  const std::int64_t n = data.train->size();
  const std::int64_t steps_per_epoch = (n + o.batch_size - 1) / o.batch_size;
  const double total_steps = static_cast<double>(o.epochs * steps_per_epoch);
  AugmentOptions augment;
  augment.enabled = o.augment;
  TrainResult r;
  double train_s = 0, data_s = 0;
  std::int64_t images = 0, step = 0;
  for (std::int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    model.train();
    const auto epoch_start = Clock::now();
    double loss_sum = 0;
    std::int64_t seen = 0;
    std::int64_t b = 0;
    for (const at::Tensor& idx : epoch_batches(n, o.batch_size, true, o.seed, epoch)) {
      const double lr = scheduled_lr(o, static_cast<double>(step), total_steps);
      if (b == 0) r.lr.push_back(lr);
      set_lr(*opt, lr);
      const auto t0 = Clock::now();
      Batch batch = load_batch(*data.train, idx, augment, (o.seed * 1000003u + static_cast<std::uint64_t>(epoch)) * 1000003u + static_cast<std::uint64_t>(b));
      at::Tensor x = batch.images.to(device), y = batch.labels.to(device);
      data_s += seconds_since(t0);
      if (before_step) before_step(step);
      opt->zero_grad();
      at::Tensor loss = at::cross_entropy_loss(model.forward(x), y);
      loss.backward();
      opt->step();
      const double l = loss.item<double>();
      if (!std::isfinite(l)) {
        std::ostringstream msg;
        msg << "the training loss is " << l << " at epoch " << epoch + 1 << ", step " << b + 1 << " (lr " << lr << ")";
        throw NonFiniteLoss(msg.str());
      }
      loss_sum += l * static_cast<double>(idx.numel());
      seen += idx.numel();
      ++b;
      ++step;
    }
    const double epoch_train_s = seconds_since(epoch_start);
    train_s += epoch_train_s;
    r.epoch_train_s.push_back(epoch_train_s);
    images += seen;
    const Evaluation e = evaluate_model(model, *data.test, o.batch_size, device);
    r.train_loss.push_back(loss_sum / static_cast<double>(seen));
    r.test_loss.push_back(e.loss);
    r.test_top1.push_back(e.top1);
    r.final = e;
    if (log) {
      std::ostringstream line;
      line << "epoch " << epoch + 1 << "/" << o.epochs << "  train_loss " << r.train_loss.back() << "  test_top1 " << e.top1
           << "  test_loss " << e.loss << "  (" << epoch_train_s << " s training, "
           << static_cast<double>(seen) / epoch_train_s << " images/s)";
      log(line.str());
    }
    if (after_epoch) after_epoch(epoch + 1);
  }
  r.train_images_per_s = train_s > 0 ? static_cast<double>(images) / train_s : 0;
  r.data_fraction = train_s > 0 ? data_s / train_s : 0;
  return r;
}

Evaluation evaluate_model(QModel& model, const Dataset& data, std::int64_t batch_size, c10::Device device) {
  model.to(device);
  const bool was_training = model.is_training();
  model.eval();
  at::NoGradGuard no_grad;
  Evaluation e;
  double loss_sum = 0;
  std::int64_t top1 = 0, top5 = 0;
  const std::int64_t k = std::min<std::int64_t>(5, data.num_classes());
  for (const at::Tensor& idx : epoch_batches(data.size(), batch_size, false, 0, 0)) {
    Batch batch = load_batch(data, idx);
    at::Tensor x = batch.images.to(device), y = batch.labels.to(device);
    at::Tensor logits = model.forward(x);
    loss_sum += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
    at::Tensor topk = std::get<1>(logits.topk(k, 1));
    at::Tensor hit = topk.eq(y.unsqueeze(1));
    top1 += hit.select(1, 0).sum().item<std::int64_t>();
    top5 += hit.any(1).sum().item<std::int64_t>();
    e.images += idx.numel();
  }
  if (was_training) model.train();
  e.top1 = static_cast<double>(top1) / static_cast<double>(e.images);
  e.top5 = static_cast<double>(top5) / static_cast<double>(e.images);
  e.loss = loss_sum / static_cast<double>(e.images);
  return e;
}

}  // namespace qharness
