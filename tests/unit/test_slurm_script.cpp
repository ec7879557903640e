// `qharness slurm`: option validation, --array ranges, shell quoting, sbatch's job id and the
// generated scripts (the submission on a real cluster is tests/cli/test_slurm.py).
#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "driver/slurm.hpp"

namespace qharness {
namespace {

TEST(SlurmArrayRanges, CompactsRunsOfConsecutiveTasks) {
  EXPECT_EQ(slurm_array_ranges({0, 1, 2}), "0-2");
  EXPECT_EQ(slurm_array_ranges({1}), "1");
  EXPECT_EQ(slurm_array_ranges({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
  EXPECT_EQ(slurm_array_ranges({3, 5, 7}), "3,5,7");
  EXPECT_EQ(slurm_array_ranges({}), "");
}

TEST(ShellQuote, LeavesSafeWordsAndQuotesTheRest) {
  EXPECT_EQ(shell_quote("/abs/path/exp.yaml"), "/abs/path/exp.yaml");
  EXPECT_EQ(shell_quote("quant.weights.bits=2,4,8"), "quant.weights.bits=2,4,8");
  EXPECT_EQ(shell_quote("selftest.bounds=[-1, 1]"), "'selftest.bounds=[-1, 1]'");
  EXPECT_EQ(shell_quote("a'b"), "'a'\\''b'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(shell_quote(""), "''");
}

TEST(ParseSbatchJobId, ReadsTheIdWithOrWithoutCluster) {
  EXPECT_EQ(parse_sbatch_job_id("12345\n"), "12345");
  EXPECT_EQ(parse_sbatch_job_id("678;cluster-a\n"), "678");
  EXPECT_THROW(parse_sbatch_job_id("sbatch: error: Batch job submission failed\n"), std::runtime_error);
  EXPECT_THROW(parse_sbatch_job_id(""), std::runtime_error);
}

// The messages of validate_slurm_options, or {} when it accepts the options.
std::vector<std::string> errors_of(const SlurmOptions& o, std::size_t trials = 12) {
  try {
    validate_slurm_options(o, trials);
  } catch (const ConfigError& e) {
    return e.messages();
  }
  return {};
}

SlurmOptions valid_options() {
  SlurmOptions o;
  o.tasks = 3;
  return o;
}

TEST(ValidateSlurmOptions, AcceptsSlurmsForms) {
  SlurmOptions o = valid_options();
  EXPECT_TRUE(errors_of(o).empty());
  for (const char* t : {"30", "30:00", "2:00:00", "1-0", "1-12:00", "2-00:00:00", "UNLIMITED"}) {
    o.time = t;
    EXPECT_TRUE(errors_of(o).empty()) << t;
  }
  for (const char* m : {"4000", "500M", "8G", "1T", "64k"}) {
    o.mem = m;
    EXPECT_TRUE(errors_of(o).empty()) << m;
  }
  o.partition = "gpu,long-2";
  o.cpus = 8;
  o.tasks = 12;
  EXPECT_TRUE(errors_of(o).empty());
}

TEST(ValidateSlurmOptions, NamesEveryBadOption) {
  SlurmOptions o = valid_options();
  o.tasks = 0;
  o.time = "2h";
  o.mem = "8GB";
  o.cpus = 0;
  o.partition = "a;rm -rf";
  const auto errors = errors_of(o);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_NE(errors[0].find("--tasks 0: need at least 1"), std::string::npos);
  EXPECT_NE(errors[1].find("--partition 'a;rm -rf'"), std::string::npos);
  EXPECT_NE(errors[2].find("--time '2h'"), std::string::npos);
  EXPECT_NE(errors[3].find("--cpus 0"), std::string::npos);
  EXPECT_NE(errors[4].find("--mem '8GB'"), std::string::npos);
}

TEST(ValidateSlurmOptions, RefusesMoreTasksThanTrials) {
  SlurmOptions o = valid_options();
  o.tasks = 5;
  const auto errors = errors_of(o, 4);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("the sweep has only 4 trial(s)"), std::string::npos) << errors[0];
}

SlurmJob example_job() {
  SlurmJob job;
  job.name = "sweep";
  job.qharness = "/opt/qh/bin/qharness";
  job.experiment_file = "/home/u/exp/sweep.yaml";
  job.run_overrides = {"selftest.dim=2,3", "selftest.bounds=[-1, 1]"};
  job.results_root = "/home/u/results";
  job.workdir = "/home/u";
  job.slurm_dir = "/home/u/results/sweep/slurm";
  job.command_line = "qharness slurm exp/sweep.yaml --tasks 4";
  job.options.tasks = 4;
  return job;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(RenderSlurmScripts, ArrayRunsItsShardOfTheExperiment) {
  const SlurmScripts s = render_slurm_scripts(example_job(), {0, 1, 2, 3});
  EXPECT_TRUE(contains(s.array, "#!/bin/bash\n"));
  EXPECT_TRUE(contains(s.array, "\n#SBATCH --array=0-3\n"));
  EXPECT_TRUE(contains(s.array, "\n#SBATCH --job-name=qh-sweep\n"));
  EXPECT_TRUE(contains(s.array, "\n#SBATCH --output=/home/u/results/sweep/slurm/logs/%x-%A_%a.out\n"));
  EXPECT_TRUE(contains(s.array, "\n#SBATCH --chdir=/home/u\n"));
  EXPECT_TRUE(contains(s.array, "\n#SBATCH --requeue\n"));
  EXPECT_TRUE(contains(s.array, "\nexport HDF5_USE_FILE_LOCKING=FALSE\n"));
  EXPECT_TRUE(contains(s.array,
                       "\nexec /opt/qh/bin/qharness run /home/u/exp/sweep.yaml selftest.dim=2,3 'selftest.bounds=[-1, 1]'"
                       " --shard \"${SLURM_ARRAY_TASK_ID}/4\" --results /home/u/results\n"));
  // No resource directive the user did not ask for: the partition's defaults apply.
  for (const char* d : {"--partition", "--time", "--cpus-per-task", "--mem"}) EXPECT_FALSE(contains(s.array, d)) << d;
}

TEST(RenderSlurmScripts, ResourcesGoToArrayAndMergeCpusOnlyToTheArray) {
  SlurmJob job = example_job();
  job.options.partition = "long";
  job.options.time = "1-00:00:00";
  job.options.cpus = 8;
  job.options.mem = "16G";
  const SlurmScripts s = render_slurm_scripts(job, {0, 1, 2, 3});
  for (const std::string* text : {&s.array, &s.merge}) {
    EXPECT_TRUE(contains(*text, "\n#SBATCH --partition=long\n"));
    EXPECT_TRUE(contains(*text, "\n#SBATCH --time=1-00:00:00\n"));
    EXPECT_TRUE(contains(*text, "\n#SBATCH --mem=16G\n"));
  }
  EXPECT_TRUE(contains(s.array, "\n#SBATCH --cpus-per-task=8\n"));
  EXPECT_FALSE(contains(s.merge, "--cpus-per-task"));
}

TEST(RenderSlurmScripts, MergeRunsAfterAnyEndOfTheArray) {
  const SlurmScripts s = render_slurm_scripts(example_job(), {1, 3});
  EXPECT_TRUE(contains(s.merge, "\nexport HDF5_USE_FILE_LOCKING=FALSE\n"));
  EXPECT_TRUE(contains(s.merge, "\nexec /opt/qh/bin/qharness merge /home/u/results/sweep\n"));
  EXPECT_TRUE(contains(s.merge, "\n#SBATCH --job-name=qh-sweep-merge\n"));
  EXPECT_FALSE(contains(s.merge, "--array"));
  // Only the pending tasks are submitted; the merge waits for all of them to end, ok or not.
  EXPECT_TRUE(contains(s.submit, "sbatch --parsable --array=1,3 /home/u/results/sweep/slurm/array.sbatch"));
  EXPECT_TRUE(contains(s.submit, "sbatch --parsable --dependency=afterany:\"$array_job\" /home/u/results/sweep/slurm/merge.sbatch"));
  EXPECT_FALSE(contains(s.submit, "afterok"));
}

TEST(RenderSlurmScripts, NothingPendingSubmitsOnlyTheMerge) {
  const SlurmScripts s = render_slurm_scripts(example_job(), {});
  EXPECT_FALSE(contains(s.submit, "--array"));
  EXPECT_FALSE(contains(s.submit, "--dependency"));
  EXPECT_TRUE(contains(s.submit, "sbatch --parsable /home/u/results/sweep/slurm/merge.sbatch"));
}

TEST(RenderSlurmScripts, PathsWithBlanksAreQuotedOnSbatchLines) {
  SlurmJob job = example_job();
  job.workdir = "/home/u/my runs";
  job.slurm_dir = "/home/u/my runs/results/sweep/slurm";
  const SlurmScripts s = render_slurm_scripts(job, {0});
  EXPECT_TRUE(contains(s.array, "\n#SBATCH --chdir=\"/home/u/my runs\"\n"));
  EXPECT_TRUE(contains(s.array, "\n#SBATCH --output=\"/home/u/my runs/results/sweep/slurm/logs/%x-%A_%a.out\"\n"));
  job.workdir = "/home/u/say \"hi\"";
  EXPECT_THROW(render_slurm_scripts(job, {0}), ConfigError);
}

}  // namespace
}  // namespace qharness
