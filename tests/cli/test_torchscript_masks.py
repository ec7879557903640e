"""The `torchscript` mask plugin: a mask written in Python and saved with torch.jit.save runs in
`masks` and `sparse-train`. The example N:M mask of plugins/python/ gives the same masks as the
built-in `nm` (every per-layer kept magnitude, density and the pruned model's loss equal, in
masks and after sparse training); the declared `pattern` is checked like any mask plugin's
(nm masks declared transposable are invalid); the module's content is part of the trial id
(saving a changed module reruns, the same module moved does not); and a missing file, a file
that is not TorchScript, a module without forward, with another signature, returning float or
the wrong shape, throwing, or saved in a newer file format stop the run before any trial with
exit 2, naming the file."""
import os
import shutil
import unittest

from common import CliTestCase, qharness, tiny_lenet5_train, trials_of, write
from torchscript_modules import (MaskFloat, MaskKeepAll, MaskNoForward, MaskThrows, MaskWrongShape, MaskWrongSignature, example,
                                 save, with_format_version)

DATA = "data: {dataset: synthetic, batch_size: 64, synthetic: {train_size: 256, test_size: 128}, calibration: {size: 64}}"


def masks_yaml(block, task="masks", name=None):
    """An experiment of `task` (masks or sparse-train) whose task block is `block`."""
    return f"""\
name: {name or task}
task: {task}
threads: 1
{DATA}
model: {{arch: lenet5, checkpoint: {{train: train.yaml}}}}
train: {{lr: 0.01, epochs: 1}}
{task}: {block}
"""


class TorchScriptMask(CliTestCase):
    def setUp(self):
        super().setUp()
        write(os.path.join(self.tmp, "train.yaml"), tiny_lenet5_train(DATA, epochs=1))
        self.nm_pt = save(example("nm_mask").NMMask(), os.path.join(self.tmp, "exp", "modules", "nm_mask.pt"))

    def run_file(self, name, text, *extra):
        f = write(os.path.join(self.tmp, "exp", name), text)
        return qharness(["run", f, *extra], cwd=self.tmp)

    def only_trial(self, results):
        ts = trials_of(os.path.join(self.tmp, "results", results, results + ".h5"))
        self.assertEqual(len(ts), 1, ts)
        return next(iter(ts.values()))

    def test_same_masks_as_builtin_nm_in_masks_task(self):
        common = "n: 2, m: 4, adaprune: false, skip: [first]"
        p = self.run_file("s.yaml", masks_yaml(
            f"{{method: torchscript, module: modules/nm_mask.pt, pattern: nm, {common}}}", name="scripted"))
        self.assert_exit(p, 0)
        p = self.run_file("b.yaml", masks_yaml(f"{{method: nm, {common}}}", name="builtin"))
        self.assert_exit(p, 0)
        s, b = self.only_trial("scripted"), self.only_trial("builtin")
        self.assertEqual(s["status"], "done", s["error"])
        self.assertEqual(s["metrics"]["valid"], 1.0)
        self.assertAlmostEqual(s["metrics"]["density"], 0.5, delta=0.02)  # conv2's 6 inputs: a group of 2 keeps 2
        for k in ("layer_kept_ratio", "layer_density", "layer_valid"):
            self.assertEqual(s["arrays"][k].tolist(), b["arrays"][k].tolist(), k)
        for k in ("kept_ratio", "density", "top1_pruned", "loss", "top1"):
            self.assertEqual(s["metrics"][k], b["metrics"][k], k)

    def test_declared_pattern_is_checked(self):
        p = self.run_file("t.yaml", masks_yaml(
            "{method: torchscript, module: modules/nm_mask.pt, pattern: transposable, n: 2, m: 4, adaprune: false}"))
        self.assert_exit(p, 0)
        t = self.only_trial("masks")
        self.assertEqual(t["metrics"]["valid"], 0.0)   # 1-D N:M masks are not transposable

    def test_sparse_train_same_as_builtin_nm(self):
        out = {}
        for name, mask in (("s", "method: torchscript, module: modules/nm_mask.pt, pattern: nm"), ("b", "method: nm")):
            text = masks_yaml(f"{{mask: {{{mask}, n: 2, m: 4, every: 2}}}}", task="sparse-train", name=f"st-{name}")
            p = self.run_file(f"st-{name}.yaml", text)
            self.assert_exit(p, 0)
            out[name] = self.only_trial(f"st-{name}")
        self.assertEqual(out["s"]["status"], "done", out["s"]["error"])
        timing = {k for k in out["s"]["metrics"] if k.endswith("_s") or k == "mask_share"}   # wall-time shares differ
        strip = lambda t: {k: v for k, v in t["metrics"].items() if k not in timing}
        self.assertGreater(len(strip(out["s"])), 3)
        self.assertEqual(strip(out["s"]), strip(out["b"]))
        self.assertEqual(out["s"]["arrays"]["layer_density"].tolist(), out["b"]["arrays"]["layer_density"].tolist())

    def test_module_content_is_in_the_trial_id(self):
        text = masks_yaml("{method: torchscript, module: modules/nm_mask.pt, pattern: nm, n: 2, m: 4, adaprune: false}")
        self.assert_exit(self.run_file("e.yaml", text), 0)
        h5 = os.path.join(self.tmp, "results", "masks", "masks.h5")
        first = set(trials_of(h5))
        # The same module under another name and folder: the same trial, not rerun.
        moved = os.path.join(self.tmp, "exp", "elsewhere", "copy.pt")
        os.makedirs(os.path.dirname(moved))
        shutil.copy(self.nm_pt, moved)
        p = self.run_file("e.yaml", text.replace("modules/nm_mask.pt", "elsewhere/copy.pt"))
        self.assert_exit(p, 0)
        self.assertEqual(set(trials_of(h5)), first)
        # The module changed in place (now it keeps every weight): a new trial, which runs.
        save(MaskKeepAll(), self.nm_pt)
        p = self.run_file("e.yaml", text)
        self.assert_exit(p, 0)
        ts = trials_of(h5)
        new = set(ts) - first
        self.assertEqual(len(new), 1)
        self.assertEqual(ts[new.pop()]["metrics"]["density"], 1.0)

    def assert_refused(self, module_path, *needles):
        p = self.run_file("bad.yaml", masks_yaml(
            f"{{method: torchscript, module: {module_path}, pattern: nm, n: 2, m: 4}}"))
        self.assert_exit(p, 2)
        self.assertRegex(p.stderr, r"bad\.yaml:\d+")
        for n in needles:
            self.assertIn(n, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results", "masks")), "nothing may be written")
        return p

    def test_errors_before_the_sweep(self):
        mod = os.path.join(self.tmp, "exp", "modules")
        self.assert_refused("modules/missing.pt", "no such file", os.path.join(mod, "missing.pt"))
        write(os.path.join(mod, "text.pt"), "not a module\n")
        self.assert_refused("modules/text.pt", os.path.join(mod, "text.pt"), "not a TorchScript module")
        save(MaskNoForward(), os.path.join(mod, "noforward.pt"))
        self.assert_refused("modules/noforward.pt", os.path.join(mod, "noforward.pt"), "no forward method",
                            "forward(self, weight: Tensor, n: int, m: int) -> Tensor")
        save(MaskWrongSignature(), os.path.join(mod, "sig.pt"))
        self.assert_refused("modules/sig.pt", os.path.join(mod, "sig.pt"), "has the signature")
        save(MaskFloat(), os.path.join(mod, "float.pt"))
        self.assert_refused("modules/float.pt", os.path.join(mod, "float.pt"), "Float tensor", "must be bool")
        save(MaskWrongShape(), os.path.join(mod, "shape.pt"))
        self.assert_refused("modules/shape.pt", os.path.join(mod, "shape.pt"), "of shape [64]", "weight's shape")
        save(MaskThrows(), os.path.join(mod, "throws.pt"))
        self.assert_refused("modules/throws.pt", os.path.join(mod, "throws.pt"), "this mask refuses n < m",
                            "probe weight")
        with_format_version(self.nm_pt, os.path.join(mod, "future.pt"), 99)
        self.assert_refused("modules/future.pt", os.path.join(mod, "future.pt"), "cannot read",
                            "same torch version")


if __name__ == "__main__":
    unittest.main()
