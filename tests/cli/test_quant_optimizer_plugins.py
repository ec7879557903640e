"""The uniform quantizer and the ceres / coordinate-descent / nlopt-bobyqa optimizer plugins,
loaded by the driver from the build's plugin folder and driven by the selftest task."""
import os
import unittest

from common import CliTestCase, qharness, trials_of, write

SWEEP = """\
name: plugins
task: selftest
selftest:
  function: rosenbrock
  dim: 2
sweep:
  grid:
    selftest.optimizer: [{name: ceres, gradient: numeric}, {name: ceres, gradient: analytic},
                         {name: coordinate-descent, maxiter: 20000, ftol: 0}, nlopt-bobyqa]
"""

QUANT = """\
name: quant
task: selftest
selftest:
  function: quant-mse
  size: 20000
  optimizer: {name: nlopt-bobyqa}
  quantizer: {quantizer: uniform, bits: 4, calibration: minmax}
sweep:
  grid:
    selftest.quantizer.calibration: [minmax, mse]
"""


class QuantOptimizerPlugins(CliTestCase):
    def test_plugins_are_listed(self):
        proc = qharness(["plugins"], cwd=self.tmp)
        self.assert_exit(proc, 0)
        for kind, name in [("quantizer", "uniform"), ("optimizer", "ceres"),
                           ("optimizer", "coordinate-descent"), ("optimizer", "nlopt-bobyqa")]:
            self.assertRegex(proc.stdout, rf"{kind}\s+{name}\b", proc.stdout)

    def test_each_optimizer_minimizes_rosenbrock_through_the_driver(self):
        exp = write(os.path.join(self.tmp, "plugins.yaml"), SWEEP)
        proc = qharness(["run", exp], cwd=self.tmp)
        self.assert_exit(proc, 0)
        trials = trials_of(os.path.join(self.tmp, "results", "plugins", "plugins.h5"))
        self.assertEqual(len(trials), 4)
        for tid, t in trials.items():
            self.assertEqual(t["status"], "done", t["error"])
            self.assertLess(t["metrics"]["x_error"], 2e-2, tid)

    def test_uniform_quantizer_mse_calibration_beats_minmax(self):
        # The mse calibration's clip is already (near) the MSE minimum the optimizer then
        # looks for; minmax's is not.
        exp = write(os.path.join(self.tmp, "quant.yaml"), QUANT)
        proc = qharness(["run", exp], cwd=self.tmp)
        self.assert_exit(proc, 0)
        trials = list(trials_of(os.path.join(self.tmp, "results", "quant", "quant.h5")).values())
        self.assertEqual(len(trials), 2)
        by_init = sorted(trials, key=lambda t: t["metrics"]["clip_init"])
        mse, minmax = by_init
        self.assertLess(mse["metrics"]["mse_init"], minmax["metrics"]["mse_init"])
        for t in trials:
            self.assertEqual(t["status"], "done", t["error"])
            self.assertLessEqual(t["metrics"]["f_star"], t["metrics"]["mse_init"] + 1e-12)
        self.assertAlmostEqual(mse["metrics"]["f_star"], mse["metrics"]["mse_init"], delta=0.02 * mse["metrics"]["mse_init"])

    def test_bad_quantizer_option_is_named(self):
        exp = write(os.path.join(self.tmp, "quant.yaml"), QUANT)
        proc = qharness(["run", exp, "selftest.quantizer.grid=nosuch"], cwd=self.tmp)
        self.assert_exit(proc, 2)
        self.assertIn("grid", proc.stderr)
        self.assertIn("reference", proc.stderr)


if __name__ == "__main__":
    unittest.main()
