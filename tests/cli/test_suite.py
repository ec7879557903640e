"""Suites: one file that runs several experiments in order (the quickstart and the paper
reproduction are suites). Every part is validated before any trial runs, overrides reach
every part, each part keeps its own results folder, and the tables are printed at the end."""
import os
import unittest

from common import CliTestCase, qharness, trials_of, write

PART_A = """\
name: part-a
task: selftest
selftest: {function: quadratic, dim: 2}
sweep:
  seeds: [0, 1]
"""

PART_B = """\
name: part-b
task: selftest
selftest: {function: rosenbrock, dim: 2}
"""

SUITE = """\
name: both
suite: [parts/a.yaml, parts/b.yaml]
"""


class Suite(CliTestCase):
    def setUp(self):
        super().setUp()
        write(os.path.join(self.tmp, "parts/a.yaml"), PART_A)
        write(os.path.join(self.tmp, "parts/b.yaml"), PART_B)
        self.suite = write(os.path.join(self.tmp, "suite.yaml"), SUITE)

    def test_runs_every_part_with_the_overrides_and_prints_each_table(self):
        p = qharness(["run", self.suite, "selftest.dim=3"], cwd=self.tmp)
        self.assert_exit(p, 0)
        a = trials_of(os.path.join(self.tmp, "results/part-a/part-a.h5"))
        b = trials_of(os.path.join(self.tmp, "results/part-b/part-b.h5"))
        self.assertEqual(len(a), 2)
        self.assertEqual(len(b), 1)
        for t in list(a.values()) + list(b.values()):
            self.assertEqual(t["status"], "done")
            self.assertEqual(t["arrays"]["x_star"].shape, (3,))   # the override reached both parts
        tables = p.stdout[p.stdout.index("the tables"):]
        self.assertIn("part-a: 2 trial(s)", tables)
        self.assertIn("part-b: 1 trial(s)", tables)
        # A second run resumes: nothing to do in either part.
        p = qharness(["run", self.suite, "selftest.dim=3"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertEqual(p.stderr.count("already done, running 0;"), 2, p.stderr)

    def test_a_part_may_carry_its_own_overrides(self):
        f = write(os.path.join(self.tmp, "own.yaml"),
                  "name: own\nsuite:\n  - parts/a.yaml\n"
                  "  - {file: parts/a.yaml, overrides: [name=part-a4, selftest.dim=4, 'sweep.seeds=[5]']}\n")
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 0)
        plain = trials_of(os.path.join(self.tmp, "results/part-a/part-a.h5"))
        own = trials_of(os.path.join(self.tmp, "results/part-a4/part-a4.h5"))
        self.assertEqual([t["arrays"]["x_star"].shape for t in plain.values()], [(2,), (2,)])
        self.assertEqual([t["arrays"]["x_star"].shape for t in own.values()], [(4,)])
        # The command line's overrides reach both parts (and never add a part's trials twice).
        p = qharness(["run", f, "selftest.dim=3", "--dry-run"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertEqual(p.stdout.count("task=selftest"), 3, p.stdout)
        bad = write(os.path.join(self.tmp, "bad.yaml"), "name: s\nsuite:\n  - {file: parts/a.yaml, overides: [x=1]}\n")
        p = qharness(["run", bad], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("bad.yaml:3", p.stderr)
        self.assertIn("overides", p.stderr)

    def test_dry_run_lists_every_part(self):
        p = qharness(["run", self.suite, "--dry-run"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("suite 'both': 2 experiment(s), 3 trial(s)", p.stdout)
        self.assertIn("== part-a", p.stdout)
        self.assertIn("== part-b", p.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results")))

    def test_a_bad_last_part_stops_everything_before_the_first_trial(self):
        write(os.path.join(self.tmp, "parts/b.yaml"), PART_B.replace("dim: 2", "dimm: 2"))
        p = qharness(["run", self.suite], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("b.yaml:3", p.stderr)
        self.assertIn("dimm", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results/part-a")))

    def test_malformed_suites_are_named(self):
        cases = {
            "name: s\nsuite: [parts/missing.yaml]\n": "missing.yaml' does not exist",
            "name: s\nsuite: [parts/a.yaml]\ntask: selftest\n": "task: a suite file holds only",
            "name: s\nsuite: []\n": "non-empty list",
            "name: s\nsuite: [suite.yaml]\n": "is itself a suite",
        }
        for text, message in cases.items():
            f = write(os.path.join(self.tmp, "bad.yaml"), text)
            p = qharness(["run", f], cwd=self.tmp)
            self.assert_exit(p, 2)
            self.assertIn(message, p.stderr, text)
            self.assertIn("bad.yaml", p.stderr, text)
            # `qharness slurm` refuses it alike, before writing anything.
            p = qharness(["slurm", f, "--tasks", "2", "--print"], cwd=self.tmp)
            self.assert_exit(p, 2)
            self.assertIn(message, p.stderr, text)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "results")))


if __name__ == "__main__":
    unittest.main()
