"""`qharness report` renders the pivot tables an experiment's `report:` block declares (or
--rows/--cols/--metric give): cells are mean ± sample std over the trials of the cell, checked
here against numbers computed from /summary with h5py; missing cells show "—", failed trials
are counted and listed, never averaged; --markdown renders the same table; --summary and files
without a report: block keep the plain summary."""
import os
import re
import unittest

import h5py
import numpy as np

from common import CliTestCase, qharness, write

# 5 zip points x 3 seeds = 15 selftest trials (about a second): quadratic at dim 2 twice (two
# tensor sizes: 6 trials in one cell), the nan function fails by design.
EXPERIMENT = """\
name: piv
task: selftest
sweep:
  zip:
    selftest.function: [quadratic, quadratic, rosenbrock, nan, quadratic]
    selftest.dim: [2, 3, 2, 3, 2]
    selftest.size: [4096, 4096, 4096, 4096, 1024]
  seeds: [0, 1, 2]
report:
  tables:
    - rows: [fn=selftest.function]
      cols: [d=selftest.dim]
      metric: evals
    - title: f_star at dim 2
      rows: [selftest.dim, selftest.function]
      metric: evals
      baseline: selftest.function=quadratic
      where: [selftest.dim=2]
    - title: either function
      rows: [selftest.function]
      metric: evals
      where: [selftest.function=rosenbrock|nan]
"""


def summary_rows(h5_path):
    with h5py.File(h5_path, "r") as f:
        table = f["summary"][()]
    def text(v):
        return v.decode() if isinstance(v, bytes) else str(v)
    return [{name: (text(row[name]) if table.dtype[name].kind == "S" else float(row[name]))
             for name in table.dtype.names} for row in table]


def cell_text(values):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.2f} ± {values.std(ddof=1):.2f}"


class ReportTables(CliTestCase):
    def run_experiment(self, text=EXPERIMENT):
        f = write(os.path.join(self.tmp, "piv.yaml"), text)
        self.assert_exit(qharness(["run", f], cwd=self.tmp), 1)  # the nan trials fail
        return os.path.join(self.tmp, "results/piv")

    def report(self, *args, code=0):
        r = qharness(["report", *args], cwd=self.tmp)
        self.assert_exit(r, code)
        return r.stdout

    def line_of(self, out, first_cell):
        lines = [l for l in out.splitlines() if l.split("  ")[0].strip() == first_cell]
        self.assertTrue(lines, f"no row {first_cell!r} in\n{out}")
        return lines[0]

    def test_pivot_cells_are_mean_and_std_over_seeds(self):
        results = self.run_experiment()
        rows = summary_rows(os.path.join(results, "piv.h5"))
        def evals(fn, dim):
            return [r["evals"] for r in rows if r["selftest.function"] == fn and r["selftest.dim"] == dim
                    and r["status"] == "done"]
        out = self.report(results)
        first = out.split("\n\n")[1]  # the first table
        self.assertIn("evals by fn x d", first)
        quadratic = self.line_of(first, "quadratic")
        self.assertEqual(len(evals("quadratic", 2)), 6)
        self.assertIn(cell_text(evals("quadratic", 2)) + " (n=6)", quadratic)   # count differs: shown
        self.assertIn(cell_text(evals("quadratic", 3)), quadratic)
        self.assertNotIn(cell_text(evals("quadratic", 3)) + " (n=", quadratic)  # the usual count: not shown
        rosenbrock = self.line_of(first, "rosenbrock")
        self.assertIn(cell_text(evals("rosenbrock", 2)), rosenbrock)
        self.assertTrue(rosenbrock.rstrip().endswith("—"), rosenbrock)            # no trial at (rosenbrock, 3)
        # Failed trials: counted in their cell and listed with their ids, never averaged.
        nan = self.line_of(first, "nan")
        self.assertIn("— [3 failed]", nan)
        failed_ids = [r["trial_id"] for r in rows if r["status"] == "failed"]
        self.assertEqual(len(failed_ids), 3)
        self.assertIn("3 failed trial(s), not averaged", first)
        for tid in failed_ids:
            self.assertIn(tid, first)
        self.assertIn("cells pool trials that differ in selftest.size", first)

        # The second table: a filter and the degradation against the baseline row.
        second = out.split("\n\n")[2]
        self.assertIn("f_star at dim 2", second)
        self.assertNotIn("nan", second.split("\n  ")[0])  # dim 3 trials filtered out
        rosen_line = [l for l in second.splitlines() if "rosenbrock" in l][0]
        delta = np.mean(evals("rosenbrock", 2)) - np.mean(evals("quadratic", 2))
        self.assertTrue(rosen_line.rstrip().endswith(f"{delta:+.2f}"), rosen_line)
        quad_line = [l for l in second.splitlines() if l.startswith("2") and "quadratic" in l][0]
        self.assertTrue(quad_line.rstrip().endswith("+0.00"), quad_line)

        # where with alternatives (a|b): only those rows.
        third = out.split("\n\n")[3]
        self.assertEqual([l.split()[0] for l in third.splitlines()[3:5]], ["rosenbrock", "nan"])
        self.assertNotIn("quadratic", third)

    def test_markdown_renders_the_same_table(self):
        results = self.run_experiment()
        text = self.report(results)
        md = self.report(results, "--markdown")
        self.assertIn("**evals by fn x d**", md)
        self.assertIn("| fn | 2 | 3 |", md)
        quadratic_text = [c.strip() for c in self.line_of(text.split("\n\n")[1], "quadratic").split("  ") if c.strip()]
        self.assertIn("| " + " | ".join(quadratic_text) + " |", md)
        self.assertIn("| nan | — | — [3 failed] |", md)

    def test_flags_override_the_layout_and_summary_stays_available(self):
        results = self.run_experiment()
        rows = summary_rows(os.path.join(results, "piv.h5"))
        out = self.report(results, "--rows", "selftest.function", "--cols", "", "--metric", "iterations")
        self.assertEqual(out.count(" by "), 1)  # one table, from the flags
        done = [r["iterations"] for r in rows if r["selftest.function"] == "rosenbrock"]
        self.assertIn(cell_text(done), self.line_of(out, "rosenbrock"))
        plain = self.report(results, "--summary")
        self.assertIn("trial_id", plain)
        self.assertEqual(len([l for l in plain.splitlines() if re.match(r"^[0-9a-f]{12} ", l)]), 15)

    def test_without_report_block_the_summary_table_is_printed(self):
        results = self.run_experiment(EXPERIMENT.split("report:")[0])
        out = self.report(results)
        self.assertIn("trial_id", out)
        self.assertNotIn("±", out)

    def test_bad_keys_are_named(self):
        results = self.run_experiment()
        err = qharness(["report", results, "--rows", "selftest.fuction"], cwd=self.tmp)
        self.assert_exit(err, 2)
        self.assertIn("'selftest.fuction'", err.stderr)
        self.assertIn("did you mean 'selftest.function'", err.stderr)
        err = qharness(["report", results, "--rows", "selftest.function", "--metric", "top1"], cwd=self.tmp)
        self.assert_exit(err, 2)
        self.assertIn("metric 'top1'", err.stderr)
        self.assertIn("evals", err.stderr)
        bad = write(os.path.join(self.tmp, "bad.yaml"),
                    EXPERIMENT.replace("    - rows: [fn=", "    - rowz: [fn="))
        err = qharness(["run", bad, "--dry-run"], cwd=self.tmp)
        self.assert_exit(err, 2)
        self.assertIn("report.tables[0].rowz", err.stderr)

    def test_a_table_whose_trials_have_not_run_yet_says_so(self):
        # A sweep half done: the table's rows (selftest.dim=7 here, quadfit's in a Hessian sweep)
        # have no trial yet, so neither has its metric; the other tables still print.
        text = EXPERIMENT + """\
    - title: not run yet
      rows: [selftest.function]
      metric: r2
      where: [selftest.dim=7]
"""
        out = self.report(self.run_experiment(text))
        self.assertIn("not run yet", out)
        self.assertIn("no trial matches this table", out)
        self.assertIn("either function", out)

    def test_runs_that_each_set_a_key_as_one_value_keep_their_rows_apart(self):
        # Two runs into one folder, each with selftest.dim as one value (so no trial sweeps it),
        # then the sweep over both puts them in one file. Each row must come from its own
        # trial's config: labelling every trial by the first one's (as before) put all six in
        # one "dim 2" row with n=6, silently averaging two settings.
        f = write(os.path.join(self.tmp, "one.yaml"),
                  "name: one\ntask: selftest\nselftest: {dim: 2}\nsweep:\n  seeds: [0, 1, 2]\n")
        for dim in ("2", "3"):
            self.assert_exit(qharness(["run", f, "selftest.dim=" + dim], cwd=self.tmp), 0)
        p = qharness(["run", f, "selftest.dim=2,3"], cwd=self.tmp)
        self.assertIn("6 trial(s), 6 already done, running 0", p.stderr)
        results = os.path.join(self.tmp, "results/one")
        self.assertNotIn("selftest.dim", [c for c in summary_rows(results + "/one.h5")[0]])
        out = self.report(results, "--rows", "d=selftest.dim", "--cols", "", "--metric", "evals")
        self.assertRegex(self.line_of(out, "2"), r"\(n=3\)|±")
        self.assertRegex(self.line_of(out, "3"), r"\(n=3\)|±")
        self.assertNotIn("n=6", out)

    def test_report_block_does_not_change_trial_ids(self):
        with_report = write(os.path.join(self.tmp, "a.yaml"), EXPERIMENT)
        without = write(os.path.join(self.tmp, "b.yaml"), EXPERIMENT.split("report:")[0])
        ids = [re.findall(r"\b[0-9a-f]{12}\b", qharness(["run", f, "--dry-run"], cwd=self.tmp).stdout)
               for f in (with_report, without)]
        self.assertEqual(len(ids[0]), 15)
        self.assertEqual(ids[0], ids[1])


if __name__ == "__main__":
    unittest.main()
