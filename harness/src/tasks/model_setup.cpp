#include "tasks/model_setup.hpp"

#include <ATen/ATen.h>
#include <boost/filesystem.hpp>

#include <iostream>
#include <stdexcept>

#include "config/raw_config.hpp"
#include "models/checkpoint.hpp"
#include "models/zoo.hpp"
#include "run/experiment.hpp"
#include "tasks/training.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

std::string file_must_exist(const YAML::Node& v) {
  const std::string& s = v.Scalar();
  if (s.empty() || fs::is_regular_file(s)) return "";
  return "file '" + s + "' does not exist (relative paths are relative to the working directory, " +
         fs::current_path().string() + ")";
}

std::shared_ptr<QModel> build_model(const std::string& arch, const DataSplits& data) {
  return make_model(ModelSpec{arch, data.train->shape(), data.train->num_classes()});
}

// A training config nested in a checkpoint reference can itself name one: stop cycles.
thread_local int nesting_depth = 0;

// The checkpoint of the training experiment `file`: loaded from the cache, else trained and
// cached. Returns its path.
std::string cached_training_checkpoint(const std::string& file, const std::string& arch, const DataSplits& data,
                                       const TrialContext& ctx) {
  if (nesting_depth > 8)
    throw std::runtime_error("model.checkpoint.train: more than 8 nested training configs (a cycle?) at '" + file + "'");
  // The experiment's plugins (the search path and its YAML `plugins:` list), plus those the
  // training file lists itself: a copy, so that the experiment's registry does not grow.
  // Libraries already loaded are not loaded twice.
  PluginRegistry registry = ctx.plugins();
  const std::string& results_root = ctx.results_root();
  Experiment exp = build_experiment(load_experiment(file), registry);
  if (exp.trials.size() != 1 || exp.trials[0].task->name != "train")
    throw std::runtime_error("model.checkpoint.train: '" + file + "' must describe one trial of task train; it has " +
                             std::to_string(exp.trials.size()) + " trial(s) of task " +
                             (exp.trials.empty() ? std::string("?") : exp.trials[0].task->name));
  const Trial& trial = exp.trials[0];
  const std::string trained_arch = trial.config.get_string("model.arch");
  if (trained_arch != arch)
    throw std::runtime_error("model.checkpoint.train: '" + file + "' trains a " + trained_arch + " but model.arch is " + arch);
  const std::string path = checkpoint_cache_path(results_root, trial.id);
  if (fs::exists(path)) {
    auto probe = build_model(arch, data);
    try {
      load_checkpoint(*probe, path);
      return path;
    } catch (const std::exception& e) {
      std::cerr << "warning: cached checkpoint not usable, retraining: " << e.what() << "\n";
    }
  }
  std::cerr << "training " << arch << " for the checkpoint cache (" << file << ", trial " << trial.id << ") -> " << path
            << "\n";
  ++nesting_depth;
  try {
    TrialRecord record;
    record.id = trial.id;
    record.seed = trial.seed;
    TrialContext nested(trial.config, registry, record, results_root);
    trial.task->run(nested);   // the train task: trains and writes `path`
  } catch (...) {
    --nesting_depth;
    throw;
  }
  --nesting_depth;
  if (!fs::exists(path)) throw std::logic_error("training '" + file + "' did not write " + path);
  return path;
}

}  // namespace

SchemaNode model_schema() {
  SchemaNode m = SchemaNode::map("the network and where its weights come from");
  m.task_block = true;
  m.add("arch", SchemaNode::one_of(arch_names(), "lenet5", "architecture (docs/data-models.md)"));
  SchemaNode ckpt = SchemaNode::map("weights: {train: FILE.yaml} (trained once, cached by its config hash) or "
                                    "{path: FILE.pt}; neither = seeded initialization");
  SchemaNode train = SchemaNode::leaf(ParamType::String, YAML::Node(""),
                                      "a training experiment (task train); its checkpoint is cached in "
                                      "<results>/checkpoints/<trial id>.pt");
  train.check = file_must_exist;
  SchemaNode path = SchemaNode::leaf(ParamType::String, YAML::Node(""),
                                     "a checkpoint file (from a train run or `qharness import`)");
  path.check = file_must_exist;
  ckpt.add("train", train);
  ckpt.add("path", path);
  m.add("checkpoint", ckpt);
  return m;
}

std::string checkpoint_cache_path(const std::string& results_root, const std::string& trial_id) {
  return (fs::path(results_root) / "checkpoints" / (trial_id + ".pt")).string();
}

std::shared_ptr<QModel> prepare_model(const TrialContext& ctx, const DataSplits& data, ModelUse use) {
  const ResolvedConfig& cfg = ctx.config();
  const c10::Device device = trial_device(cfg);
  const std::string arch = cfg.get_string("model.arch");
  const std::string train_file = cfg.get_string("model.checkpoint.train");
  std::string path = cfg.get_string("model.checkpoint.path");
  if (!train_file.empty() && !path.empty())
    throw std::invalid_argument("model.checkpoint: set train or path, not both");
  if (!train_file.empty()) path = cached_training_checkpoint(train_file, arch, data, ctx);
  at::manual_seed(static_cast<std::uint64_t>(ctx.seed()));
  auto model = build_model(arch, data);
  if (!path.empty()) load_checkpoint(*model, path);
  model->to(device);
  const std::string format = cfg.get_string("memory_format");
  const bool nhwc = wants_channels_last(format, use);
  if (nhwc) use_channels_last(*model);
  std::cerr << "  memory format: " << (nhwc ? "channels-last" : "contiguous (NCHW)")
            << (format == "auto" ? " (memory_format: auto)" : "") << "\n";
  at::manual_seed(static_cast<std::uint64_t>(ctx.seed()));
  return model;
}

}  // namespace qharness
