// The dataset and model tables (data/dataset_registry.hpp, models/zoo.hpp): every entry is
// listed, the schema's allowed values are the tables' names, an unknown name's error lists the
// known ones, and what an entry declares (shape, classes, any input size, missing files) is
// what its loader or builder does.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <boost/filesystem.hpp>
#include <fstream>

#include "config/experiment_schema.hpp"
#include "config/raw_config.hpp"
#include "config/sweep.hpp"
#include "data/dataset_registry.hpp"
#include "models/zoo.hpp"
#include "plugins/plugin_registry.hpp"
#include "tasks/task.hpp"
#include "temp_dir.hpp"
#include "util/named_table.hpp"

namespace fs = boost::filesystem;
using namespace qharness;
using qharness::test_support::TempDir;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

const SchemaNode& schema_at(const SchemaNode& root, const std::string& block, const std::string& key) {
  const SchemaNode* b = root.child(block);
  EXPECT_NE(b, nullptr) << block;
  const SchemaNode* k = b->child(key);
  EXPECT_NE(k, nullptr) << block << "." << key;
  return *k;
}

// The data block of `yaml` resolved against the experiment schema (defaults filled in).
ResolvedConfig resolve_data_block(const TempDir& dir, const std::string& yaml) {
  const std::string file = dir.file("data.yaml");
  std::ofstream(file) << "name: t\ntask: train\n" << yaml;
  RawConfig raw = load_experiment(file);
  auto points = expand_sweep(raw);
  std::vector<std::string> errors, notes;
  PluginRegistry no_plugins;
  ResolvedConfig cfg = resolve_config(points.at(0).tree, experiment_schema(all_tasks()), {"data"}, no_plugins,
                                      [&](const std::string& p) { return raw.origin_of(p); }, errors, notes);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0]);
  return cfg;
}

}  // namespace

TEST(NamedTable, FindsListsAndNamesTheKnownOnes) {
  struct Entry {
    std::string name;
    int value;
  };
  const std::vector<Entry> table = {{"alpha", 1}, {"beta", 2}};
  EXPECT_EQ(names_of(table), (std::vector<std::string>{"alpha", "beta"}));
  ASSERT_NE(find_named(table, "beta"), nullptr);
  EXPECT_EQ(find_named(table, "beta")->value, 2);
  EXPECT_EQ(find_named(table, "gamma"), nullptr);
  EXPECT_EQ(require_named(table, "alpha", "thing").value, 1);
  EXPECT_EQ(error_of([&] { require_named(table, "gamma", "thing"); }), "unknown thing 'gamma'; known: alpha, beta");
  EXPECT_EQ(error_of([&] { require_named(table, "bta", "thing"); }),
            "unknown thing 'bta' (did you mean 'beta'?); known: alpha, beta");
}

TEST(DatasetRegistry, ListsEveryDatasetOnceAndTheSchemaAllowsExactlyThem) {
  const std::vector<std::string> expected = {"fashion-mnist", "mnist", "cifar10", "imagefolder", "synthetic"};
  EXPECT_EQ(dataset_names(), expected);
  const SchemaNode schema = experiment_schema(all_tasks());
  EXPECT_EQ(schema_at(schema, "data", "dataset").choices, expected);
  for (const DatasetInfo& d : all_datasets()) {
    SCOPED_TRACE(d.name);
    EXPECT_FALSE(d.description.empty());
    ASSERT_TRUE(d.load);
    // A dataset read from files says where they come from and how to check a folder for them.
    EXPECT_EQ(d.needs_files, !d.source.empty());
    EXPECT_EQ(d.needs_files, static_cast<bool>(d.missing_files));
    // Its own options are the schema's data.<name> block, and only those datasets have one.
    EXPECT_EQ(static_cast<bool>(d.options), schema.child("data")->child(d.name) != nullptr);
  }
}

TEST(DatasetRegistry, UnknownNameListsTheKnownOnes) {
  EXPECT_EQ(error_of([] { dataset_info("imagenet"); }),
            "unknown dataset 'imagenet'; known: fashion-mnist, mnist, cifar10, imagefolder, synthetic");
  EXPECT_EQ(error_of([] { dataset_info("mnsit"); }),
            "unknown dataset 'mnsit' (did you mean 'mnist'?); known: fashion-mnist, mnist, cifar10, imagefolder, "
            "synthetic");
}

TEST(DatasetRegistry, CheckRootNamesWhatIsMissingAndWhereItComesFrom) {
  TempDir dir;
  const DatasetInfo& fashion = dataset_info("fashion-mnist");
  EXPECT_EQ(fashion.default_root, "/usr/share/datasets/fashion-mnist");
  std::string why = check_dataset_root(fashion, dir.file("nowhere"));
  EXPECT_NE(why.find("folder '" + dir.file("nowhere") + "' for dataset 'fashion-mnist' does not exist"), std::string::npos)
      << why;
  EXPECT_NE(why.find("apt-get install dataset-fashion-mnist"), std::string::npos) << why;

  why = check_dataset_root(dataset_info("mnist"), dir.str());
  EXPECT_NE(why.find("lacks the mnist files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                     "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"),
            std::string::npos)
      << why;
  EXPECT_NE(check_dataset_root(dataset_info("mnist"), "").find("has no default location"), std::string::npos);
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"})
    std::ofstream(dir.file(f)) << "x";
  why = check_dataset_root(dataset_info("mnist"), dir.str());
  EXPECT_NE(why.find("lacks the mnist files t10k-labels-idx1-ubyte.gz ("), std::string::npos) << why;
  std::ofstream(dir.file("t10k-labels-idx1-ubyte")) << "x";
  EXPECT_EQ(check_dataset_root(dataset_info("mnist"), dir.str()), "");

  why = check_dataset_root(dataset_info("cifar10"), dir.str());
  EXPECT_NE(why.find("data_batch_1.bin"), std::string::npos) << why;
  EXPECT_NE(why.find("test_batch.bin"), std::string::npos) << why;
  fs::create_directories(dir.file("train"));
  why = check_dataset_root(dataset_info("imagefolder"), dir.str());
  EXPECT_NE(why.find("lacks the folder val/"), std::string::npos) << why;
  EXPECT_EQ(check_dataset_root(dataset_info("synthetic"), ""), "");
}

TEST(DatasetRegistry, LoadersGiveTheDeclaredShapeAndClasses) {
  TempDir dir;
  const ResolvedConfig cfg = resolve_data_block(dir, "data: {dataset: synthetic, synthetic: {channels: 3, size: 12, classes: 4}}\n");
  auto train = dataset_info("synthetic").load(cfg, "", true);
  EXPECT_EQ(train->shape().channels, 3);
  EXPECT_EQ(train->shape().height, 12);
  EXPECT_EQ(train->num_classes(), 4);
  EXPECT_EQ(train->size(), 512);   // the schema's default train_size

  // Fashion-MNIST from its Debian package (./qh installs it), as the table declares it.
  const DatasetInfo& fashion = dataset_info("fashion-mnist");
  if (!check_dataset_root(fashion, fashion.default_root).empty()) GTEST_SKIP() << "no " << fashion.default_root;
  auto test = fashion.load(cfg, fashion.default_root, false);
  EXPECT_EQ(test->shape().channels, fashion.shape.channels);
  EXPECT_EQ(test->shape().height, fashion.shape.height);
  EXPECT_EQ(test->shape().width, fashion.shape.width);
  EXPECT_EQ(test->num_classes(), fashion.classes);
  EXPECT_EQ(test->size(), 10000);
  // Fashion-MNIST's own constants (not MNIST's 0.1307 / 0.3081).
  EXPECT_EQ(test->normalization().mean, std::vector<double>{0.2860});
  EXPECT_EQ(test->normalization().std, std::vector<double>{0.3530});
}

TEST(ModelRegistry, ListsEveryModelOnceAndTheSchemaAllowsExactlyThem) {
  const std::vector<std::string> expected = {"mlp", "lenet5", "resnet20", "resnet18", "resnet50"};
  EXPECT_EQ(arch_names(), expected);
  EXPECT_EQ(schema_at(experiment_schema(all_tasks()), "model", "arch").choices, expected);
  EXPECT_EQ(error_of([] { model_info("vgg16"); }), "unknown model 'vgg16'; known: mlp, lenet5, resnet20, resnet18, resnet50");
  EXPECT_EQ(error_of([] { make_model({"resnet21", {1, 28, 28}, 10}); }),
            "unknown model 'resnet21' (did you mean 'resnet20'?); known: mlp, lenet5, resnet20, resnet18, resnet50");
}

// Each model builds at its native input and classifies it; a model that declares any input
// size runs a smaller image with the same weights, and one that does not refuses it.
TEST(ModelRegistry, NativeInputAndAnyInputSizeAreWhatTheModelsDo) {
  at::NoGradGuard no_grad;
  for (const ModelInfo& m : all_models()) {
    SCOPED_TRACE(m.name);
    EXPECT_FALSE(m.description.empty());
    const std::int64_t side = m.native_input;
    auto model = make_model({m.name, {3, side, side}, 7});
    EXPECT_EQ(model->arch(), m.name);
    model->eval();
    EXPECT_EQ(model->forward(at::randn({1, 3, side, side})).sizes(), (std::vector<std::int64_t>{1, 7}));
    const std::int64_t other = side / 2 + 4;
    if (m.any_input_size) {
      EXPECT_EQ(model->forward(at::randn({1, 3, other, other})).sizes(), (std::vector<std::int64_t>{1, 7}));
    } else {
      EXPECT_ANY_THROW(model->forward(at::randn({1, 3, other, other})));
    }
  }
}
