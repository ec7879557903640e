"""`qharness slurm SUITE.yaml` on a real single-node Slurm cluster on localhost (slurm_cluster.py):
a suite of two parts that load one checkpoint. The checkpoint is trained once, by its own job,
before both parts' arrays (which wait for it, afterok) and never by an array task; each part's
merge runs after its array, the suite's report after both merges. One part's array cancelled
before it starts still lets its merge and the report run (and say what is missing); the
resubmission submits only that part's array, its merge and the report (no checkpoint training,
nothing for the finished part), and the merged results equal a local `qharness run` of the suite.
Skipped, saying why, only where Slurm cannot be installed. --print alone: test_slurm_scripts.py."""
import os
import re
import subprocess
import unittest

from common import CliTestCase, QHARNESS, base_env, qharness, trials_of, write
from slurm_cluster import SlurmCluster

SKIP_REASON = SlurmCluster.unavailable()

DATA = "data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 192, test_size: 64}, calibration: {size: 64}}"

TRAIN = f"""\
name: tiny-train
task: train
threads: 1
{DATA}
model: {{arch: mlp}}
train: {{epochs: 2, lr: 0.05}}
"""

PTQ = f"""\
name: part-ptq
task: ptq
threads: 1
{DATA}
model: {{arch: mlp, checkpoint: {{train: train.yaml}}}}
quant:
  weights: {{quantizer: uniform, bits: 4}}
  activations: {{quantizer: uniform, bits: 8}}
sweep:
  grid:
    ptq.method: [minmax, mse]
"""

EVAL = f"""\
name: part-eval
task: evaluate
threads: 1
{DATA}
model: {{arch: mlp, checkpoint: {{train: train.yaml}}}}
sweep:
  grid:
    data.batch_size: [16, 32]
"""

SUITE = "name: two-parts\nsuite: [ptq.yaml, eval.yaml]\n"


def write_suite(d):
    for name, text in (("train.yaml", TRAIN), ("ptq.yaml", PTQ), ("eval.yaml", EVAL), ("suite.yaml", SUITE)):
        write(os.path.join(d, name), text)


def submitted(stdout):
    """{label: (job id, [job ids it waits for])} from the lines `submitted LABEL: job ID (after A, B)`."""
    jobs = {}
    for label, jid, after in re.findall(r"^submitted (.+?): job (\d+)(?: \(after ([\d, ]+)\))?$", stdout, re.M):
        jobs[label] = (jid, after.split(", ") if after else [])
    return jobs


@unittest.skipIf(SKIP_REASON, f"no local Slurm cluster: {SKIP_REASON}")
class SlurmSuiteCluster(CliTestCase):

    def setUp(self):
        super().setUp()
        self.cluster = SlurmCluster(os.path.join(self.tmp, "cluster"))
        self.cluster.__enter__()

    def tearDown(self):
        self.cluster.stop()   # before the temporary folder (its munge socket and state) goes
        super().tearDown()

    def slurm(self, d):
        p = qharness(["slurm", "suite.yaml", "--tasks", "2", "--time", "5:00"], cwd=d, env=self.cluster.env(base_env()))
        self.assert_exit(p, 0)
        return p, submitted(p.stdout)

    def node(self, state):
        self.cluster.command(["scontrol", "update", f"NodeName={self.cluster.node_name}", f"State={state}"]
                             + (["Reason=test"] if state == "DRAIN" else []))

    def log(self, path):
        with open(path) as f:
            return f.read()

    def test_checkpoint_once_then_parts_then_report_and_resubmit_only_what_is_missing(self):
        d = os.path.join(self.tmp, "cluster-run")
        write_suite(d)
        listing = qharness(["run", "train.yaml", "--dry-run"], cwd=d).stdout
        (train_id,) = re.findall(r"^\s+0\s+([0-9a-f]{12})\s", listing, re.M)
        ckpt_path = os.path.join(d, "results/checkpoints", train_id + ".pt")

        # The node drained: every job stays pending until the eval part's array is cancelled.
        self.node("DRAIN")
        p, jobs = self.slurm(d)
        ckpt = f"checkpoint training {train_id} ({d}/train.yaml)"
        self.assertEqual(list(jobs), [ckpt, "array of part-ptq (tasks 0-1 of 0-1)", "merge of part-ptq",
                                      "array of part-eval (tasks 0-1 of 0-1)", "merge of part-eval",
                                      "report of suite two-parts"], p.stdout)
        ckpt_job = jobs[ckpt][0]
        ptq_array, ptq_merge = jobs["array of part-ptq (tasks 0-1 of 0-1)"][0], jobs["merge of part-ptq"][0]
        eval_array, eval_merge = jobs["array of part-eval (tasks 0-1 of 0-1)"][0], jobs["merge of part-eval"][0]
        report = jobs["report of suite two-parts"][0]
        # One checkpoint job for both parts; each array after it, each merge after its array,
        # the report after both merges.
        self.assertEqual(jobs["array of part-ptq (tasks 0-1 of 0-1)"][1], [ckpt_job])
        self.assertEqual(jobs["array of part-eval (tasks 0-1 of 0-1)"][1], [ckpt_job])
        self.assertEqual(jobs["merge of part-ptq"][1], [ptq_array])
        self.assertEqual(jobs["merge of part-eval"][1], [eval_array])
        self.assertEqual(jobs["report of suite two-parts"][1], [ptq_merge, eval_merge])
        # Slurm holds the same chain: afterok on the checkpoint, afterany after arrays and merges.
        dep = lambda j: re.search(r"Dependency=(\S+)", self.cluster.command(["scontrol", "show", "job", j])).group(1)
        self.assertTrue(dep(ptq_array).startswith(f"afterok:{ckpt_job}"), dep(ptq_array))
        self.assertTrue(dep(report).startswith(f"afterany:{ptq_merge}"), dep(report))
        # A resubmission while the checkpoint or an array is queued is refused.
        busy = qharness(["slurm", "suite.yaml", "--tasks", "2"], cwd=d, env=self.cluster.env(base_env()))
        self.assert_exit(busy, 2)
        self.assertIn("of suite 'two-parts' (arrays or checkpoint trainings) are still queued or running", busy.stderr)

        self.cluster.command(["scancel", eval_array])
        self.node("RESUME")
        states = self.cluster.wait_for_jobs([ckpt_job, ptq_array, ptq_merge, eval_array, eval_merge, report],
                                            timeout=120)
        self.assertEqual(states[ckpt_job], ("COMPLETED", "0:0"), states)
        self.assertEqual(states[f"{ptq_array}_0"], ("COMPLETED", "0:0"), states)
        self.assertEqual(states[f"{ptq_array}_1"], ("COMPLETED", "0:0"), states)
        self.assertEqual(states[ptq_merge], ("COMPLETED", "0:0"), states)
        self.assertTrue(all(s == "CANCELLED" for j, (s, _) in states.items() if j.startswith(eval_array)), states)
        # afterany: the eval merge and the report ran although the eval array never did, and
        # said so (the merge found no results: exit 2; the report lacks a part: exit 1).
        self.assertEqual(states[eval_merge], ("FAILED", "2:0"), states)
        self.assertEqual(states[report], ("FAILED", "1:0"), states)
        self.assertIn("merge: no results files under",
                      self.log(f"{d}/results/part-eval/slurm/logs/qh-part-eval-merge-{eval_merge}.out"))
        report_md = self.log(f"{d}/results/two-parts/report.md")
        self.assertIn("## part-ptq", report_md)
        self.assertIn("| minmax", report_md)

        # The checkpoint was trained by its job, once; no array task trained it.
        self.assertTrue(os.path.exists(ckpt_path))
        ckpt_mtime = os.stat(ckpt_path).st_mtime_ns
        for task in (0, 1):
            task_log = self.log(f"{d}/results/part-ptq/slurm/logs/qh-part-ptq-{ptq_array}_{task}.out")
            self.assertNotIn("for the checkpoint cache", task_log)
        self.assertIn("1 trial(s), 0 already done, running 1",
                      self.log(f"{d}/results/two-parts/slurm/logs/qh-checkpoint-{train_id}-{ckpt_job}.out"))
        ptq_trials = {f: os.stat(os.path.join(d, "results/part-ptq/trials", f)).st_mtime_ns
                      for f in os.listdir(os.path.join(d, "results/part-ptq/trials"))}
        self.assertEqual(len(ptq_trials), 2)

        # Resubmitted: only the eval part's array (no checkpoint wait: it exists), its merge, the report.
        p, jobs = self.slurm(d)
        self.assertEqual(list(jobs), ["array of part-eval (tasks 0-1 of 0-1)", "merge of part-eval",
                                      "report of suite two-parts"], p.stdout)
        self.assertEqual(jobs["array of part-eval (tasks 0-1 of 0-1)"][1], [])
        self.assertIn("part 'part-ptq': 2 trial(s) in 2 array task(s); every trial done and merged", p.stderr)
        states = self.cluster.wait_for_jobs([j for j, _ in jobs.values()], timeout=120)
        self.assertTrue(all(s == ("COMPLETED", "0:0") for s in states.values()), states)
        self.assertEqual(os.stat(ckpt_path).st_mtime_ns, ckpt_mtime, "the checkpoint was trained again")
        for f, mtime in ptq_trials.items():
            self.assertEqual(os.stat(os.path.join(d, "results/part-ptq/trials", f)).st_mtime_ns, mtime, f"{f} ran again")
        report_md = self.log(f"{d}/results/two-parts/report.md")
        self.assertIn("## part-eval", report_md)
        self.assertIn("| 16", report_md)

        # Nothing left: nothing is submitted.
        p = qharness(["slurm", "suite.yaml", "--tasks", "2"], cwd=d, env=self.cluster.env(base_env()))
        self.assert_exit(p, 0)
        self.assertIn("nothing to submit", p.stdout)

        # The merged results equal a local run of the whole suite, trial for trial.
        local = os.path.join(self.tmp, "local")
        write_suite(local)
        self.assert_exit(subprocess.run([QHARNESS, "run", "suite.yaml"], cwd=local, env=base_env(),
                                        capture_output=True, text=True, timeout=300), 0)
        for part in ("part-ptq", "part-eval"):
            merged = trials_of(os.path.join(d, f"results/{part}/{part}.h5"))
            whole = trials_of(os.path.join(local, f"results/{part}/{part}.h5"))
            self.assertEqual(sorted(merged), sorted(whole))
            for tid in whole:
                drop = lambda m: {k: v for k, v in m.items() if not k.endswith("wall_s")}
                self.assertEqual(drop(merged[tid]["metrics"]), drop(whole[tid]["metrics"]), f"{part} {tid}")


if __name__ == "__main__":
    unittest.main()
