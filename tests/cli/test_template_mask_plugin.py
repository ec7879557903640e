"""A new mask plugin, as docs/plugins.md says: install qharness, copy plugins/masks/template,
rename it, build it OUT OF TREE against the installed CMake package, put it on
$QHARNESS_PLUGIN_PATH, and use it by name in `masks` (with AdaPrune) and `sparse-train`, with
nothing in the driver edited. The template keeps the n largest |w| of every m inputs and
declares the 1-D N:M pattern, so the harness must find its masks valid, exactly optimal for
that pattern, and accelerated as N:M."""
import os
import subprocess
import unittest

import numpy as np

from common import CliTestCase, base_env, build_template_out_of_tree, tiny_lenet5_train, trials_of, write

DATA = "data: {dataset: synthetic, batch_size: 64, synthetic: {train_size: 256, test_size: 128}, calibration: {size: 64}}"


class TemplateMaskOutOfTree(CliTestCase):
    def sh(self, *cmd, **kw):
        p = subprocess.run(cmd, capture_output=True, text=True, **kw)
        self.assertEqual(p.returncode, 0, f"{' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
        return p

    def test_copy_build_and_run_masks_and_sparse_train(self):
        qharness, prefix, build = build_template_out_of_tree(self, "plugins/masks/template",
                                                             "QHARNESS_MASK_PLUGIN_NAME", "my-mask")
        for header in ["mask.hpp", "masks/mask_check.hpp", "masks/optimal_masks.hpp", "masks/block_layout.hpp"]:
            self.assertTrue(os.path.exists(os.path.join(prefix, "include/qharness", header)), header)
        env = base_env(QHARNESS_PLUGIN_PATH=build)
        self.assertRegex(self.sh(qharness, "plugins", env=env).stdout, r"mask\s+my-mask\s+" + build)

        exp = os.path.join(self.tmp, "exp")
        write(os.path.join(exp, "train.yaml"), tiny_lenet5_train(DATA, epochs=1))
        masks = write(os.path.join(exp, "masks.yaml"), f"""\
name: oot-masks
task: masks
threads: 1
{DATA}
model: {{arch: lenet5, checkpoint: {{train: train.yaml}}}}
train: {{lr: 0.01}}
masks: {{method: my-mask, n: 2, m: 4, adaprune: true}}
sweep:
  grid:
    masks.by_input_norm: [false, true]
""")
        self.sh(qharness, "run", masks, cwd=exp, env=env)
        ts = {t["metrics"]["kept_ratio"] > 1 - 1e-9: t
              for t in trials_of(os.path.join(exp, "results/oot-masks/oot-masks.h5")).values()}
        self.assertEqual(len(ts), 2)
        for optimal, t in ts.items():
            m, a = t["metrics"], t["arrays"]
            self.assertEqual(t["status"], "done", t["error"])
            self.assertEqual(m["valid"], 1.0)
            self.assertEqual(m["valid_final"], 1.0)
            self.assertAlmostEqual(m["density"], 0.5, delta=0.01)   # conv2 has 6 inputs: a partial group keeps 2 of 2
            self.assertEqual(m["accel_share"], m["accel_share_nm"])   # from the declared pattern
            self.assertLessEqual(m["kept_ratio"], 1 + 1e-9)
            self.assertTrue(np.all(a["layer_recon_adaprune"] <= a["layer_recon_pruned"] + 1e-12))
            self.assertTrue(np.isfinite(m["top1_adaprune"]))
        # By |w| the template is the exact N:M optimum; by |w| x input norm it is not.
        self.assertEqual(sorted(ts), [False, True])

        sparse = write(os.path.join(exp, "sparse.yaml"), f"""\
name: oot-sparse
task: sparse-train
threads: 1
{DATA}
model: {{arch: mlp}}
train: {{epochs: 1, lr: 0.05}}
sparse-train: {{mask: {{method: my-mask, n: 2, m: 4, every: 2}}, skip: [first, last]}}
""")
        self.sh(qharness, "run", sparse, cwd=exp, env=env)
        (t,) = trials_of(os.path.join(exp, "results/oot-sparse/oot-sparse.h5")).values()
        self.assertEqual(t["status"], "done", t["error"])
        self.assertEqual(t["metrics"]["valid"], 1.0)
        self.assertEqual(t["metrics"]["mask_density"], 0.5)
        self.assertEqual(t["metrics"]["masked_weight_density"], 0.5)
        self.assertTrue(np.isfinite(t["metrics"]["loss"]))


if __name__ == "__main__":
    unittest.main()
