"""`qharness slurm` on a real single-node Slurm cluster on localhost (slurmctld + slurmd + munged
from Debian's packages, installed here when missing and running as root; see slurm_cluster.py):
a 12-trial selftest sweep as a 3-task array plus the merge job; one array task cancelled midway
still lets the merge run (afterany) and report what is missing; a resubmission while tasks run
is refused; the resubmission after the array ended submits only the cancelled task, which runs
only its missing trials; the merged file equals an unsharded local run, trial for trial.
Skipped, saying why, only where Slurm cannot be installed. The scripts alone: test_slurm_scripts.py."""
import os
import re
import subprocess
import time
import unittest

import h5py

from common import CliTestCase, QHARNESS, SWEEP_12, base_env, qharness, trials_of, write
from slurm_cluster import SlurmCluster

# Seconds each trial sleeps in the cluster test: long enough to cancel a task between trials.
SLEEP_S = 0.8

# Installs the packages when they are missing and we are root; None when a cluster can run.
SKIP_REASON = SlurmCluster.unavailable()


@unittest.skipIf(SKIP_REASON, f"no local Slurm cluster: {SKIP_REASON}")
class SlurmCluster12Trials(CliTestCase):
    """The sweep on a real slurmctld/slurmd: array + merge, a cancelled task, resubmission."""

    def setUp(self):
        super().setUp()
        self.local = None
        self.cluster = SlurmCluster(os.path.join(self.tmp, "cluster"))
        self.cluster.__enter__()

    def tearDown(self):
        # Before the temporary folder goes: it holds the cluster's munge socket and state.
        self.cluster.stop()
        if self.local and self.local.poll() is None:
            self.local.kill()
            self.local.wait()
        super().tearDown()

    def submit(self, cwd):
        p = qharness(["slurm", "sweep.yaml", "--tasks", "3", "--time", "5:00"], cwd=cwd,
                     env=self.cluster.env(base_env()))
        self.assert_exit(p, 0)
        m = re.search(r"submitted array job (\d+) \(tasks (\S+) of 0-2\) and merge job (\d+)", p.stdout)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        return m.group(1), m.group(2), m.group(3)

    def merge_log(self, d, merge_id):
        with open(os.path.join(d, f"results/sweep12/slurm/logs/qh-sweep12-merge-{merge_id}.out")) as f:
            return f.read()

    def test_array_merge_cancel_and_resubmit_equal_a_local_run(self):
        yaml = SWEEP_12.format(sleep=SLEEP_S)
        # The unsharded local run, alongside the cluster's (it mostly sleeps).
        local_dir = os.path.join(self.tmp, "local")
        write(os.path.join(local_dir, "sweep.yaml"), yaml)
        self.local = local = subprocess.Popen([QHARNESS, "run", "sweep.yaml"], cwd=local_dir, env=base_env(),
                                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        d = os.path.join(self.tmp, "cluster-run")
        write(os.path.join(d, "sweep.yaml"), yaml)
        listing = qharness(["run", "sweep.yaml", "--dry-run"], cwd=d).stdout
        ids = dict(re.findall(r"^\s+(\d+)\s+([0-9a-f]{12})\s", listing, re.M))
        self.assertEqual(len(ids), 12, listing)
        shard1 = [tid for k, tid in ids.items() if int(k) % 3 == 1]
        trial_file = lambda tid: os.path.join(d, "results/sweep12/trials", tid + ".h5")

        array_id, tasks, merge_id = self.submit(d)
        self.assertEqual(tasks, "0-2")
        # Cancel task 1 once its first trial is written: the other three are not done then.
        deadline = time.monotonic() + 60
        while not any(os.path.exists(trial_file(t)) for t in shard1):
            self.assertLess(time.monotonic(), deadline, "task 1 wrote no trial in 60 s\n" + self.cluster.logs())
            time.sleep(0.05)
        self.cluster.command(["scancel", f"{array_id}_1"])
        # Tasks 0 and 2 still run: a resubmission now would run their trials twice, and is refused.
        busy = qharness(["slurm", "sweep.yaml", "--tasks", "3"], cwd=d, env=self.cluster.env(base_env()))
        self.assert_exit(busy, 2)
        self.assertIn(f"job(s) {array_id} of experiment 'sweep12' are still queued or running", busy.stderr)

        states = self.cluster.wait_for_jobs([array_id, merge_id], timeout=90)
        self.assertEqual(states[f"{array_id}_1"][0], "CANCELLED", states)
        self.assertEqual(states[f"{array_id}_0"][0], "COMPLETED", states)
        self.assertEqual(states[f"{array_id}_2"][0], "COMPLETED", states)
        # afterany: the merge ran although a task was cancelled, said what is missing, exited 1.
        self.assertEqual(states[merge_id], ("FAILED", "1:0"), states)
        done_1 = [t for t in shard1 if os.path.exists(trial_file(t))]
        self.assertGreaterEqual(len(done_1), 1)
        self.assertLess(len(done_1), 4, "task 1 finished before it was cancelled: nothing to resume")
        self.assertIn(f"{8 + len(done_1)} done, 0 failed, {4 - len(done_1)} missing", self.merge_log(d, merge_id))
        finished_before = {tid: os.stat(trial_file(tid)).st_mtime_ns for tid in ids.values()
                           if os.path.exists(trial_file(tid))}

        # Resubmitting submits task 1 only, which runs only the trials still missing.
        array2, tasks2, merge2 = self.submit(d)
        self.assertEqual(tasks2, "1")
        states = self.cluster.wait_for_jobs([array2, merge2], timeout=90)
        self.assertEqual(states, {f"{array2}_1": ("COMPLETED", "0:0"), merge2: ("COMPLETED", "0:0")})
        self.assertIn("12 done, 0 failed, 0 missing", self.merge_log(d, merge2))
        with open(os.path.join(d, f"results/sweep12/slurm/logs/qh-sweep12-{array2}_1.out")) as f:
            self.assertIn(f"4 trial(s), {len(done_1)} already done, running {4 - len(done_1)}", f.read())
        for tid, mtime in finished_before.items():
            self.assertEqual(os.stat(trial_file(tid)).st_mtime_ns, mtime, f"trial {tid} ran again")

        # The merged file equals the unsharded local run, trial for trial.
        _, local_err = local.communicate(timeout=60)
        self.assertEqual(local.returncode, 0, local_err)
        whole = trials_of(os.path.join(local_dir, "results/sweep12/sweep12.h5"))
        merged = trials_of(os.path.join(d, "results/sweep12/sweep12.h5"))
        self.assertEqual(sorted(merged), sorted(whole))
        for tid in whole:
            self.assertEqual(merged[tid]["status"], "done")
            self.assertEqual(merged[tid]["metrics"], whole[tid]["metrics"])
            self.assertEqual(merged[tid]["arrays"]["x_star"].tolist(), whole[tid]["arrays"]["x_star"].tolist())
        with h5py.File(os.path.join(d, "results/sweep12/sweep12.h5"), "r") as h:
            self.assertEqual(list(h["summary"]["index"]), list(range(12)))


if __name__ == "__main__":
    unittest.main()
