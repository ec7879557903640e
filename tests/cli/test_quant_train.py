"""quant-train: 4-bit training (SAWB INT4 forward, quantized neural gradients) with FNT and the
gradient statistics, on tiny synthetic data; reproducible run to run."""
import os
import unittest

import h5py
import numpy as np

from common import CliTestCase, qharness, write

EXPERIMENT = """\
name: qt
task: quant-train
threads: 1
data: {dataset: synthetic, batch_size: 64, synthetic: {train_size: 256, test_size: 128}}
model: {arch: lenet5}
train: {epochs: 2, lr: 0.05}
quant:
  weights: {quantizer: sawb, bits: 4}
  activations: {quantizer: sawb, bits: 4}
  gradients: {quantizer: luq, bits: 4}
quant-train: {fnt_epochs: 1, stats_points: 2, stats_samples: 64, stats_batch: 32}
sweep:
  grid:
    quant.gradients.quantizer: [luq, fp4-rdn]
"""


def trials(path):
    out = {}
    with h5py.File(path, "r") as f:
        for g in f["trials"].values():
            name = g.attrs["swept"]
            out[name] = {
                "status": g.attrs["status"], "error": g.attrs["error"],
                "metrics": {k: float(v[()]) for k, v in g["metrics"].items()},
                "series": {k: np.array(v) for k, v in g["series"].items()},
                "arrays": {k: np.array(v) for k, v in g["arrays"].items()},
                "layer_names": list(g["arrays/grad_bias"].attrs["layer_names"]) if "grad_bias" in g["arrays"] else [],
            }
    return out


class QuantTrain(CliTestCase):
    def test_luq_vs_fp4_rdn_with_fnt_and_gradient_statistics(self):
        f = write(os.path.join(self.tmp, "qt.yaml"), EXPERIMENT)
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 0)
        t = trials(os.path.join(self.tmp, "results/qt/qt.h5"))
        luq, rdn = t["{quant.gradients.quantizer: luq}"], t["{quant.gradients.quantizer: fp4-rdn}"]
        for r in (luq, rdn):
            self.assertEqual(r["status"], "done", r["error"])
            self.assertEqual(len(r["series"]["test_top1"]), 3)          # 2 epochs + 1 FNT epoch
            self.assertEqual(r["layer_names"], ["conv2", "fc1", "fc2"])  # first and last stay FP32
            self.assertEqual(r["arrays"]["grad_bias"].shape, (3, 3))     # layers x (before, epoch 1, epoch 2)
            self.assertEqual(r["arrays"]["stats_epochs"].tolist(), [0, 1, 2])
            self.assertTrue(0 < r["metrics"]["shift_add_mac_share"] < 1)
            self.assertIn("top1_before_fnt", r["metrics"])
            # The series holds each epoch's first learning rate: cosine over the 2 epochs of 4
            # steps (256 images / 64) starts at lr = 0.05 and is at half of it after 4 of 8
            # steps; FNT's triangular schedule over its 4 steps starts at lr (t + 1) / (T / 2) =
            # lr / 2, where a constant or cosine FNT would start at lr.
            np.testing.assert_allclose(r["series"]["lr"], [0.05, 0.025, 0.025], rtol=1e-12)
        # Rounding to the nearest power of two biases the weight gradient; luq does not.
        self.assertGreater(rdn["metrics"]["grad_bias"], 2 * luq["metrics"]["grad_bias"])
        # The debiased bias: rdn is deterministic (no sampling floor), so it keeps its raw value;
        # luq's raw bias is mostly its sampling floor sqrt(error / 64), which the debiased one drops.
        self.assertEqual(rdn["arrays"]["grad_bias_debiased"].shape, (3, 3))
        self.assertAlmostEqual(rdn["metrics"]["grad_bias_debiased"], rdn["metrics"]["grad_bias"],
                               delta=1e-6 * rdn["metrics"]["grad_bias"])
        self.assertLess(luq["metrics"]["grad_bias_debiased"], 0.5 * luq["metrics"]["grad_bias"])

        # Same config and seed: the same numbers, stochastic rounding included.
        again = os.path.join(self.tmp, "again")
        p = qharness(["run", f, "--results", again, "quant.gradients.quantizer=luq"], cwd=self.tmp)
        self.assert_exit(p, 0)
        (rerun,) = trials(os.path.join(again, "qt/qt.h5")).values()
        self.assertEqual(rerun["metrics"], luq["metrics"])
        self.assertTrue(np.array_equal(rerun["series"]["train_loss"], luq["series"]["train_loss"]))


if __name__ == "__main__":
    unittest.main()
