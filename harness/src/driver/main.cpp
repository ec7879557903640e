// qharness: the driver. Subcommands: run, plugins, report, merge, schema, slurm, mask-diversity.
// Exit status: 0 all trials done; 1 some trial failed (the others still ran); 2 bad input.
#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "config/config_error.hpp"
#include "config/raw_config.hpp"
#include "driver/html_report.hpp"
#include "driver/import_weights.hpp"
#include "driver/report.hpp"
#include "driver/mask_diversity_cmd.hpp"
#include "driver/schema_doc.hpp"
#include "driver/slurm.hpp"
#include "driver/slurm_suite.hpp"
#include "models/zoo.hpp"
#include "plugins/plugin_registry.hpp"
#include "results/results_layout.hpp"
#include "run/experiment.hpp"
#include "run/runner.hpp"
#include "run/suite.hpp"
#include "util/allocator.hpp"
#include "util/omp_wait.hpp"
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
  const std::string source = text.empty() ? "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" : "--shard";
  auto parts = split(spec, '/');
  std::optional<std::int64_t> index, count;
  if (parts.size() == 2) index = parse_whole_number(parts[0]), count = parse_whole_number(parts[1]);
  if (!index || !count)
    throw ConfigError(source + ": expected I/N in whole numbers (e.g. 0/4), got '" + spec + "'");
  if (*count < 1 || *index < 0 || *index >= *count || *count > 1000000)
    throw ConfigError(source + " " + spec + ": need 0 <= I < N <= 1000000");
  o.shard_index = static_cast<int>(*index);
  o.shard_count = static_cast<int>(*count);
}

PluginRegistry load_plugins() {
  PluginRegistry registry;
  registry.load_all(PluginRegistry::default_search_path());
  for (const auto& w : registry.warnings()) std::cerr << "warning: " << w << "\n";
  return registry;
}

// analysis/ of the source tree the binary was built from; $QHARNESS_ANALYSIS_DIR overrides it
// (an installed qharness whose sources moved).
std::string analysis_dir() {
  if (const char* dir = std::getenv("QHARNESS_ANALYSIS_DIR")) return dir;
  return QHARNESS_ANALYSIS_DIR;
}

int cmd_run(const std::string& file, const std::vector<std::string>& overrides, bool force, bool dry_run,
            const std::string& shard, const std::string& results_root) {
  RunOptions options;
  options.force = force;
  options.results_root = results_root;
  parse_shard(shard, options);
  check_experiment_file(file);
  PluginRegistry registry = load_plugins();
  if (auto suite = load_suite(file)) {
    SuiteOptions suite_options;
    suite_options.run = options;
    suite_options.overrides = overrides;
    suite_options.dry_run = dry_run;
    suite_options.analysis_dir = analysis_dir();
    return run_suite(*suite, registry, suite_options);
  }
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

int cmd_slurm(const std::string& file, const std::vector<std::string>& overrides, const SlurmOptions& options,
              const std::string& command_line) {
  check_experiment_file(file);
  PluginRegistry registry = load_plugins();
  if (auto suite = load_suite(file)) {
    SuiteSubmitOptions suite_options;
    suite_options.slurm = options;
    suite_options.overrides = overrides;
    suite_options.command_line = command_line;
    suite_options.analysis_dir = analysis_dir();
    return slurm_submit_suite(*suite, registry, suite_options);
  }
  RawConfig raw = load_experiment(file);
  apply_overrides(raw, overrides);
  Experiment exp = build_experiment(std::move(raw), registry);
  for (const auto& n : exp.notes) std::cerr << "note: " << n << "\n";
  return slurm_submit(exp, file, overrides, options, command_line);
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
    if (verbose && p.kind == PluginKind::Quantizer)
      std::cout << "    serves: " << served_roles(p.info.quantizer)
                << "; clip_gradient: " << (p.info.quantizer.clip_gradient ? "yes" : "no") << "\n";
    if (verbose)
      for (const auto& s : p.info.params)
        std::cout << "    " << s.name << " (" << to_string(s.type) << "): " << s.doc << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // `run` does the heavy work: choose how OpenMP's threads wait, which may execute this
  // program again with a variable set for libgomp (util/omp_wait.hpp).
  if (argc > 1 && std::strcmp(argv[1], "run") == 0) qharness::choose_omp_wait(argv);
  qharness::keep_freed_memory_in_process();   // tensors reuse freed memory (util/allocator.hpp)
  CLI::App app{"qharness: a harness for low-precision and sparse neural networks"};
  app.require_subcommand(1);

  std::string file, shard, results_root = "results", dir;
  std::vector<std::string> overrides;
  bool force = false, resume = false, dry_run = false, verbose = false;

  auto* run = app.add_subcommand("run", "run an experiment's trials, or every part of a suite (resumes by default)");
  run->add_option("file", file, "experiment YAML, or a suite of them (`suite:`)")->required();
  run->add_option("overrides", overrides, "key.path=value (override) or key.path=a,b,c (sweep axis)");
  auto* force_flag = run->add_flag("--force", force, "rerun trials that are already done");
  run->add_flag("--resume", resume, "run only the trials not done yet (the default)")->excludes(force_flag);
  run->add_option("--shard", shard, "I/N: run trial k iff k mod N == I (default: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)");
  run->add_flag("--dry-run", dry_run, "list the expanded trials and their ids; run nothing");
  run->add_option("--results", results_root, "folder that holds results/<name>/")->capture_default_str();

  auto* plugins = app.add_subcommand("plugins", "list every loaded plugin: kind, name, library, description");
  plugins->add_flag("--verbose,-v", verbose, "also list each plugin's options");

  ReportOptions report_options;
  std::vector<std::string> report_rows, report_cols;
  std::string report_metric;
  std::vector<std::string> report_dirs;
  std::string report_html, report_title;
  auto* report = app.add_subcommand("report", "print the paper tables (report: block) or the summary table of results/<name>");
  report->add_option("dir", report_dirs, "results/<name> (several: each in turn, or one --html page with a section each)")->required();
  auto* html_option = report->add_option("--html", report_html, "write one self-contained HTML page (tables, figures, provenance, trials) to this file");
  report->add_option("--title", report_title, "the HTML page's title (default: the experiments' names)")->needs(html_option);
  report->add_flag("--markdown", report_options.markdown, "as Markdown tables");
  report->add_flag("--summary", report_options.summary, "the plain summary table, one line per trial");
  auto* rows_option = report->add_option("--rows", report_rows, "row keys of a pivot table, comma-separated (label=key.path)")->delimiter(',');
  auto* cols_option = report->add_option("--cols", report_cols, "column keys of a pivot table, comma-separated (label=key.path); \"\" = one column")->delimiter(',');
  auto* metric_option = report->add_option("--metric", report_metric, "the metric in the cells (default top1, or the report: block's)");

  auto* merge = app.add_subcommand("merge", "combine shard and trial files into results/<name>/<name>.h5");
  merge->add_option("dir", dir, "results/<name>")->required();

  auto* schema = app.add_subcommand("schema", "print the YAML reference (Markdown), generated from the schema");

  ImportOptions import_options;
  auto* import_cmd = app.add_subcommand("import", "weights from a TorchScript file saved in Python into a qharness checkpoint");
  import_cmd->add_option("file", import_options.torchscript_file, "TorchScript file (torch.jit.save of a torchvision model)")->required();
  import_cmd->add_option("--arch", import_options.arch, "zoo architecture: " + join(arch_names(), " | "))
      ->required()
      ->check(CLI::IsMember(arch_names()));
  import_cmd->add_option("-o,--output", import_options.output, "checkpoint to write (use it as model.checkpoint.path)")->required();
  std::vector<std::string> native_sizes;
  for (const auto& m : all_models()) native_sizes.push_back(m.name + " " + std::to_string(m.native_input));
  import_cmd->add_option("--input-size", import_options.input_size,
                         "image side the model is built for (default: " + join(native_sizes, ", ") + ")");
  import_cmd->add_option("--check-size", import_options.check_size, "image side of the logits check against the TorchScript module; 0 = skip")->capture_default_str();

  MaskDiversityRequest diversity;
  auto* mask_diversity = app.add_subcommand("mask-diversity", "exact number of N:M, transposable N:M or unstructured masks");
  mask_diversity->add_option("nm", diversity.nm, "N:M, e.g. 2:4 (keep 2 of every 4)")->required();
  auto* transposable_flag = mask_diversity->add_flag("--transposable", diversity.transposable, "transposable N:M (N per row and column of every MxM block)");
  mask_diversity->add_flag("--unstructured", diversity.unstructured, "unstructured at density N/M")->excludes(transposable_flag);
  mask_diversity->add_option("--size", diversity.size, "number of weights K (default M*M: one MxM block)");

  SlurmOptions slurm_options;
  auto* slurm = app.add_subcommand("slurm", "submit the experiment's shards as a Slurm job array plus a merge job; "
                                             "a suite as one chain: checkpoints, each part's array and merge, the report");
  slurm->add_option("file", file, "experiment YAML, or a suite of them (`suite:`)")->required();
  slurm->add_option("overrides", overrides, "key.path=value (override) or key.path=a,b,c (sweep axis)");
  slurm->add_option("--tasks", slurm_options.tasks, "N: array tasks 0..N-1, task I runs shard I/N (a suite: at most N per part)")->required();
  slurm->add_option("--partition", slurm_options.partition, "Slurm partition (default: the cluster's default)");
  slurm->add_option("--time", slurm_options.time, "time limit of each task, e.g. 2:00:00 (default: the partition's)");
  slurm->add_option("--cpus", slurm_options.cpus, "CPUs per task; with threads: auto, also the torch threads");
  slurm->add_option("--mem", slurm_options.mem, "memory per task, e.g. 8G (default: the partition's)");
  slurm->add_option("--results", slurm_options.results_root, "folder that holds results/<name>/")->capture_default_str();
  slurm->add_flag("--print", slurm_options.print, "write the scripts to results/<name>/slurm/ and print them; submit nothing");

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
      if (*rows_option) report_options.rows = report_rows;
      if (*cols_option) report_options.cols = report_cols;
      if (*metric_option) report_options.metric = report_metric;
      if (*html_option) {
        if (report_options.markdown || report_options.summary || *rows_option || *cols_option || *metric_option)
          throw ConfigError("report --html: the page holds the report: block's tables; it takes no --markdown, "
                            "--summary, --rows, --cols or --metric");
        if (report_title.empty())
          for (const auto& d : report_dirs)
            report_title += (report_title.empty() ? "" : ", ") + ResultsLayout::from_dir(d).name;
        write_html_report_file(report_title, report_dirs, report_html);
        std::cout << "report: " << report_html << "\n";
        return 0;
      }
      for (std::size_t i = 0; i < report_dirs.size(); ++i) {
        if (i) std::cout << "\n";
        print_report(report_dirs[i], report_options, std::cout);
      }
      return 0;
    }
    if (*merge) return merge_results(dir);
    if (*import_cmd) {
      ImportReport r;
      try {
        r = import_torchscript(import_options);
      } catch (const std::runtime_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return kExitBadInput;
      }
      std::cout << "imported " << r.tensors << " tensors into " << import_options.output << " (" << import_options.arch << ")\n";
      if (r.max_logit_diff >= 0) std::cout << "max |logit difference| vs the TorchScript module: " << r.max_logit_diff << "\n";
      return 0;
    }
    if (*slurm) {
      std::string command_line = "qharness";
      for (int i = 1; i < argc; ++i) command_line += " " + shell_quote(argv[i]);
      return cmd_slurm(file, overrides, slurm_options, command_line);
    }
    if (*mask_diversity) {
      print_mask_diversity(diversity, std::cout);
      return 0;
    }
    if (*schema) {
      print_schema_markdown(load_plugins(), std::cout);
      return 0;
    }
  } catch (const ConfigError& e) {
    for (const auto& m : e.messages()) std::cerr << "error: " << m << "\n";
    return kExitBadInput;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << "\n";   // what() appends a C++ stack trace
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
