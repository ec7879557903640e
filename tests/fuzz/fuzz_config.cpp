// Fuzz target: the experiment YAML as a user writes it, through everything that runs before
// a trial: load_experiment (extends, duplicate keys, origins), command-line overrides,
// expand_sweep and resolve_config against the full experiment schema, with plugins whose
// options have every kind of type and range. The input is the YAML file; lines after a line
// "#overrides" are also given as command-line overrides, one per line.
//
// The oracle, besides the sanitizers: bad input is a ConfigError (which names file:line or
// the command line) or an error in resolve_config's list, never another exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <typeinfo>
#include <vector>

#include "config/experiment_schema.hpp"
#include "config/raw_config.hpp"
#include "config/resolve.hpp"
#include "config/sweep.hpp"
#include "fuzz_input_file.hpp"
#include "plugins/plugin_registry.hpp"
#include "tasks/task.hpp"

namespace {

using namespace qharness;

// Stand-ins for the built-in plugins' declarations: validation needs their names and options.
PluginRegistry& fake_plugins() {
  static PluginRegistry registry = [] {
    PluginRegistry r;
    auto add = [&](PluginKind kind, const std::string& name, std::vector<ParamSpec> params) {
      LoadedPlugin p;
      p.kind = kind;
      p.info = {name, "fuzzing stand-in", std::move(params)};
      p.library = "fuzz";
      r.add(std::move(p));
    };
    const std::vector<ParamSpec> quantizer = {
        {"calibration", ParamType::String, std::string("minmax"), "", {"minmax", "mse", "lp", "sawb"}, false},
        {"p", ParamType::Double, 2.0, "", {}, false, 1.0, {}},
        {"percentile", ParamType::Double, 99.9, "", {}, false, 0.0, 100.0},
        {"signed", ParamType::Bool, true, "", {}, false},
    };
    for (const char* q : {"uniform", "sawb", "luq", "fp4-rdn", "template"}) add(PluginKind::Quantizer, q, quantizer);
    const std::vector<ParamSpec> optimizer = {
        {"maxiter", ParamType::Int, std::int64_t{2}, "", {}, false, 1.0, {}},
        {"tol", ParamType::Double, 1e-4, "", {}, false, 0.0, {}},
        {"steps", ParamType::IntList, std::vector<std::int64_t>{1, 2}, "", {}, false, 1.0, 100.0},
        {"method", ParamType::String, {}, "", {}, true},
    };
    for (const char* o : {"powell", "ceres", "coordinate-descent", "nlopt-bobyqa"}) add(PluginKind::Optimizer, o, optimizer);
    for (const char* m : {"nm", "tnm-mcf", "unstructured"}) add(PluginKind::Mask, m, {{"pivot", ParamType::Int, std::int64_t{0}, "", {}, false, 0.0, 8.0}});
    return r;
  }();
  return registry;
}

const SchemaNode& schema() {
  static const SchemaNode s = experiment_schema(all_tasks());
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::YamlInput in = fuzz::split_yaml_input(data, size);
  const std::string file =
      fuzz::write_input("exp.yaml", reinterpret_cast<const std::uint8_t*>(in.text.data()), in.text.size());
  try {
    RawConfig raw = load_experiment(file);
    apply_overrides(raw, in.overrides);
    const std::vector<TrialPoint> points = expand_sweep(raw);
    // Every point is resolved in a run; a few show every code path.
    for (std::size_t i = 0; i < points.size() && i < 4; ++i) {
      std::set<std::string> used = {"data", "model", "quant"};
      if (const YAML::Node task = points[i].tree["task"]; task && task.IsScalar()) used.insert(task.Scalar());
      std::vector<std::string> errors, notes;
      resolve_config(points[i].tree, schema(), used, fake_plugins(),
                     [&](const std::string& p) { return raw.origin_of(p); }, errors, notes);
    }
  } catch (const ConfigError&) {
    // Refused with a message that says where: what bad input should get.
  } catch (const std::exception& e) {
    std::cerr << "bad input escaped as " << typeid(e).name() << ", not ConfigError: " << e.what() << "\n";
    std::abort();
  }
  return 0;
}
