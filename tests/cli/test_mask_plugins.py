"""Mask plugin API v2 from the outside: any registered mask plugin runs in `masks` and
`sparse-train` by name; the checker follows the pattern a plugin declares (a plugin that lies
gets valid = 0); a global scope with a non-unstructured pattern, a plugin that refuses its
options (tnm-exhaustive with m = 8) and an unknown plugin option stop the run before any trial
with exit 2 and file:line; a plugin returning masks of the wrong shape fails its trial with a
message naming it and the layer while the sweep goes on; a library built against plugin API
version 1 is refused naming both versions."""
import os
import unittest

from common import CliTestCase, base_env, lenet5_experiment, qharness, tiny_lenet5_train, trials_of, write

DATA = "data: {dataset: synthetic, batch_size: 64, synthetic: {train_size: 256, test_size: 128}, calibration: {size: 64}}"
CONTRACT = os.environ.get("QHARNESS_CONTRACT_MASK_PLUGINS", "")
V1 = os.environ.get("QHARNESS_V1_MASK_PLUGIN", "")


def masks_yaml(masks_line, sweep=""):
    return lenet5_experiment("m", "masks", DATA, f"train: {{lr: 0.01}}\nmasks: {masks_line}\n{sweep}")


class MaskPluginContract(CliTestCase):
    def setUp(self):
        super().setUp()
        write(os.path.join(self.tmp, "train.yaml"), tiny_lenet5_train(DATA, epochs=1))
        self.env = base_env(QHARNESS_PLUGIN_PATH=CONTRACT)

    def run_masks(self, text, *extra):
        f = write(os.path.join(self.tmp, "masks.yaml"), text)
        return qharness(["run", f, *extra], cwd=self.tmp, env=self.env)

    def test_checker_follows_declared_pattern_and_bad_masks_fail_their_trial(self):
        p = self.run_masks(masks_yaml("{adaprune: false, n: 2, m: 4}",
                                      "sweep:\n  grid:\n    masks.method: [liar-transposable, wrong-shape, tnm-mcf]\n"))
        self.assert_exit(p, 1)   # one trial failed; the others ran
        ts = {t["metrics"].get("valid", -1.0) if t["status"] == "done" else t["error"]: t
              for t in trials_of(os.path.join(self.tmp, "results/m/m.h5")).values()}
        statuses = sorted(t["status"] for t in ts.values())
        self.assertEqual(statuses, ["done", "done", "failed"])
        failed = [t for t in ts.values() if t["status"] == "failed"][0]
        self.assertIn("mask plugin 'wrong-shape'", failed["error"])
        self.assertIn("conv2", failed["error"])           # the first masked layer
        self.assertIn("bool tensor of the weight's shape", failed["error"])
        done = {t["metrics"]["valid"] for t in ts.values() if t["status"] == "done"}
        # The liar's 1-D N:M masks fail the transposable check; tnm-mcf's pass.
        self.assertEqual(done, {0.0, 1.0})

    def test_global_scope_with_nm_pattern_refused_before_the_run(self):
        p = self.run_masks(masks_yaml("{method: global-nm, n: 2, m: 4}"))
        self.assert_exit(p, 2)
        self.assertRegex(p.stderr, r"masks\.yaml:\d+")
        self.assertIn("global-nm", p.stderr)
        self.assertIn("global scope", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results/m/trials")))

    def test_plugin_refusing_its_options_stops_the_run_up_front(self):
        p = self.run_masks(masks_yaml("{method: tnm-exhaustive, n: 2, m: 8}"))
        self.assert_exit(p, 2)
        self.assertRegex(p.stderr, r"masks\.yaml:\d+")
        self.assertIn("m must be 4", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results/tiny-lenet5")))   # nothing trained

    def test_plugin_options_are_validated_and_reachable(self):
        p = self.run_masks(masks_yaml("{method: tnm-mcf, pivott: first-eligible}"))
        self.assert_exit(p, 2)
        self.assertRegex(p.stderr, r"masks\.yaml:\d+")
        self.assertIn("unknown key 'masks.pivott'", p.stderr)
        self.assertIn("did you mean 'pivot'", p.stderr)
        p = self.run_masks(masks_yaml("{method: tnm-mcf, pivot: nope}"))
        self.assert_exit(p, 2)
        self.assertIn("'nope' is not one of", p.stderr)
        # The plugin's own option reaches it from the task: both pivots give the optimum.
        p = self.run_masks(masks_yaml("{method: tnm-mcf, adaprune: false}",
                                      "sweep:\n  grid:\n    masks.pivot: [first-eligible, best-eligible]\n"))
        self.assert_exit(p, 0)
        ts = list(trials_of(os.path.join(self.tmp, "results/m/m.h5")).values())
        self.assertEqual(len(ts), 2)
        for t in ts:
            self.assertEqual(t["metrics"]["valid"], 1.0)
            self.assertAlmostEqual(t["metrics"]["kept_ratio"], 1.0, delta=1e-9)

    def test_unknown_method_lists_dense_and_every_mask_plugin(self):
        p = self.run_masks(masks_yaml("{method: tnm-mfc}"))
        self.assert_exit(p, 2)
        self.assertIn("did you mean 'tnm-mcf'", p.stderr)
        for name in ["dense", "unstructured", "nm", "tnm-mcf", "tnm-greedy", "tnm-exhaustive", "template",
                     "liar-transposable"]:
            self.assertIn(name, p.stderr)


class V1MaskPlugin(CliTestCase):
    def test_library_built_against_api_v1_is_refused(self):
        p = qharness(["plugins"], cwd=self.tmp, env=base_env(QHARNESS_PLUGIN_PATH=V1))
        self.assert_exit(p, 2)
        self.assertIn(os.path.basename(V1), p.stderr)
        self.assertRegex(p.stderr, r"version 1\b")
        self.assertRegex(p.stderr, r"\b2\b")


if __name__ == "__main__":
    unittest.main()
