"""`./qh plot` (analysis/plot.py) renders the figures that fit an experiment's trials, as PNG
and PDF under results/<name>/figures/, and they are not blank."""
import os
import subprocess
import unittest

import matplotlib.image as mpimg
import numpy as np

from common import SOURCE_DIR, CliTestCase, qharness, write

PLOT = os.path.join(SOURCE_DIR, "analysis", "plot.py")


class Plot(CliTestCase):
    def plot(self, results_dir):
        p = subprocess.run(["/usr/bin/python3", PLOT, results_dir], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [line for line in p.stdout.splitlines() if line.strip()]

    def assert_not_blank(self, png):
        image = mpimg.imread(png)
        self.assertGreater(image.shape[0] * image.shape[1], 100 * 100)
        self.assertGreater(float(np.std(image[..., :3])), 0.05, f"{png} looks blank")

    def test_convergence_figure_from_a_selftest_sweep(self):
        f = write(os.path.join(self.tmp, "s.yaml"),
                  "name: figs\ntask: selftest\nsweep:\n  grid:\n    selftest.function: [quadratic, rosenbrock]\n")
        self.assert_exit(qharness(["run", f], cwd=self.tmp), 0)
        written = self.plot(os.path.join(self.tmp, "results/figs"))
        self.assertEqual([os.path.basename(p) for p in written], ["convergence.png", "convergence.pdf"])
        for path in written:
            self.assertTrue(path.startswith(os.path.join(self.tmp, "results/figs/figures")))
            self.assertGreater(os.path.getsize(path), 1000)
        self.assert_not_blank(written[0])

    def test_missing_results_say_what_to_do(self):
        p = subprocess.run(["/usr/bin/python3", PLOT, os.path.join(self.tmp, "results/none")],
                           capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("run the experiment first", p.stderr)


if __name__ == "__main__":
    unittest.main()
