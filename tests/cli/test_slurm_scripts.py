"""`qharness slurm` without a cluster: the scripts it writes (--print), the array script run by
bash as Slurm would run a task, the tasks it submits on a resubmission, and bad input refused
with exit 2 before anything is written. The real cluster is test_slurm.py."""
import os
import subprocess
import unittest

from common import CliTestCase, QHARNESS, SWEEP_12, base_env, qharness, trials_of, write


class SlurmScripts(CliTestCase):
    """What `qharness slurm --print` writes, and bad input refused before anything is written."""

    def setUp(self):
        super().setUp()
        self.file = write(os.path.join(self.tmp, "sweep.yaml"), SWEEP_12.format(sleep=0))

    def test_print_writes_array_merge_and_submit_scripts(self):
        p = qharness(["slurm", "sweep.yaml", "selftest.bounds=[-5, 5]", "--tasks", "3", "--partition", "gpu",
                      "--time", "1:30:00", "--cpus", "4", "--mem", "8G", "--print"], cwd=self.tmp)
        self.assert_exit(p, 0)
        slurm_dir = os.path.join(self.tmp, "results/sweep12/slurm")
        with open(os.path.join(slurm_dir, "array.sbatch")) as f:
            array = f.read()
        with open(os.path.join(slurm_dir, "merge.sbatch")) as f:
            merge = f.read()
        with open(os.path.join(slurm_dir, "submit.sh")) as f:
            submit = f.read()
        self.assertTrue(os.path.isdir(os.path.join(slurm_dir, "logs")))
        for text in (array, merge, submit):
            self.assertIn(text, p.stdout)
        for line in ("#SBATCH --array=0-2", "#SBATCH --partition=gpu", "#SBATCH --time=1:30:00",
                     "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8G", f"#SBATCH --chdir={self.tmp}",
                     f"#SBATCH --output={slurm_dir}/logs/%x-%A_%a.out", "export HDF5_USE_FILE_LOCKING=FALSE"):
            self.assertIn(line + "\n", array)
        # The same binary, absolute paths, the override quoted, threads = the CPUs of the task.
        self.assertIn(f"exec {QHARNESS} run {self.tmp}/sweep.yaml 'selftest.bounds=[-5, 5]' threads=4 "
                      f"--shard \"${{SLURM_ARRAY_TASK_ID}}/3\" --results {self.tmp}/results\n", array)
        self.assertIn("export HDF5_USE_FILE_LOCKING=FALSE\n", merge)
        self.assertIn(f"exec {QHARNESS} merge {self.tmp}/results/sweep12\n", merge)
        self.assertNotIn("--cpus-per-task", merge)
        self.assertIn(f"sbatch --parsable --array=0-2 {slurm_dir}/array.sbatch", submit)
        self.assertIn(f"sbatch --parsable --dependency=afterany:\"$array_job\" {slurm_dir}/merge.sbatch", submit)
        # Nothing ran.
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results/sweep12/trials")))

    def test_generated_array_script_runs_its_shard(self):
        # The array script, run by bash as Slurm would run task 1, runs shard 1/3 only.
        self.assert_exit(qharness(["slurm", "sweep.yaml", "--tasks", "3", "--print"], cwd=self.tmp), 0)
        script = os.path.join(self.tmp, "results/sweep12/slurm/array.sbatch")
        p = subprocess.run(["bash", script], cwd="/", env=base_env(SLURM_ARRAY_TASK_ID="1", SLURM_ARRAY_TASK_COUNT="1"),
                           capture_output=True, text=True, timeout=120)
        self.assert_exit(p, 0)
        shard = trials_of(os.path.join(self.tmp, "results/sweep12/shards/sweep12.shard-1-of-3.h5"))
        self.assertEqual(len(shard), 4)

    def test_print_submits_only_tasks_with_missing_trials(self):
        self.assert_exit(qharness(["run", "sweep.yaml", "--shard", "0/3"], cwd=self.tmp), 0)
        self.assert_exit(qharness(["run", "sweep.yaml", "--shard", "2/3"], cwd=self.tmp), 0)
        p = qharness(["slurm", "sweep.yaml", "--tasks", "3", "--print"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("--array=1 ", p.stdout)
        self.assertIn("#SBATCH --array=0-2\n", p.stdout)  # the script itself still covers every task
        self.assertIn("task(s) with trials to run: 1", p.stderr)
        # With every trial done, only the merge is left to submit.
        self.assert_exit(qharness(["run", "sweep.yaml", "--shard", "1/3"], cwd=self.tmp), 0)
        p = qharness(["slurm", "sweep.yaml", "--tasks", "3", "--print"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertNotIn("--array=", p.stdout.split("submit.sh <==")[1])
        self.assertIn("every trial is done", p.stderr)

    def assert_bad_input(self, args, *messages):
        p = qharness(["slurm", *args], cwd=self.tmp)
        self.assert_exit(p, 2)
        for m in messages:
            self.assertIn(m, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results")), "bad input wrote results")

    def test_bad_input_exits_2_before_writing_anything(self):
        self.assert_bad_input(["sweep.yaml", "selftest.dimm=3", "--tasks", "3", "--print"], "unknown key 'selftest.dimm'")
        self.assert_bad_input(["sweep.yaml", "--tasks", "13", "--print"], "the sweep has only 12 trial(s)")
        # Every bad option is named at once.
        self.assert_bad_input(["sweep.yaml", "--tasks", "3", "--time", "2h", "--mem", "8GB", "--cpus", "0",
                               "--partition", "a b", "--print"],
                              "--time '2h'", "--mem '8GB'", "--cpus 0", "--partition 'a b'")
        self.assert_bad_input(["sweep.yaml", "--print"], "--tasks is required")
        self.assert_bad_input(["nosuch.yaml", "--tasks", "3"], "nosuch.yaml")
        # Without --print it needs sbatch; without one on PATH it says so, before writing.
        p = qharness(["slurm", "sweep.yaml", "--tasks", "3"], cwd=self.tmp,
                     env=base_env(PATH="/nonexistent"))
        self.assert_exit(p, 2)
        self.assertIn("'sbatch' not found on PATH", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results")))


if __name__ == "__main__":
    unittest.main()
