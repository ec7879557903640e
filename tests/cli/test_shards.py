"""Three shards merged equal one unsharded run, trial for trial; Slurm's array variables pick
the shard; a merge with a shard missing says which trials are missing."""
import os
import unittest

import h5py

from common import CliTestCase, SWEEP_12, base_env, qharness, trials_of, write


class Shards(CliTestCase):
    def setUp(self):
        super().setUp()
        self.yaml = SWEEP_12.format(sleep=0)

    def run_unsharded(self):
        d = os.path.join(self.tmp, "whole")
        f = write(os.path.join(d, "sweep.yaml"), self.yaml)
        self.assert_exit(qharness(["run", f], cwd=d), 0)
        return trials_of(os.path.join(d, "results/sweep12/sweep12.h5"))

    def test_three_shards_merged_equal_an_unsharded_run(self):
        whole = self.run_unsharded()
        d = os.path.join(self.tmp, "sharded")
        f = write(os.path.join(d, "sweep.yaml"), self.yaml)
        ran = []
        for i in range(3):
            p = qharness(["run", f, "--shard", f"{i}/3"], cwd=d)
            self.assert_exit(p, 0)
            shard_file = os.path.join(d, f"results/sweep12/shards/sweep12.shard-{i}-of-3.h5")
            shard = trials_of(shard_file)
            self.assertEqual(len(shard), 4)  # trial k runs in shard k mod 3
            with h5py.File(shard_file, "r") as h:
                for tid, g in h["trials"].items():
                    self.assertEqual(g.attrs["index"] % 3, i)
            ran += list(shard)
        self.assertEqual(len(set(ran)), 12)
        self.assertFalse(os.path.exists(os.path.join(d, "results/sweep12/sweep12.h5")))
        m = qharness(["merge", os.path.join(d, "results/sweep12")], cwd=d)
        self.assert_exit(m, 0)
        self.assertIn("12 done, 0 failed, 0 missing", m.stderr)
        merged = trials_of(os.path.join(d, "results/sweep12/sweep12.h5"))
        self.assertEqual(sorted(merged), sorted(whole))
        for tid in whole:
            self.assertEqual(merged[tid]["metrics"], whole[tid]["metrics"])
            self.assertEqual(merged[tid]["arrays"]["x_star"].tolist(), whole[tid]["arrays"]["x_star"].tolist())
        with h5py.File(os.path.join(d, "results/sweep12/sweep12.h5"), "r") as h:
            self.assertEqual(list(h["summary"]["index"]), list(range(12)))

    def test_slurm_array_variables_select_the_shard(self):
        d = os.path.join(self.tmp, "slurm")
        f = write(os.path.join(d, "sweep.yaml"), self.yaml)
        p = qharness(["run", f], cwd=d, env=base_env(SLURM_ARRAY_TASK_ID="1", SLURM_ARRAY_TASK_COUNT="4"))
        self.assert_exit(p, 0)
        shard = trials_of(os.path.join(d, "results/sweep12/shards/sweep12.shard-1-of-4.h5"))
        self.assertEqual(len(shard), 3)

    def test_merge_reports_missing_trials(self):
        d = os.path.join(self.tmp, "partial")
        f = write(os.path.join(d, "sweep.yaml"), self.yaml)
        for i in (0, 2):
            self.assert_exit(qharness(["run", f, "--shard", f"{i}/3"], cwd=d), 0)
        m = qharness(["merge", os.path.join(d, "results/sweep12")], cwd=d)
        self.assert_exit(m, 1)
        self.assertIn("8 done, 0 failed, 4 missing", m.stderr)
        # Running the missing shard and merging again completes the experiment.
        self.assert_exit(qharness(["run", f, "--shard", "1/3"], cwd=d), 0)
        self.assert_exit(qharness(["merge", os.path.join(d, "results/sweep12")], cwd=d), 0)

    def test_bad_shard_spec_is_bad_input(self):
        f = write(os.path.join(self.tmp, "sweep.yaml"), self.yaml)
        p = qharness(["run", f, "--shard", "3/3"], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("--shard 3/3", p.stderr)
        # Whole numbers only: these ran shard 0 or 1 before (stoi stops at the first non-digit).
        for spec in ("0x1/3", "1.9/3", "1/3.0", " 1/3", "+1/3", "1/3/3", "1/"):
            p = qharness(["run", f, "--shard", spec], cwd=self.tmp)
            self.assert_exit(p, 2)
            self.assertIn(f"--shard: expected I/N in whole numbers (e.g. 0/4), got '{spec}'", p.stderr)
        p = qharness(["run", f], cwd=self.tmp, env=base_env(SLURM_ARRAY_TASK_ID="1.5", SLURM_ARRAY_TASK_COUNT="3"))
        self.assert_exit(p, 2)
        self.assertIn("$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT: expected I/N", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results")))


if __name__ == "__main__":
    unittest.main()
