"""masks and sparse-train on a tiny lenet5 / mlp (synthetic data, seconds): every transposable
method gives valid masks, tnm-mcf keeps exactly the optimum (the harness's own CostScaling
solver's, not tnm-mcf's) and tnm-greedy at least half of it, the final weights stay sparse,
AdaPrune never increases a layer's reconstruction error, the dense row is the unpruned model,
the unstructured starting point runs; sparse-train's masks are applied (the weights the products
use have density N/M) and recomputed every K steps; --resume runs nothing again."""
import os
import unittest

import numpy as np

from common import CliTestCase, qharness, read_trials, tiny_lenet5_train, write

DATA = "data: {dataset: synthetic, batch_size: 64, synthetic: {train_size: 256, test_size: 128}, calibration: {size: 64}}"

TRAIN = tiny_lenet5_train(DATA, epochs=2)

MASKS = f"""\
name: masks
task: masks
threads: 1
{DATA}
model: {{arch: lenet5, checkpoint: {{train: train.yaml}}}}
train: {{lr: 0.01}}
masks: {{adaprune: true}}
sweep:
  zip:
    masks.method: [dense, unstructured, nm, tnm-mcf, tnm-greedy, tnm-exhaustive, tnm-mcf]
    masks.n:      [4, 4, 2, 4, 4, 2, 2]
    masks.m:      [8, 8, 4, 8, 8, 4, 4]
    masks.start:  [dense, dense, dense, dense, dense, dense, unstructured]
    masks.finetune_epochs: [0, 0, 0, 0, 0, 0, 1]
"""

SPARSE = f"""\
name: sparse
task: sparse-train
threads: 1
{DATA}
model: {{arch: mlp}}
train: {{epochs: 2, lr: 0.05}}
sparse-train: {{mask: {{every: 2}}, skip: [first, last]}}
sweep:
  zip:
    sparse-train.mask.method: [tnm-greedy, nm, dense]
    sparse-train.mask.n: [4, 2, 4]
    sparse-train.mask.m: [8, 4, 8]
"""

TRANSPOSABLE = ["tnm-mcf", "tnm-greedy", "tnm-exhaustive"]


def trials(path):
    return read_trials(path, "swept", "layer_density")


def by_method(ts, key):
    return {(k.split(f"{key}: ")[1].split(",")[0], "unstructured" in k.split("start: ")[1] if "start: " in k else False): v
            for k, v in ts.items()}


class Masks(CliTestCase):
    def test_methods_adaprune_and_dense_reference(self):
        write(os.path.join(self.tmp, "train.yaml"), TRAIN)
        f = write(os.path.join(self.tmp, "masks.yaml"), MASKS)
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 0)
        h5 = os.path.join(self.tmp, "results/masks/masks.h5")
        ts = by_method(trials(h5), "masks.method")
        self.assertEqual(len(ts), 7)
        for (method, unstructured_start), t in ts.items():
            with self.subTest(method=method, unstructured_start=unstructured_start):
                self.assertEqual(t["status"], "done", t["error"])
                m, a = t["metrics"], t["arrays"]
                self.assertEqual(t["layer_names"], ["conv2", "fc1", "fc2", "fc3"])   # skip: [first]
                self.assertEqual(m["valid"], 1.0)
                self.assertTrue(np.all(a["layer_valid"] == 1))
                self.assertTrue(0 < m["accel_share_nm"] < m["accel_share_tnm"] < 1)
                if method == "dense":
                    self.assertEqual(m["kept_ratio"], 1.0)
                    self.assertEqual(m["density"], 1.0)
                    self.assertEqual(m["top1_pruned"], m["top1_dense"])
                    self.assertEqual(m["top1"], m["top1_dense"])
                    self.assertEqual(m["accel_share"], 0.0)
                    continue
                self.assertAlmostEqual(m["density"], 0.5, delta=0.05)
                # After AdaPrune (and the fine-tuning row) the weights are still zero off the mask.
                self.assertEqual(m["valid_final"], 1.0)
                self.assertLessEqual(m["density_final"], m["density"] + 1e-12)
                if method == "tnm-greedy":
                    self.assertGreaterEqual(m["kept_ratio"], 0.5)
                    self.assertTrue(np.all(a["layer_kept_ratio"] >= 0.5))
                    self.assertLessEqual(m["kept_ratio"], 1.0 + 1e-12)
                else:   # exact methods keep the optimum (tnm-exhaustive up to float scoring)
                    self.assertAlmostEqual(m["kept_ratio"], 1.0, delta=1e-6)
                if method in TRANSPOSABLE:
                    self.assertEqual(m["accel_share"], m["accel_share_tnm"])
                    self.assertGreaterEqual(m["solve_s"], 0.0)
                if method == "nm":
                    self.assertEqual(m["accel_share"], m["accel_share_nm"])
                # AdaPrune: least squares never reconstructs worse than the pruned weight.
                before, after = a["layer_recon_pruned"], a["layer_recon_adaprune"]
                self.assertTrue(np.all(before > 0))
                self.assertTrue(np.all(after <= before + 1e-12), (before, after))
                self.assertLess(after.sum(), before.sum())
                self.assertIn("top1_adaprune", m)
                self.assertTrue(np.isfinite(m["log10_diversity_tnm"]))
        self.assertIn("top1_start", ts[("tnm-mcf", True)]["metrics"])
        # The counts order the mask types: transposable < 1-D N:M < unstructured, on the same layers.
        m = ts[("tnm-mcf", False)]["metrics"]
        self.assertLess(m["log10_diversity_nm"], m["log10_diversity_unstructured"])


class AdaPruneVariants(CliTestCase):
    def test_bias_fit_never_worse_and_dense_linear_prunes_convolutions_only(self):
        write(os.path.join(self.tmp, "train.yaml"), TRAIN)
        f = write(os.path.join(self.tmp, "variants.yaml"), f"""\
name: variants
task: masks
threads: 1
{DATA}
model: {{arch: lenet5, checkpoint: {{train: train.yaml}}}}
train: {{lr: 0.01}}
masks: {{method: nm, n: 2, m: 4}}
sweep:
  grid:
    masks.dense_linear: [false, true]
    masks.adaprune_bias: [false, true]
""")
        self.assert_exit(qharness(["run", f], cwd=self.tmp), 0)
        ts = trials(os.path.join(self.tmp, "results/variants/variants.h5"))
        self.assertEqual(len(ts), 4)
        by = {("dense_linear: true" in k, "adaprune_bias: true" in k): t for k, t in ts.items()}
        for dense_linear in (False, True):
            names = by[(dense_linear, False)]["layer_names"]
            self.assertEqual(names, ["conv2"] if dense_linear else ["conv2", "fc1", "fc2", "fc3"])
            no_bias, bias = by[(dense_linear, False)], by[(dense_linear, True)]
            # The same masks: the same pruned error; the bias fit is a least squares over a superset.
            np.testing.assert_allclose(no_bias["arrays"]["layer_recon_pruned"], bias["arrays"]["layer_recon_pruned"])
            self.assertTrue(np.all(bias["arrays"]["layer_recon_adaprune"]
                                   <= no_bias["arrays"]["layer_recon_adaprune"] + 1e-12))
            self.assertEqual(bias["metrics"]["valid_final"], 1.0)


class SparseTrain(CliTestCase):
    def test_masks_applied_and_recomputed_then_resume(self):
        f = write(os.path.join(self.tmp, "sparse.yaml"), SPARSE)
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 0)
        h5 = os.path.join(self.tmp, "results/sparse/sparse.h5")
        ts = trials(h5)
        self.assertEqual(len(ts), 3)
        for name, t in ts.items():
            with self.subTest(trial=name):
                self.assertEqual(t["status"], "done", t["error"])
                m, s = t["metrics"], t["series"]
                self.assertEqual(t["layer_names"], ["fc2"])     # 512 -> 256: whole 8 x 8 blocks
                self.assertEqual(m["valid"], 1.0)
                self.assertEqual(len(s["test_top1"]), 2)
                if "dense" in name:   # the unmasked reference: no mask, no solver time
                    self.assertEqual(m["mask_density"], 1.0)
                    self.assertEqual(m["mask_updates"], 0.0)
                    self.assertEqual(m["mask_share"], 0.0)
                    continue
                # Masked positions do not contribute: the weights the product uses are exactly N:M dense.
                self.assertEqual(m["mask_density"], 0.5)
                self.assertEqual(m["masked_weight_density"], 0.5)
                self.assertEqual(m["mask_updates"], 4.0)       # 2 epochs x 4 steps, every 2 steps
                self.assertEqual(len(s["mask_share"]), 2)
                self.assertTrue(0 <= m["mask_share"] < 1)
                self.assertTrue(np.all(s["mask_s"] > 0))
        p = qharness(["run", f, "--resume"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("3 already done, running 0", p.stdout + p.stderr)
        self.assertEqual({k: v["metrics"] for k, v in trials(h5).items()}, {k: v["metrics"] for k, v in ts.items()})


if __name__ == "__main__":
    unittest.main()
