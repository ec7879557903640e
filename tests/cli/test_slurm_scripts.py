"""`qharness slurm` without a cluster: the scripts it writes (--print), the array script run by
bash as Slurm would run a task, the tasks it submits on a resubmission, and bad input refused
with exit 2 before anything is written. The real cluster is test_slurm.py."""
import os
import re
import subprocess
import unittest

from common import CliTestCase, QHARNESS, SOURCE_DIR, SWEEP_12, base_env, qharness, trials_of, write
from test_slurm_suite import write_suite

# A stand-in for sbatch: logs its arguments, one call a line, and prints the next job id.
FAKE_SBATCH = """#!/bin/bash
n=$(( $(wc -l < "$SBATCH_LOG" 2>/dev/null || echo 0) + 101 ))
echo "$n $*" >> "$SBATCH_LOG"
echo "$n;cluster"
"""


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


class SlurmSuiteScripts(CliTestCase):
    """`qharness slurm SUITE.yaml --print`: the whole chain, and submit.sh run against a stand-in sbatch."""

    def test_print_writes_one_checkpoint_job_each_part_and_the_report(self):
        write_suite(self.tmp)
        p = qharness(["slurm", "suite.yaml", "--tasks", "3", "--cpus", "2", "--print"], cwd=self.tmp)
        self.assert_exit(p, 0)
        listing = qharness(["run", "train.yaml", "--dry-run"], cwd=self.tmp).stdout
        (train_id,) = re.findall(r"^\s+0\s+([0-9a-f]{12})\s", listing, re.M)
        suite_dir = os.path.join(self.tmp, "results/two-parts/slurm")
        self.assertEqual(sorted(os.listdir(suite_dir)),
                         sorted([f"checkpoint-{train_id}.sbatch", "logs", "report.sbatch", "submit.sh"]))
        read = lambda path: open(path).read()
        ckpt = read(os.path.join(suite_dir, f"checkpoint-{train_id}.sbatch"))
        self.assertIn(ckpt, p.stdout)
        self.assertIn(f"#SBATCH --job-name=qh-checkpoint-{train_id}\n", ckpt)
        self.assertIn("#SBATCH --cpus-per-task=2\n", ckpt)
        # train.yaml sets threads: 1, so --cpus does not add threads=2 to it.
        self.assertIn(f"exec {QHARNESS} run {self.tmp}/train.yaml --force --results {self.tmp}/results\n", ckpt)
        # Each part as `qharness slurm PART.yaml` writes it, with at most as many tasks as trials.
        for part in ("part-ptq", "part-eval"):
            array = read(os.path.join(self.tmp, f"results/{part}/slurm/array.sbatch"))
            self.assertIn("#SBATCH --array=0-1\n", array)
            self.assertIn(f"--shard \"${{SLURM_ARRAY_TASK_ID}}/2\" --results {self.tmp}/results\n", array)
            self.assertIn(array, p.stdout)
        report = read(os.path.join(suite_dir, "report.sbatch"))
        self.assertIn(f"{QHARNESS} report {self.tmp}/results/part-ptq --markdown || status=1\n", report)
        self.assertIn(f"{QHARNESS} report {self.tmp}/results/part-eval --markdown || status=1\n", report)
        self.assertIn(f"report={self.tmp}/results/two-parts/report.md\n", report)
        submit = read(os.path.join(suite_dir, "submit.sh"))
        self.assertIn(submit, p.stdout)
        self.assertIn("part 'part-ptq': 2 trial(s) in 2 array task(s); task(s) with trials to run: 0-1", p.stderr)
        self.assertIn(f"checkpoint {train_id}: to train, before part-ptq, part-eval", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results/checkpoints")), "--print trained something")

        # submit.sh, run by bash against a stand-in sbatch: every id reaches the calls after it.
        fake = write(os.path.join(self.tmp, "bin/sbatch"), FAKE_SBATCH)
        os.chmod(fake, 0o755)
        log = os.path.join(self.tmp, "sbatch.log")
        r = subprocess.run(["bash", os.path.join(suite_dir, "submit.sh")], cwd="/", capture_output=True, text=True,
                           env=base_env(PATH=os.path.dirname(fake) + ":" + os.environ["PATH"], SBATCH_LOG=log))
        self.assert_exit(r, 0)
        calls = [line.split(" ", 1) for line in read(log).splitlines()]
        results = f"{self.tmp}/results"
        self.assertEqual(calls, [
            ["101", f"--parsable {results}/two-parts/slurm/checkpoint-{train_id}.sbatch"],
            ["102", f"--parsable --array=0-1 --dependency=afterok:101 --kill-on-invalid-dep=yes "
                    f"{results}/part-ptq/slurm/array.sbatch"],
            ["103", f"--parsable --dependency=afterany:102 {results}/part-ptq/slurm/merge.sbatch"],
            ["104", f"--parsable --array=0-1 --dependency=afterok:101 --kill-on-invalid-dep=yes "
                    f"{results}/part-eval/slurm/array.sbatch"],
            ["105", f"--parsable --dependency=afterany:104 {results}/part-eval/slurm/merge.sbatch"],
            ["106", f"--parsable --dependency=afterany:103:105 {results}/two-parts/slurm/report.sbatch"],
        ])

    def test_the_resnet20_reproduction_prints_a_complete_chain(self):
        # From the repository root, where the suite's relative checkpoint paths resolve.
        results = os.path.join(self.tmp, "results")
        p = qharness(["slurm", "experiments/paper/all_resnet20.yaml", "--tasks", "4", "--print", "--results", results],
                     cwd=SOURCE_DIR)
        self.assert_exit(p, 0)
        submit = p.stdout.split("/paper-all-resnet20/slurm/submit.sh <==\n")[1]
        calls = [(v, a.strip(), f) for v, a, f in
                 re.findall(r"^(\w+)=\$\(sbatch --parsable(.*) (\S+\.sbatch)\)$", submit, re.M)]
        self.assertEqual(len(calls), 1 + 6 * 2 + 1, submit)
        var, args, script = calls[0]
        self.assertEqual(var, "checkpoint_1")
        self.assertRegex(script, r"/paper-all-resnet20/slurm/checkpoint-[0-9a-f]{12}\.sbatch$")
        loads_checkpoint = {"lapq-table-resnet20", "loss-hessian-resnet20", "loss-landscape-resnet20",
                            "masks-table-resnet20"}
        merges = []
        for k, part in enumerate(["lapq-table-resnet20", "loss-hessian-resnet20", "loss-landscape-resnet20",
                                  "luq-table-resnet20", "masks-table-resnet20", "masks-sparse-train-resnet20"]):
            (avar, aargs, ascript), (mvar, margs, mscript) = calls[1 + 2 * k], calls[2 + 2 * k]
            self.assertEqual(ascript, f"{results}/{part}/slurm/array.sbatch")
            self.assertIn("--array=0-3", aargs)
            self.assertEqual("--dependency=afterok:\"$checkpoint_1\"" in aargs, part in loads_checkpoint, part)
            self.assertEqual(mscript, f"{results}/{part}/slurm/merge.sbatch")
            self.assertEqual(margs, f"--dependency=afterany:\"${avar}\"")
            merges.append(f"\"${mvar}\"")
        var, args, script = calls[-1]
        self.assertEqual(script, f"{results}/paper-all-resnet20/slurm/report.sbatch")
        self.assertEqual(args, "--dependency=afterany:" + ":".join(merges))


if __name__ == "__main__":
    unittest.main()
