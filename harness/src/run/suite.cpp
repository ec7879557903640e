#include "run/suite.hpp"

#include <boost/filesystem.hpp>
#include <yaml-cpp/yaml.h>

#include <iostream>

#include "config/config_error.hpp"
#include "config/yaml_text.hpp"
#include "driver/html_report.hpp"
#include "driver/report.hpp"
#include "results/results_layout.hpp"
#include "run/experiment.hpp"
#include "util/shell.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

Origin origin(const std::string& file, const YAML::Node& node) {
  return {file, node.Mark().line + 1, node.Mark().column + 1};
}

}  // namespace

std::optional<Suite> load_suite(const std::string& file) {
  YAML::Node root;
  try {
    root = load_yaml_file(file);
  } catch (const YAML::Exception&) {
    return std::nullopt;   // unreadable or malformed: load_experiment says what is wrong, and where
  }
  if (!root.IsMap() || !root["suite"]) return std::nullopt;

  Suite suite;
  suite.file = file;
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (key != "name" && key != "suite" && key != "figures")
      throw ConfigError(origin(file, kv.first),
                        key + ": a suite file holds only name, suite and figures (the parts hold the experiments)");
  }
  if (!root["name"] || !root["name"].IsScalar()) throw ConfigError(file + ": name: required (the suite's name)");
  suite.name = root["name"].Scalar();
  if (root["figures"]) {
    try {
      suite.figures = root["figures"].as<bool>();
    } catch (const YAML::Exception&) {
      throw ConfigError(origin(file, root["figures"]), "figures: expected true or false");
    }
  }
  const YAML::Node parts = root["suite"];
  if (!parts.IsSequence() || parts.size() == 0)
    throw ConfigError(origin(file, parts), "suite: expected a non-empty list of experiment files");
  const fs::path dir = fs::path(file).parent_path();
  for (const auto& p : parts) {
    SuitePart part;
    YAML::Node file_node = p;
    if (p.IsMap()) {
      for (const auto& kv : p)
        if (kv.first.Scalar() != "file" && kv.first.Scalar() != "overrides")
          throw ConfigError(origin(file, kv.first), "suite: " + kv.first.Scalar() +
                                                        ": a part is a file or {file: F, overrides: [key=value, ...]}");
      file_node.reset(p["file"]);   // reset, not =: assigning to a Node writes through to p
      if (!file_node || !file_node.IsScalar()) throw ConfigError(origin(file, p), "suite: the part has no file");
      if (const YAML::Node ov = p["overrides"]) {
        if (!ov.IsSequence()) throw ConfigError(origin(file, ov), "suite: overrides: expected a list of key.path=value");
        for (const auto& o : ov) part.overrides.push_back(o.Scalar());
      }
    } else if (!p.IsScalar()) {
      throw ConfigError(origin(file, p), "suite: each entry is an experiment file or {file: F, overrides: [...]}");
    }
    fs::path path(file_node.Scalar());
    if (path.is_relative()) path = dir / path;
    if (!fs::is_regular_file(path))
      throw ConfigError(origin(file, file_node), "suite: '" + path.string() + "' does not exist");
    if (load_suite(path.string()))
      throw ConfigError(origin(file, file_node), "suite: '" + path.string() + "' is itself a suite; list its parts instead");
    part.file = path.lexically_normal().string();
    suite.parts.push_back(std::move(part));
  }
  return suite;
}

std::vector<Experiment> build_suite_experiments(const Suite& suite, PluginRegistry& registry,
                                                const std::vector<std::string>& overrides) {
  // Everything is checked before the first trial: a typo in the last part must not cost the
  // hour the first parts take.
  std::vector<Experiment> experiments;
  std::vector<std::string> errors;
  for (const auto& part : suite.parts) {
    try {
      RawConfig raw = load_experiment(part.file);
      apply_overrides(raw, part.overrides);
      apply_overrides(raw, overrides);
      experiments.push_back(build_experiment(std::move(raw), registry));
    } catch (const ConfigError& e) {
      for (const auto& m : e.messages()) errors.push_back(m);
    }
  }
  if (!errors.empty()) throw ConfigError(errors);
  for (std::size_t i = 0; i < experiments.size(); ++i)
    for (const auto& n : experiments[i].notes) std::cerr << "note: " << suite.parts[i].file << ": " << n << "\n";
  return experiments;
}

int run_suite(const Suite& suite, PluginRegistry& registry, const SuiteOptions& options) {
  const std::vector<Experiment> experiments = build_suite_experiments(suite, registry, options.overrides);

  std::size_t trials = 0;
  for (const auto& e : experiments) trials += e.trials.size();
  std::cout << "suite '" << suite.name << "': " << experiments.size() << " experiment(s), " << trials
            << " trial(s)\n";
  if (options.dry_run) {
    for (const auto& e : experiments) {
      std::cout << "\n== " << e.name << " (" << e.raw.file << ")\n";
      print_trials(e, options.run);
    }
    return 0;
  }

  int status = 0;
  for (std::size_t i = 0; i < experiments.size(); ++i) {
    std::cout << "\n== [" << i + 1 << "/" << experiments.size() << "] " << experiments[i].name << " ("
              << suite.parts[i].file << ")\n" << std::flush;
    status = std::max(status, run_experiment(experiments[i], registry, options.run));
  }

  if (options.run.shard_count > 1) {
    std::cout << "\nshard " << options.run.shard_index << "/" << options.run.shard_count
              << " done; when every shard is, `qharness merge results/<name>` each part, then `qharness report` it\n";
    return status;
  }
  std::cout << "\n==== suite '" << suite.name << "': the tables\n";
  std::vector<std::string> dirs;
  for (const auto& e : experiments) {
    const std::string dir = ResultsLayout(options.run.results_root, e.name).dir.string();
    dirs.push_back(dir);
    std::cout << "\n";
    try {
      print_report(dir, ReportOptions{}, std::cout);
    } catch (const ConfigError& err) {   // a shard run: the experiment file comes with the merge
      std::cout << e.name << ": " << err.what() << "\n";
    }
  }
  if (suite.figures) {
    std::cout << "\n==== figures\n";
    const std::string script = (fs::path(options.analysis_dir) / "plot.py").string();
    for (const auto& dir : dirs) {
      try {
        std::cout << run_capturing(shell_quote(options.python) + " " + shell_quote(script) + " " + shell_quote(dir) +
                                   " 2>&1");
      } catch (const std::runtime_error& err) {
        std::cout << dir << ": figures FAILED: " << err.what() << "\n";
        status = std::max(status, 1);
      }
    }
  }
  // One page with every part, to open in a browser or send on (after the figures, which it embeds).
  const std::string page = (fs::path(options.run.results_root) / (suite.name + ".html")).string();
  try {
    write_html_report_file(suite.name, dirs, page);
    std::cout << "\n==== report: " << page << "\n";
  } catch (const std::exception& err) {   // e.g. a part whose every trial failed before writing
    std::cout << "\n==== report: " << page << " FAILED: " << err.what() << "\n";
    status = std::max(status, 1);
  }
  return status;
}

}  // namespace qharness
