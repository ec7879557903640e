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

    def test_gradient_bias_figure_from_a_small_quant_train_sweep(self):
        # The luq-table layout in miniature: FP32 (no gradient statistics) and two gradient
        # quantizers, 2 seeds, 1 epoch of lenet5 on tiny synthetic data.
        f = write(os.path.join(self.tmp, "q.yaml"), """\
name: qfig
task: quant-train
threads: 1
data: {dataset: synthetic, batch_size: 64, synthetic: {train_size: 128, test_size: 64}}
model: {arch: lenet5}
train: {epochs: 1, lr: 0.05}
quant:
  weights: {quantizer: sawb, bits: 4}
  activations: {quantizer: sawb, bits: 4}
  gradients: {quantizer: luq, bits: 4}
quant-train: {stats_points: 1, stats_samples: 8, stats_batch: 16}
sweep:
  zip:
    report.label: [FP32, luq, fp4-rdn]
    quant.weights.bits: [32, 4, 4]
    quant.activations.bits: [32, 4, 4]
    quant.gradients.bits: [32, 4, 4]
    quant.gradients.quantizer: [luq, luq, fp4-rdn]
  seeds: [0, 1]
""")
        self.assert_exit(qharness(["run", f], cwd=self.tmp), 0)
        written = self.plot(os.path.join(self.tmp, "results/qfig"))
        names = [os.path.basename(p) for p in written]
        self.assertIn("gradient_bias.png", names)
        self.assertIn("gradient_bias.pdf", names)
        self.assertIn("training_curves.png", names)
        png = written[names.index("gradient_bias.png")]
        self.assertGreater(os.path.getsize(written[names.index("gradient_bias.pdf")]), 1000)
        self.assert_not_blank(png)

    def test_missing_results_say_what_to_do(self):
        p = subprocess.run(["/usr/bin/python3", PLOT, os.path.join(self.tmp, "results/none")],
                           capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("run the experiment first", p.stderr)


if __name__ == "__main__":
    unittest.main()
