#include "config/experiment_schema.hpp"

#include "report/report_spec.hpp"
#include "data/dataset_registry.hpp"
#include "tasks/model_setup.hpp"
#include "tasks/quant_setup.hpp"
#include "tasks/task.hpp"
#include "util/named_table.hpp"
#include "util/text.hpp"

namespace qharness {

std::vector<ParamSpec> quantizer_common_params() {
  return {
      {"bits", ParamType::Int, std::int64_t{4}, "bit width; 32 = not quantized", {}, false, 1.0, 32.0},
      {"granularity", ParamType::String, std::string("per-tensor"), "one clip per tensor or per output channel",
       {"per-tensor", "per-channel"}, false},
      {"rounding", ParamType::String, std::string("nearest"), "round to nearest, or stochastically (unbiased)",
       {"nearest", "stochastic"}, false},
  };
}

SchemaNode data_schema() {
  SchemaNode data = SchemaNode::map("the dataset, batch size and calibration subset");
  data.task_block = true;
  data.add("dataset", SchemaNode::one_of(dataset_names(), "fashion-mnist", "which dataset"));
  std::vector<std::string> defaults;
  for (const auto& d : all_datasets())
    if (!d.default_root.empty()) defaults.push_back(d.name + ": " + d.default_root);
  data.add("root", SchemaNode::leaf(ParamType::String, YAML::Node(""),
                                    "folder holding its files; empty = the dataset's default (" +
                                        join(defaults, "; ") + ")"));
  data.add("batch_size", SchemaNode::leaf(ParamType::Int, YAML::Node("256"), "mini-batch size").range(1, {}));
  data.add("train_size", SchemaNode::leaf(ParamType::Int, YAML::Node("0"),
                                          "use only the first K images of the train split (0 = all): small, fast runs")
                             .range(0, {}));
  data.add("test_size", SchemaNode::leaf(ParamType::Int, YAML::Node("0"),
                                         "use only the first K images of the test split (0 = all)")
                            .range(0, {}));
  SchemaNode calib = SchemaNode::map("the calibration subset: a deterministic sample of a split");
  calib.add("size", SchemaNode::leaf(ParamType::Int, YAML::Node("512"), "number of images").range(1, {}));
  calib.add("split", SchemaNode::one_of({"train", "test"}, "train", "split it is drawn from"));
  calib.add("seed", SchemaNode::leaf(ParamType::Int, YAML::Node("0"), "seed of the draw"));
  data.add("calibration", calib);
  // Each dataset's own options, data.<name>.
  for (const auto& d : all_datasets())
    if (d.options) data.add(d.name, d.options());
  return data;
}

SchemaNode experiment_schema(const std::vector<TaskInfo>& tasks) {
  const std::vector<std::string> task_names = names_of(tasks);

  SchemaNode root = SchemaNode::map("an experiment");
  root.add("name", SchemaNode::required_leaf(ParamType::String, "experiment name: letters, digits, - _ . (not only dots), at most 100 characters; results go to results/<name>/"));
  root.children.back().second.check = [](const YAML::Node& v) -> std::string {
    const std::string& s = v.Scalar();
    if (s.empty()) return "must not be empty";
    for (char c : s)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
        return "'" + s + "' must use only letters, digits, '-', '_' and '.' (it names a folder)";
    if (s.find_first_not_of('.') == std::string::npos)
      return "'" + s + "' must hold a letter, digit, '-' or '_' ('.' and '..' are folders already)";
    // The longest file name made of it, <name>.shard-I-of-N.h5 plus a temporary suffix, must
    // stay within the 255 bytes a file name may have.
    if (s.size() > kMaxExperimentNameLength)
      return "is " + std::to_string(s.size()) + " characters long; at most " +
             std::to_string(kMaxExperimentNameLength) + " (it names a folder and files)";
    return "";
  };
  SchemaNode task = SchemaNode::required_leaf(ParamType::String, "what each trial does: " + join(task_names, ", "));
  task.choices = task_names;
  root.add("task", task);
  root.add("seed", SchemaNode::leaf(ParamType::Int, YAML::Node("0"), "seed of the trial (sweep.seeds sets it per trial)"));
  SchemaNode threads = SchemaNode::leaf(ParamType::String, YAML::Node("auto"), "torch threads: auto = the CPUs this process may use (affinity mask, SLURM_CPUS_PER_TASK, cgroup quota), or a number");
  threads.check = [](const YAML::Node& v) -> std::string {
    if (v.Scalar() == "auto") return "";
    try {
      std::size_t used = 0;
      long n = std::stol(v.Scalar(), &used);
      if (used == v.Scalar().size() && n >= 1) return "";
    } catch (const std::exception&) {
    }
    return "expected auto or a number of threads >= 1, got '" + v.Scalar() + "'";
  };
  root.add("threads", threads);
  root.add("eval_cache_mb",
           SchemaNode::leaf(ParamType::Int, YAML::Node("1024"),
                            "MiB of layer inputs the clip searches (ptq, hessian, landscape) keep to restart an "
                            "evaluation at the first layer whose clip changed; 0 = every evaluation runs the whole "
                            "network. Changes no number, so not part of the trial id")
               .range(0, 1 << 20));
  root.add("memory_format",
           SchemaNode::one_of({"auto", "contiguous", "channels-last"}, "auto",
                              "memory order of the convolution weights (and so of the activations): auto = "
                              "channels-last in the tasks that only evaluate a model (evaluate, ptq, hessian, "
                              "landscape), where it is faster, NCHW where training runs. Changes numbers only by "
                              "float summation order, so not part of the trial id"));
  root.add("device", SchemaNode::one_of({"cpu", "cuda"}, "cpu", "where tensors live"));
  root.add("plugins", SchemaNode::leaf(ParamType::StringList, YAML::Node(YAML::NodeType::Sequence),
                                       "extra plugin libraries or folders, searched after the build's and $QHARNESS_PLUGIN_PATH"));
  root.add("extends", SchemaNode::leaf(ParamType::StringList, YAML::Node(),
                                       "file(s) this one builds on, relative to it; keys here override theirs"));
  root.add("data", data_schema());
  root.add("model", model_schema());
  root.add("quant", quant_schema());
  for (const auto& t : tasks) {
    SchemaNode block = t.schema ? t.schema() : SchemaNode::map("");
    block.task_block = true;
    if (block.doc.empty()) block.doc = t.description;
    root.add(t.name, block);
  }
  SchemaNode sweep = SchemaNode::map("trials to run: the grid's cartesian product x zip x seeds");
  SchemaNode grid; grid.kind = SchemaNode::Kind::AxisMap; grid.doc = "key.path: [values...]; the cartesian product, first key outermost";
  SchemaNode zip; zip.kind = SchemaNode::Kind::AxisMap; zip.doc = "key.path: [values...]; lists of one length that advance together (one axis); "
             "a list of such mappings gives one axis per mapping";
  sweep.add("grid", grid);
  sweep.add("zip", zip);
  sweep.add("seeds", SchemaNode::leaf(ParamType::IntList, YAML::Node(), "one trial per seed (innermost axis); sets seed"));
  root.add("sweep", sweep);
  root.add("report", report_schema());
  return root;
}

}  // namespace qharness
