"""Sweeps from the file and the command line, trial ids, failure handling, resume/--force,
the HDF5 layout of docs/design.md and `qharness report`."""
import os
import re
import unittest

import h5py
import numpy as np

from common import CliTestCase, SWEEP_12, qharness, write


def dry_run_ids(proc):
    return re.findall(r"^\s+\d+\s+([0-9a-f]{12})\s", proc.stdout, re.M)


class Sweeps(CliTestCase):
    def test_dry_run_expands_grid_zip_seeds_and_command_line_axes(self):
        f = write(os.path.join(self.tmp, "s.yaml"), SWEEP_12.format(sleep=0))
        p = qharness(["run", f, "--dry-run"], cwd=self.tmp)
        self.assert_exit(p, 0)
        ids = dry_run_ids(p)
        self.assertEqual(len(ids), 12)
        self.assertEqual(len(set(ids)), 12)
        self.assertEqual(dry_run_ids(qharness(["run", f, "--dry-run"], cwd=self.tmp)), ids)  # stable
        # A command-line axis multiplies; a plain override replaces the file's axis.
        p = qharness(["run", f, "--dry-run", "selftest.size=10,20,30"], cwd=self.tmp)
        self.assertEqual(len(dry_run_ids(p)), 36)
        p = qharness(["run", f, "--dry-run", "selftest.dim=5"], cwd=self.tmp)
        self.assertEqual(len(dry_run_ids(p)), 4)
        self.assertIn("selftest.function: quadratic, seed: 0}", p.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results")), "--dry-run wrote results")

    def test_zip_advances_together(self):
        f = write(os.path.join(self.tmp, "z.yaml"),
                  "name: z\ntask: selftest\nsweep:\n  zip:\n    selftest.dim: [2, 3, 4]\n"
                  "    selftest.function: [quadratic, rosenbrock, quadratic]\n  seeds: [7, 8]\n")
        p = qharness(["run", f, "--dry-run"], cwd=self.tmp)
        self.assertEqual(len(dry_run_ids(p)), 6)
        self.assertIn("{selftest.dim: 3, selftest.function: rosenbrock, seed: 8}", p.stdout)

    def test_failed_trials_are_recorded_and_the_sweep_goes_on(self):
        f = write(os.path.join(self.tmp, "fail.yaml"),
                  "name: fail\ntask: selftest\nsweep:\n  grid:\n    selftest.function: [quadratic, nan, rosenbrock]\n")
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 1)
        self.assertIn("non-finite loss: the loss is NaN at evaluation 1", p.stderr)
        with h5py.File(os.path.join(self.tmp, "results/fail/fail.h5"), "r") as h:
            status = {g.attrs["swept"]: (g.attrs["status"], g.attrs["error"]) for g in h["trials"].values()}
        self.assertEqual(status["{selftest.function: quadratic}"], ("done", ""))
        self.assertEqual(status["{selftest.function: rosenbrock}"], ("done", ""))
        self.assertEqual(status["{selftest.function: nan}"][0], "failed")
        self.assertIn("NaN", status["{selftest.function: nan}"][1])
        r = qharness(["report", os.path.join(self.tmp, "results/fail")], cwd=self.tmp)
        self.assert_exit(r, 0)
        self.assertRegex(r.stdout, r"failed .*non-finite loss")
        # Resume reruns only what is not done: the failed trial.
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 1)
        self.assertIn("3 trial(s), 2 already done, running 1", p.stderr)

    def test_resume_and_force(self):
        f = write(os.path.join(self.tmp, "s.yaml"), SWEEP_12.format(sleep=0))
        self.assert_exit(qharness(["run", f], cwd=self.tmp), 0)
        p = qharness(["run", f, "--resume"], cwd=self.tmp)
        self.assertIn("12 already done, running 0", p.stderr)
        p = qharness(["run", f, "--force"], cwd=self.tmp)
        self.assertIn("0 already done, running 12", p.stderr)
        # A new axis value runs only the new trials.
        p = qharness(["run", f, "selftest.dim=2,3,4,5"], cwd=self.tmp)
        self.assertIn("16 trial(s), 12 already done, running 4", p.stderr)

    def test_narrowed_and_widened_runs_into_one_folder(self):
        f = write(os.path.join(self.tmp, "s.yaml"), SWEEP_12.format(sleep=0))
        h5 = os.path.join(self.tmp, "results/sweep12/sweep12.h5")
        # dim set as one value: not a swept key of these 4 trials.
        p = qharness(["run", f, "selftest.dim=2"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertNotIn("note:", p.stderr)
        # The whole sweep resumes them, and /summary's dim column says 2 for them too (their
        # resolved config), not a blank/NaN that a report would show as an unlabelled row.
        p = qharness(["run", f], cwd=self.tmp)
        self.assertIn("12 trial(s), 4 already done, running 8", p.stderr)
        with h5py.File(h5, "r") as h:
            s = h["summary"][()]
        self.assertEqual(len(s), 12)
        self.assertEqual(sorted(s["selftest.dim"].tolist()), [2.0] * 4 + [3.0] * 4 + [4.0] * 4)
        # A narrower run rewrites the file with its own trials and says what left it.
        p = qharness(["run", f, "selftest.dim=3"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("4 trial(s), 4 already done, running 0", p.stderr)
        self.assertRegex(p.stderr, r"note: .*sweep12\.h5 held 8 trial\(s\) that this sweep does not list")
        with h5py.File(h5, "r") as h:
            self.assertEqual(len(h["trials"]), 4)
        self.assertEqual(len(os.listdir(os.path.join(self.tmp, "results/sweep12/trials"))), 12)

    def test_results_file_layout(self):
        f = write(os.path.join(self.tmp, "s.yaml"), SWEEP_12.format(sleep=0))
        self.assert_exit(qharness(["run", f, "seed=3"], cwd=self.tmp), 0)
        with h5py.File(os.path.join(self.tmp, "results/sweep12/sweep12.h5"), "r") as h:
            for key in ("qharness_version", "git_commit", "git_dirty", "torch_version", "created", "experiment_yaml"):
                self.assertIn(key, h.attrs)
            self.assertEqual(h.attrs["experiment_yaml"], SWEEP_12.format(sleep=0))
            self.assertRegex(h.attrs["git_commit"], r"^([0-9a-f]{40}|unknown)$")
            self.assertTrue(h.attrs["torch_version"].startswith("1.13"))
            self.assertEqual(len(h["trials"]), 12)
            g = next(iter(h["trials"].values()))
            for key in ("config", "seed", "status", "error", "started", "finished", "wall_s"):
                self.assertIn(key, g.attrs)
            self.assertIn("task: selftest", g.attrs["config"])
            self.assertEqual(set(g), {"metrics", "series", "arrays"})
            self.assertEqual(g["metrics/f_star"].shape, ())
            self.assertEqual(g["series/loss_trace"].ndim, 1)
            self.assertEqual(g["series/loss_trace"].shape[0], int(g["metrics/evals"][()]))
            s = h["summary"][()]
            self.assertEqual(len(s), 12)
            for field in ("trial_id", "status", "seed", "selftest.function", "selftest.dim", "f_star", "evals", "wall_s"):
                self.assertIn(field, s.dtype.names)
            self.assertTrue(np.all(s["status"] == b"done"))
            self.assertEqual(s["selftest.dim"].dtype, np.float64)   # numeric sweep values stay numbers
            # selftest minimizes to the known minimum: the optimizer really ran.
            self.assertTrue(np.all(s["f_star"] < 1e-6), s["f_star"])

    def test_report_markdown(self):
        f = write(os.path.join(self.tmp, "s.yaml"), SWEEP_12.format(sleep=0))
        self.assert_exit(qharness(["run", f], cwd=self.tmp), 0)
        r = qharness(["report", os.path.join(self.tmp, "results/sweep12"), "--markdown"], cwd=self.tmp)
        self.assert_exit(r, 0)
        lines = [l for l in r.stdout.splitlines() if l.startswith("|")]
        self.assertEqual(len(lines), 2 + 12)
        self.assertIn("| trial_id | status | seed | selftest.function | selftest.dim |", lines[0])
        r = qharness(["report", os.path.join(self.tmp, "results/nothing")], cwd=self.tmp)
        self.assert_exit(r, 2)


if __name__ == "__main__":
    unittest.main()
