// The experiment YAML: loading with extends, origins, overrides, sweep expansion, validation
// against the schema, and trial ids.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <fstream>
#include <functional>

#include "config/experiment_schema.hpp"
#include "config/raw_config.hpp"
#include "config/resolve.hpp"
#include "config/sweep.hpp"
#include "tasks/task.hpp"

namespace qharness {
namespace {

// In a folder of this process's own: ctest runs each test as its own process, in parallel,
// and two tests writing /tmp/resolve.yaml at once read each other's files.
std::string write_file(const std::string& name, const std::string& text) {
  const std::string dir = ::testing::TempDir() + "/qh-config-test-" + std::to_string(::getpid());
  boost::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// A catalog with one optimizer and one quantizer, as a plugin library would register them.
class FakeCatalog : public PluginCatalog {
 public:
  FakeCatalog() {
    optimizer_.name = "powell";
    optimizer_.params = {{"maxiter", ParamType::Int, std::int64_t{1000}, "iterations", {}, false},
                         {"xtol", ParamType::Double, 1e-4, "tolerance", {}, false}};
    // One option of every type, with ranges.
    typed_.name = "typed";
    typed_.params = {{"maxiter", ParamType::Int, std::int64_t{1000}, "iterations", {}, false},
                 {"bits", ParamType::Int, std::int64_t{4}, "a bounded int", {}, false, 1.0, 32.0},
                 {"percentile", ParamType::Double, 99.0, "a bounded float", {}, false, 1e-9, 100.0},
                 {"flag", ParamType::Bool, false, "a bool", {}, false},
                 {"steps", ParamType::IntList, std::vector<std::int64_t>{1}, "ints", {}, false, 0.0, std::nullopt},
                 {"ps", ParamType::DoubleList, std::vector<double>{2.0}, "floats", {}, false, 1.0, std::nullopt}};
    quantizer_.name = "template";
  }
  const PluginInfo* find(PluginKind kind, const std::string& name) const override {
    if (kind == PluginKind::Optimizer && name == optimizer_.name) return &optimizer_;
    if (kind == PluginKind::Optimizer && name == typed_.name) return &typed_;
    if (kind == PluginKind::Quantizer && name == quantizer_.name) return &quantizer_;
    return nullptr;
  }
  std::vector<std::string> names(PluginKind kind) const override {
    if (kind == PluginKind::Optimizer) return {"powell", "typed"};
    if (kind == PluginKind::Quantizer) return {"template"};
    return {};
  }

 private:
  PluginInfo optimizer_, typed_, quantizer_;
};

struct Resolved {
  ResolvedConfig config;
  std::vector<std::string> errors;
};

Resolved resolve_text(const std::string& yaml) {
  RawConfig raw = load_experiment(write_file("resolve.yaml", yaml));
  auto points = expand_sweep(raw);
  Resolved r;
  std::vector<std::string> notes;
  FakeCatalog catalog;
  r.config = resolve_config(points.at(0).tree, experiment_schema(all_tasks()), {"selftest"}, catalog,
                            [&](const std::string& p) { return raw.origin_of(p); }, r.errors, notes);
  return r;
}

std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no ConfigError";
}

std::string all_errors(const Resolved& r) {
  std::string s;
  for (const auto& e : r.errors) s += e + "\n";
  return s;
}

TEST(RawConfig, ExtendsMergesMapsAndRecordsOrigins) {
  write_file("base.yaml", "name: base\ntask: selftest\nselftest:\n  dim: 3\n  function: rosenbrock\n");
  const std::string child = write_file("child.yaml", "extends: base.yaml\nname: child\nselftest:\n  dim: 5\n");
  RawConfig raw = load_experiment(child);
  EXPECT_EQ(raw.root["name"].Scalar(), "child");
  EXPECT_EQ(raw.root["selftest"]["dim"].Scalar(), "5");
  EXPECT_EQ(raw.root["selftest"]["function"].Scalar(), "rosenbrock");  // kept from the base
  EXPECT_FALSE(raw.root["extends"]);
  EXPECT_EQ(raw.origin_of("selftest.dim").line, 4);
  EXPECT_NE(raw.origin_of("selftest.dim").file.find("child.yaml"), std::string::npos);
  EXPECT_EQ(raw.origin_of("selftest.function").line, 5);
  EXPECT_NE(raw.origin_of("selftest.function").file.find("base.yaml"), std::string::npos);
}

TEST(RawConfig, SyntaxErrorNamesFileAndLine) {
  const std::string f = write_file("bad.yaml", "name: x\ntask: selftest\nselftest: {dim: 3\n");
  try {
    load_experiment(f);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("YAML syntax error"), std::string::npos) << e.what();
  }
}

TEST(RawConfig, DuplicateKeyIsAnError) {
  const std::string f = write_file("dup.yaml", "name: x\ntask: selftest\nname: y\n");
  try {
    load_experiment(f);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("dup.yaml:3:1: duplicate key 'name'"), std::string::npos) << e.what();
  }
}

TEST(RawConfig, ASecondYamlDocumentIsAnError) {
  for (const char* text : {"name: x\ntask: selftest\n---\nname: y\n", "name: x\ntask: selftest\n---\n"}) {
    const std::string f = write_file("two_docs.yaml", text);
    const std::string e = config_error([&] { load_experiment(f); });
    EXPECT_NE(e.find("two_docs.yaml"), std::string::npos) << e;
    EXPECT_NE(e.find("a second YAML document"), std::string::npos) << e;
  }
  const std::string f = write_file("two_docs.yaml", "name: x\ntask: selftest\n---\nname: y\n");
  EXPECT_NE(config_error([&] { load_experiment(f); }).find("two_docs.yaml:4:1: a second YAML document"), std::string::npos);
}

// yaml-cpp 0.7 loops forever on a ',' that no document can start with (config/yaml_text.hpp);
// found by tests/fuzz. Refused at the comma; commas inside [...] and {...} and quoted ones
// are yaml-cpp's to parse.
TEST(RawConfig, AStrayCommaIsASyntaxErrorNotAHang) {
  const std::pair<const char*, const char*> refused[] = {
      {",\n", "comma.yaml:1:1: "},
      {"# note\n\n  , a\nname: x\n", "comma.yaml:3:3: "},
      {"name: x\n...\n--- ,\n", "comma.yaml:3:5: "},
      {"- a\n,\n", "comma.yaml:2:1: "},
      {"[name, x] ,\n", "comma.yaml:1:11: "},
      {"!t ,\n", "comma.yaml:1:4: "},
  };
  for (const auto& [text, where] : refused) {
    const std::string f = write_file("comma.yaml", text);
    const std::string e = config_error([&] { load_experiment(f); });
    EXPECT_NE(e.find(std::string(where) + "YAML syntax error: unexpected ',' outside [...] or {...}"), std::string::npos)
        << text << " -> " << e;
  }
  const std::string f = write_file("commas.yaml", "name: x\ntask: selftest\nselftest: {dim: 3, size: 5}\nv: ','\n");
  const RawConfig raw = load_experiment(f);
  EXPECT_EQ(raw.root["selftest"]["size"].as<int>(), 5);
  EXPECT_EQ(raw.root["v"].Scalar(), ",");
}

TEST(RawConfig, ExtendsCycleIsAnError) {
  write_file("cycle_a.yaml", "extends: cycle_b.yaml\nname: a\n");
  const std::string b = write_file("cycle_b.yaml", "extends: cycle_a.yaml\nname: b\n");
  EXPECT_THROW(load_experiment(b), ConfigError);
}

TEST(Overrides, ValuesAxesAndReplacedAxes) {
  RawConfig raw = load_experiment(write_file(
      "ov.yaml", "name: x\ntask: selftest\nsweep:\n  grid:\n    selftest.dim: [2, 3]\n    selftest.function: [quadratic, rosenbrock]\n"));
  apply_overrides(raw, {"selftest.dim=7", "selftest.bounds=[-1, 1]", "seed=3,4,5"});
  EXPECT_EQ(raw.root["selftest"]["dim"].Scalar(), "7");
  EXPECT_FALSE(raw.root["sweep"]["grid"]["selftest.dim"]);  // the override replaced the axis
  EXPECT_EQ(raw.root["selftest"]["bounds"].size(), 2u);
  EXPECT_EQ(raw.root["sweep"]["grid"]["seed"].size(), 3u);
  EXPECT_EQ(raw.origin_of("selftest.dim").file, "command line 'selftest.dim=7'");
  EXPECT_THROW(apply_overrides(raw, {"noequals"}), ConfigError);
}

// Keys of the sweep block are set, never swept; an axis name keeps its dots.
TEST(Overrides, SweepKeysAreSetNotSwept) {
  RawConfig raw = load_experiment(write_file("ovs.yaml", "name: x\ntask: selftest\nsweep:\n  grid:\n    selftest.dim: [2, 3]\n"));
  apply_overrides(raw, {"sweep.seeds=0,1,2", "sweep.grid.selftest.size=[8,16]"});
  EXPECT_EQ(raw.root["sweep"]["seeds"].size(), 3u);
  EXPECT_EQ(raw.root["sweep"]["grid"]["selftest.size"].size(), 2u);
  EXPECT_EQ(raw.root["sweep"]["grid"]["selftest.dim"].size(), 2u);
  EXPECT_EQ(expand_sweep(raw).size(), 12u);
  EXPECT_EQ(raw.origin_of("sweep.grid.selftest.size").file, "command line 'sweep.grid.selftest.size=[8,16]'");
  apply_overrides(raw, {"sweep.grid.selftest.size=[]"});
  EXPECT_NE(config_error([&] { expand_sweep(raw); })
                .find("command line 'sweep.grid.selftest.size=[]': sweep.grid.selftest.size: expected a non-empty list"),
            std::string::npos);
}

// An override that cannot be applied, or that breaks a sweep axis of the file, names both.
TEST(Overrides, ConflictsNameTheCommandLine) {
  RawConfig raw = load_experiment(write_file("ovc.yaml", "name: x\ntask: selftest\nsweep:\n  grid:\n    selftest.dim: [2, 3]\n"));
  EXPECT_EQ(config_error([&] { apply_overrides(raw, {"name.first=a"}); }),
            "command line 'name.first=a': cannot set 'name.first': 'name' is not a mapping");
  apply_overrides(raw, {"selftest=5"});
  const std::string e = config_error([&] { expand_sweep(raw); });
  EXPECT_NE(e.find("ovc.yaml:5:5: sweep axis 'selftest.dim': cannot set 'selftest.dim': 'selftest' is not a mapping "
                   "(it is set at command line 'selftest=5')"),
            std::string::npos)
      << e;
}

// An option of another plugin names where the plugin was chosen when that was elsewhere.
TEST(Resolve, OptionOfAnotherPluginNamesWhereThePluginWasChosen) {
  RawConfig raw = load_experiment(write_file("ovp.yaml", "name: x\ntask: selftest\nselftest:\n  optimizer: {name: typed, bits: 3}\n"));
  apply_overrides(raw, {"selftest.optimizer.name=powell"});
  auto points = expand_sweep(raw);
  std::vector<std::string> errors, notes;
  FakeCatalog catalog;
  resolve_config(points.at(0).tree, experiment_schema(all_tasks()), {"selftest"}, catalog,
                 [&](const std::string& p) { return raw.origin_of(p); }, errors, notes);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("ovp.yaml:4:28: unknown key 'selftest.optimizer.bits' of optimizer 'powell' (chosen at "
                           "command line 'selftest.optimizer.name=powell')"),
            std::string::npos)
      << errors[0];
}

TEST(Sweep, GridZipSeedsOrder) {
  RawConfig raw = load_experiment(write_file("sw.yaml",
                                             "name: x\ntask: selftest\nsweep:\n"
                                             "  grid:\n    selftest.dim: [2, 3]\n    selftest.function: [quadratic, rosenbrock, nan]\n"
                                             "  zip:\n    selftest.size: [10, 20]\n    selftest.sleep_s: [0.0, 0.5]\n"
                                             "  seeds: [0, 1]\n"));
  auto points = expand_sweep(raw);
  ASSERT_EQ(points.size(), 2u * 3u * 2u * 2u);
  // First grid key outermost, seeds innermost, zip keys together.
  EXPECT_EQ(points[0].tree["selftest"]["dim"].Scalar(), "2");
  EXPECT_EQ(points[0].tree["seed"].Scalar(), "0");
  EXPECT_EQ(points[1].tree["seed"].Scalar(), "1");
  EXPECT_EQ(points[2].tree["selftest"]["size"].Scalar(), "20");
  EXPECT_EQ(points[2].tree["selftest"]["sleep_s"].Scalar(), "0.5");
  EXPECT_EQ(points[4].tree["selftest"]["function"].Scalar(), "rosenbrock");
  EXPECT_EQ(points[12].tree["selftest"]["dim"].Scalar(), "3");
  EXPECT_FALSE(points[0].tree["sweep"]);
  ASSERT_EQ(points[0].swept.size(), 5u);
  EXPECT_EQ(points[0].swept[0].first, "selftest.dim");
  EXPECT_EQ(points[0].swept[4].first, "seed");
}

TEST(Sweep, AListOfZipGroupsGivesOneAxisPerGroup) {
  RawConfig raw = load_experiment(write_file("zips.yaml",
                                             "name: x\ntask: selftest\nsweep:\n  zip:\n"
                                             "    - {selftest.dim: [2, 3], selftest.function: [quadratic, rosenbrock]}\n"
                                             "    - {selftest.size: [10, 20, 30], selftest.sleep_s: [0.0, 0.1, 0.2]}\n"));
  auto points = expand_sweep(raw);
  ASSERT_EQ(points.size(), 2u * 3u);  // groups multiply, keys within a group advance together
  EXPECT_EQ(points[0].tree["selftest"]["dim"].Scalar(), "2");
  EXPECT_EQ(points[0].tree["selftest"]["function"].Scalar(), "quadratic");
  EXPECT_EQ(points[2].tree["selftest"]["size"].Scalar(), "30");
  EXPECT_EQ(points[2].tree["selftest"]["sleep_s"].Scalar(), "0.2");
  EXPECT_EQ(points[3].tree["selftest"]["dim"].Scalar(), "3");
  EXPECT_EQ(points[3].tree["selftest"]["function"].Scalar(), "rosenbrock");
  EXPECT_EQ(points[3].tree["selftest"]["size"].Scalar(), "10");
  // A key set on the command line leaves its group; the rest of the group still advances.
  apply_overrides(raw, {"selftest.dim=4"});
  points = expand_sweep(raw);
  ASSERT_EQ(points.size(), 2u * 3u);
  EXPECT_EQ(points[3].tree["selftest"]["dim"].Scalar(), "4");
  EXPECT_EQ(points[3].tree["selftest"]["function"].Scalar(), "rosenbrock");
}

TEST(Sweep, ZipListsOfDifferentLengthsAreAnError) {
  RawConfig raw = load_experiment(write_file(
      "zip.yaml", "name: x\ntask: selftest\nsweep:\n  zip:\n    selftest.dim: [2, 3]\n    selftest.size: [1, 2, 3]\n"));
  try {
    expand_sweep(raw);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("zip.yaml:6:"), std::string::npos) << e.what();
  }
}

// 50^4 = 6.25M trials, and 100^12 (past 2^64): refused up front naming the sweep, not a
// std::bad_alloc (or a wrapped-around count) after allocating.
TEST(Sweep, MoreTrialsThanTheLimitAreAnError) {
  std::string fifty = "[", hundred = "[";
  for (int i = 0; i < 50; ++i) fifty += (i ? ", " : "") + std::to_string(i);
  for (int i = 0; i < 100; ++i) hundred += (i ? ", " : "") + std::to_string(i);
  fifty += "]";
  hundred += "]";
  RawConfig raw = load_experiment(write_file(
      "big.yaml", "name: x\ntask: selftest\nsweep:\n  grid:\n    selftest.dim: " + fifty + "\n    selftest.size: " +
                      fifty + "\n    selftest.sleep_s: " + fifty + "\n  seeds: " + fifty + "\n"));
  std::string e = config_error([&] { expand_sweep(raw); });
  EXPECT_NE(e.find("big.yaml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("50 x 50 x 50 x 50 trials is more than 1000000"), std::string::npos) << e;
  std::string twelve = "name: x\ntask: selftest\nsweep:\n  grid:\n";
  for (int k = 0; k < 12; ++k) twelve += "    a" + std::to_string(k) + ".b: " + hundred + "\n";
  raw = load_experiment(write_file("huge.yaml", twelve));
  e = config_error([&] { expand_sweep(raw); });
  EXPECT_NE(e.find("is more than 1000000"), std::string::npos) << e;
  // At the limit it expands.
  raw = load_experiment(write_file("ok.yaml", "name: x\ntask: selftest\nsweep:\n  grid:\n    selftest.dim: " + fifty +
                                                  "\n  seeds: " + fifty + "\n"));
  EXPECT_EQ(expand_sweep(raw).size(), 2500u);
}

TEST(Resolve, FillsDefaultsInCanonicalForm) {
  Resolved r = resolve_text("name: x\ntask: selftest\nselftest:\n  optimizer: {name: powell, xtol: 1e-3}\n");
  ASSERT_TRUE(r.errors.empty()) << all_errors(r);
  EXPECT_EQ(r.config.get_int("seed"), 0);
  EXPECT_EQ(r.config.get_string("threads"), "auto");
  EXPECT_EQ(r.config.get_string("selftest.function"), "quadratic");
  EXPECT_EQ(r.config.get_string("selftest.optimizer.xtol"), "0.001");
  EXPECT_EQ(r.config.plugin("selftest.optimizer").params.get_int("maxiter"), 1000);
  EXPECT_DOUBLE_EQ(r.config.plugin("selftest.optimizer").params.get_double("xtol"), 1e-3);
  EXPECT_FALSE(r.config.has("data"));  // not used by selftest, not given
}

TEST(Resolve, UnknownKeyNamesLineAndNearestKey) {
  Resolved r = resolve_text("name: x\ntask: selftest\nselftest:\n  dimm: 3\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("resolve.yaml:4:3: unknown key 'selftest.dimm' (did you mean 'dim'?)"), std::string::npos)
      << r.errors[0];
}

TEST(Resolve, WrongTypeRangeAndChoice) {
  Resolved r = resolve_text("name: x\ntask: selftest\nselftest:\n  dim: three\n  size: 0\n  function: rosenbrok\n");
  const std::string e = all_errors(r);
  ASSERT_EQ(r.errors.size(), 3u) << e;
  EXPECT_NE(e.find("selftest.dim: expected an int, got 'three'"), std::string::npos) << e;
  EXPECT_NE(e.find("selftest.size: must be >= 1"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'rosenbrock'?"), std::string::npos) << e;
}

TEST(Resolve, MissingRequiredKey) {
  Resolved r = resolve_text("task: selftest\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("missing required key 'name'"), std::string::npos) << r.errors[0];
}

TEST(Resolve, UnknownPluginListsKnownOnes) {
  Resolved r = resolve_text("name: x\ntask: selftest\nselftest:\n  optimizer: {name: powel}\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("unknown optimizer plugin 'powel' (did you mean 'powell'?); known optimizer plugins: powell, typed"),
            std::string::npos)
      << r.errors[0];
}

TEST(Resolve, UnknownPluginOptionSuggestsTheRightOne) {
  Resolved r = resolve_text("name: x\ntask: selftest\nselftest:\n  optimizer: {name: powell, maxiters: 3}\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("unknown key 'selftest.optimizer.maxiters' of optimizer 'powell' (did you mean 'maxiter'?)"),
            std::string::npos)
      << r.errors[0];
}

// A plugin option is validated like every other key: one error naming the line, the key and
// what is allowed; never an exception out of the resolver (issue 17: `bits: four` gave
// "error: stoll", exit 1).
TEST(Resolve, EveryBadPluginOptionIsOneErrorWithLineKeyAndAllowedValues) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bits: four", "selftest.optimizer.bits: expected an int, got 'four'"},
      {"bits: 4.0", "selftest.optimizer.bits: expected an int, got '4.0'"},
      {"bits: 0", "selftest.optimizer.bits: must be in [1, 32], got 0"},
      {"bits: 100", "selftest.optimizer.bits: must be in [1, 32], got 100"},
      {"bits: [4]", "selftest.optimizer.bits: expected an int, got a list"},
      {"bits: 99999999999999999999", "selftest.optimizer.bits: expected an int, got '99999999999999999999'"},
      {"percentile: 200", "selftest.optimizer.percentile: must be in [1e-09, 100], got 200"},
      {"percentile: lots", "selftest.optimizer.percentile: expected a float, got 'lots'"},
      {"percentile: .nan", "selftest.optimizer.percentile: expected a float, got '.nan'"},
      {"maxiter: {a: 1}", "selftest.optimizer.maxiter: expected an int, got a mapping"},
      {"flag: maybe", "selftest.optimizer.flag: expected true or false, got 'maybe'"},
      {"steps: [1, x]", "selftest.optimizer.steps: list element: expected an int, got 'x'"},
      {"steps: [1, -1]", "selftest.optimizer.steps: must be >= 0, got -1"},
      {"ps: [2, 0.5]", "selftest.optimizer.ps: must be >= 1, got 0.5"},
  };
  for (const auto& [option, expected] : cases) {
    Resolved r;
    ASSERT_NO_THROW(r = resolve_text("name: x\ntask: selftest\nselftest:\n  optimizer:\n    name: typed\n    " +
                                     option + "\n"))
        << option;
    ASSERT_EQ(r.errors.size(), 1u) << option << "\n" << all_errors(r);
    EXPECT_NE(r.errors[0].find("resolve.yaml:6:"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[0].find(expected), std::string::npos) << r.errors[0];
  }
}

TEST(TrialId, StableAndOnlyResultRelevantKeysCount) {
  Resolved a = resolve_text("name: x\ntask: selftest\nselftest: {dim: 3, bounds: [-1, 1.0]}\n");
  Resolved b = resolve_text("name: other\nthreads: 1\ntask: selftest\nselftest: {dim: 3, bounds: [-1.0, 1]}\n");
  Resolved c = resolve_text("name: x\ntask: selftest\nselftest: {dim: 4, bounds: [-1, 1]}\n");
  ASSERT_TRUE(a.errors.empty() && b.errors.empty() && c.errors.empty());
  EXPECT_EQ(a.config.trial_id(), b.config.trial_id());  // name, threads, 1 vs 1.0: same trial
  EXPECT_NE(a.config.trial_id(), c.config.trial_id());
  EXPECT_EQ(a.config.trial_id().size(), 12u);
  // The id is a fixed function of the canonical text: FNV-1a 64 of it, 12 hex digits. Pin it,
  // so that a change that would orphan every user's results cannot slip in unnoticed.
  Resolved pinned = resolve_text("name: x\ntask: selftest\n");
  EXPECT_EQ(pinned.config.canonical(),
            "device=cpu\nseed=0\nselftest.bounds=[]\nselftest.dim=4\nselftest.function=quadratic\n"
            "selftest.optimizer.maxiter=1000\nselftest.optimizer.name=powell\nselftest.optimizer.xtol=1e-04\n"
            "selftest.quantizer.bits=4\nselftest.quantizer.granularity=per-tensor\nselftest.quantizer.quantizer=template\n"
            "selftest.quantizer.rounding=nearest\nselftest.size=4096\nselftest.sleep_s=0\ntask=selftest\n");
  EXPECT_EQ(pinned.config.trial_id(), "d95ca553fa01");
}

}  // namespace
}  // namespace qharness
