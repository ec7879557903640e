// qharness: the driver. Subcommands: run, plugins, report, merge, schema.
// Exit status: 0 all trials done; 1 some trial failed (the others still ran); 2 bad input.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "config/config_error.hpp"
#include "config/raw_config.hpp"
#include "driver/report.hpp"
#include "driver/schema_doc.hpp"
#include "plugins/plugin_registry.hpp"
#include "run/experiment.hpp"
#include "run/runner.hpp"
#include "util/text.hpp"

namespace {

using namespace qharness;

constexpr int kExitBadInput = 2;

// "--shard I/N", else SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT, else 0/1.
void parse_shard(const std::string& text, RunOptions& o) {
  std::string spec = text;
  if (spec.empty()) {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count) return;
    spec = std::string(id) + "/" + count;
  }
  auto parts = split(spec, '/');
  try {
    if (parts.size() != 2) throw std::invalid_argument(spec);
    o.shard_index = std::stoi(parts[0]);
    o.shard_count = std::stoi(parts[1]);
  } catch (const std::exception&) {
    throw ConfigError("--shard: expected I/N (e.g. 0/4), got '" + spec + "'");
  }
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    throw ConfigError("--shard " + spec + ": need 0 <= I < N");
}

PluginRegistry load_plugins() {
  PluginRegistry registry;
  registry.load_all(PluginRegistry::default_search_path());
  for (const auto& w : registry.warnings()) std::cerr << "warning: " << w << "\n";
  return registry;
}

int cmd_run(const std::string& file, const std::vector<std::string>& overrides, bool force, bool dry_run,
            const std::string& shard, const std::string& results_root) {
  RunOptions options;
  options.force = force;
  options.results_root = results_root;
  parse_shard(shard, options);
  PluginRegistry registry = load_plugins();
  RawConfig raw = load_experiment(file);
  apply_overrides(raw, overrides);
  Experiment exp = build_experiment(std::move(raw), registry);
  for (const auto& n : exp.notes) std::cerr << "note: " << n << "\n";
  if (dry_run) {
    print_trials(exp, options);
    return 0;
  }
  return run_experiment(exp, registry, options);
}

int cmd_plugins(bool verbose) {
  PluginRegistry registry = load_plugins();
  std::cout << "plugin path: " << join(PluginRegistry::default_search_path(), ":") << "\n";
  std::size_t wk = 4, wn = 4;
  for (const auto& p : registry.plugins()) {
    wk = std::max(wk, std::string(to_string(p.kind)).size());
    wn = std::max(wn, p.info.name.size());
  }
  auto pad = [](std::string s, std::size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };
  std::cout << pad("kind", wk) << "  " << pad("name", wn) << "  library  description\n";
  for (const auto& p : registry.plugins()) {
    std::cout << pad(to_string(p.kind), wk) << "  " << pad(p.info.name, wn) << "  " << p.library << "  "
              << p.info.description << "\n";
    if (verbose)
      for (const auto& s : p.info.params)
        std::cout << "    " << s.name << " (" << to_string(s.type) << "): " << s.doc << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qharness: a harness for low-precision and sparse neural networks"};
  app.require_subcommand(1);

  std::string file, shard, results_root = "results", dir;
  std::vector<std::string> overrides;
  bool force = false, resume = false, dry_run = false, markdown = false, verbose = false;

  auto* run = app.add_subcommand("run", "run an experiment's trials (resumes by default)");
  run->add_option("file", file, "experiment YAML")->required();
  run->add_option("overrides", overrides, "key.path=value (override) or key.path=a,b,c (sweep axis)");
  auto* force_flag = run->add_flag("--force", force, "rerun trials that are already done");
  run->add_flag("--resume", resume, "run only the trials not done yet (the default)")->excludes(force_flag);
  run->add_option("--shard", shard, "I/N: run trial k iff k mod N == I (default: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)");
  run->add_flag("--dry-run", dry_run, "list the expanded trials and their ids; run nothing");
  run->add_option("--results", results_root, "folder that holds results/<name>/")->capture_default_str();

  auto* plugins = app.add_subcommand("plugins", "list every loaded plugin: kind, name, library, description");
  plugins->add_flag("--verbose,-v", verbose, "also list each plugin's options");

  auto* report = app.add_subcommand("report", "print the summary table of results/<name>");
  report->add_option("dir", dir, "results/<name>")->required();
  report->add_flag("--markdown", markdown, "as a Markdown table");

  auto* merge = app.add_subcommand("merge", "combine shard and trial files into results/<name>/<name>.h5");
  merge->add_option("dir", dir, "results/<name>")->required();

  auto* schema = app.add_subcommand("schema", "print the YAML reference (Markdown), generated from the schema");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitBadInput;
  }

  try {
    if (*run) return cmd_run(file, overrides, force, dry_run, shard, results_root);
    if (*plugins) return cmd_plugins(verbose);
    if (*report) {
      print_report(dir, markdown, std::cout);
      return 0;
    }
    if (*merge) return merge_results(dir);
    if (*schema) {
      print_schema_markdown(load_plugins(), std::cout);
      return 0;
    }
  } catch (const ConfigError& e) {
    for (const auto& m : e.messages()) std::cerr << "error: " << m << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
