"""The `torchscript` quantizer plugin: a quantizer written in Python and saved with torch.jit.save
runs in ptq (every method), quant-train (here as the gradient quantizer) and the studies. The
built-in `uniform` quantizer written in Python gives the built-in's calib_loss and top-1 on the
same trial; a gradient quantizer that changes nothing gives quant-train without gradient
quantization, number for number (so the plugin reseeds no generator that training sees), and a
stochastic one repeats with its seed and changes with another; the example pow2 quantizer puts
every weight on its power-of-two levels; modules that break the contract stop the run before
any trial with exit 2, naming the file."""
import math
import os
import unittest

import numpy as np

from common import CliTestCase, qharness, tiny_lenet5_train, trials_of, write
from torchscript_modules import (GradIdentity, GradStochastic, QuantClipPerElement, QuantFlattens, QuantNoCalibrate,
                                 QuantWrongForward, example, save, scripted_uniform)

DATA = "data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 256, test_size: 128}, calibration: {size: 128}}"
METHODS = ["minmax", "mse", "lp", "aciq", "lp-pstar", "lapq"]


def ptq_yaml(name, weights, activations, method="minmax", sweep=""):
    return f"""\
name: {name}
task: ptq
threads: 1
{DATA}
model: {{arch: lenet5, checkpoint: {{train: train.yaml}}}}
quant:
  weights: {weights}
  activations: {activations}
  skip: []
ptq: {{method: {method}, p_grid: [2.0, 4.0, 3], optimizer: {{name: powell, maxiter: 1}}}}
{sweep}"""


def quant_train_yaml(name, gradients, seed=0):
    return f"""\
name: {name}
task: quant-train
threads: 1
seed: {seed}
{DATA}
model: {{arch: lenet5}}
train: {{epochs: 1, lr: 0.05}}
quant:
  weights: {{quantizer: uniform, bits: 8}}
  activations: {{quantizer: uniform, bits: 8}}
  gradients: {gradients}
quant-train: {{stats_points: 0}}
"""


class TorchScriptQuantizer(CliTestCase):
    def setUp(self):
        super().setUp()
        write(os.path.join(self.tmp, "train.yaml"), tiny_lenet5_train(DATA, epochs=3))
        self.mod = os.path.join(self.tmp, "modules")
        save(scripted_uniform(), os.path.join(self.mod, "uniform.pt"))

    def run_file(self, name, text, *extra):
        return qharness(["run", write(os.path.join(self.tmp, name), text), *extra], cwd=self.tmp)

    def trials(self, name):
        return trials_of(os.path.join(self.tmp, "results", name, name + ".h5"))

    def only(self, name):
        (t,) = self.trials(name).values()
        self.assertEqual(t["status"], "done", t["error"])
        return t

    def test_scripted_uniform_equals_builtin_on_the_same_trial(self):
        scripted = "{quantizer: torchscript, module: modules/uniform.pt, bits: 4}"
        builtin = "{quantizer: uniform, bits: 4}"
        self.assert_exit(self.run_file("s.yaml", ptq_yaml("scripted", scripted, scripted)), 0)
        self.assert_exit(self.run_file("b.yaml", ptq_yaml("builtin", builtin, builtin)), 0)
        s, b = self.only("scripted"), self.only("builtin")
        for k in ("calib_loss", "top1", "top5", "loss"):
            self.assertEqual(s["metrics"][k], b["metrics"][k], k)
        np.testing.assert_array_equal(s["arrays"]["clip"], b["arrays"]["clip"])

    def test_hessian_and_landscape(self):
        """fd evaluates the loss only: it runs through the scripted module and gives the built-in's
        Hessian at the same clips, as landscape gives its surface on the same grid (two quantized
        layers, so that no other clip depends on how each quantizer calibrates); exact needs a clip
        gradient, which the torchscript plugin does not declare (refused before the sweep)."""
        scripted = "{quantizer: torchscript, module: modules/uniform.pt, bits: 4}"
        builtin = "{quantizer: uniform, bits: 4}"
        wide = "{quantizer: uniform, bits: 32}"
        block = ("hessian: {method: fd, layers: [first-quantized, second-quantized], at: values, values: [1.5, 2.0]}\n"
                 "landscape: {grid: 3, window: absolute, range: [0.3, 0.9]}\n")

        def study(name, task, q, method="fd"):
            text = ptq_yaml(name, wide, q).replace("task: ptq", "task: " + task).replace(
                "skip: []", "skip: [fc2, fc3]")
            return self.run_file(name + ".yaml", text + block.replace("fd", method))

        for name, q in (("hs", scripted), ("hb", builtin)):
            self.assert_exit(study(name, "hessian", q), 0)
        s, b = self.only("hs"), self.only("hb")
        np.testing.assert_array_equal(s["arrays"]["hessian"], b["arrays"]["hessian"])
        self.assertTrue(np.any(s["arrays"]["hessian"] != 0))
        p = study("he", "hessian", scripted, "exact")
        self.assert_exit(p, 2)
        self.assertRegex(p.stderr, r"he\.yaml:\d+:\d+: hessian\.method: exact .*quantizer 'torchscript'.*"
                                   r"does not declare clip_gradient")
        for name, q in (("ls", scripted), ("lb", builtin)):
            self.assert_exit(study(name, "landscape", q), 0)
        s, b = self.only("ls"), self.only("lb")
        np.testing.assert_array_equal(s["arrays"]["landscape"], b["arrays"]["landscape"])
        self.assertGreater(np.ptp(s["arrays"]["landscape"]), 0)

    def test_every_ptq_method(self):
        scripted = "{quantizer: torchscript, module: modules/uniform.pt, bits: 4}"
        sweep = "sweep:\n  grid:\n    ptq.method: [" + ", ".join(METHODS) + "]\n"
        p = self.run_file("all.yaml", ptq_yaml("all", scripted, scripted, sweep=sweep))
        self.assert_exit(p, 0)
        ts = self.trials("all")
        self.assertEqual(len(ts), len(METHODS))
        by_loss = {}
        for t in ts.values():
            self.assertEqual(t["status"], "done", t["error"])
            self.assertTrue(math.isfinite(t["metrics"]["calib_loss"]))
            self.assertGreater(t["metrics"]["top1"], 0.0)
            by_loss[t["metrics"]["calib_loss"]] = t
        # lapq searches from lp-pstar's clips and keeps the best it saw.
        lapq = [t for t in ts.values() if t["metrics"].get("evals", 0) > 0]
        self.assertEqual(len(lapq), 1)
        self.assertLessEqual(lapq[0]["metrics"]["calib_loss"], lapq[0]["metrics"]["calib_loss_init"] + 1e-12)

    def test_an_optimizer_that_needs_the_clip_gradient_is_refused_before_the_sweep(self):
        """The torchscript quantizer does not declare clip_gradient, so LAPQ's search gets no
        gradient: ceres with its analytic gradient is refused before any trial (it used to fail
        in every trial, after lp-pstar), in ptq and wherever `at: lapq` runs the search; the same
        ceres with its numeric gradient, and any quantizer choice that gives the gradient, pass the
        check. Nothing is written for a refused run."""
        scripted = "{quantizer: torchscript, module: modules/uniform.pt, bits: 4}"
        builtin = "{quantizer: uniform, bits: 4}"
        ceres = "optimizer: {name: ceres, gradient: analytic, maxiter: 2}"

        def yaml(name, task, weights, activations, optimizer=ceres, method="lapq"):
            text = ptq_yaml(name, weights, activations, method=method).replace(
                "optimizer: {name: powell, maxiter: 1}", optimizer)
            if task == "hessian":
                text = text.replace("task: ptq", "task: hessian") + "hessian: {method: fd, at: lapq, layers: [first-quantized, second-quantized]}\n"
            if task == "landscape":
                text = text.replace("task: ptq", "task: landscape") + "landscape: {grid: 3, at: lapq, layers: [first-quantized, second-quantized]}\n"
            return text

        for name, task in (("cp", "ptq"), ("ch", "hessian"), ("cl", "landscape")):
            p = self.run_file(name + ".yaml", yaml(name, task, builtin, scripted))
            self.assert_exit(p, 2)
            self.assertRegex(p.stderr, name + r"\.yaml:\d+:\d+: ptq\.optimizer: \S+ is lapq, and optimizer 'ceres' "
                                           r"refuses to minimize without the loss's gradient in the clips .*analytic.*"
                                           r"quantizer 'torchscript' \(quant\.activations\) does not declare clip_gradient")
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "results", name)), "nothing may be written")
        # Passing the check (the schema and the probe only: --dry-run runs no trial).
        for name, text in (("ok-numeric", yaml("ok-numeric", "ptq", builtin, scripted,
                                                  "optimizer: {name: ceres, gradient: numeric}")),
                           ("ok-gradient", yaml("ok-gradient", "ptq", builtin, builtin)),
                           ("ok-no-search", yaml("ok-no-search", "ptq", scripted, scripted, method="lp-pstar"))):
            self.assert_exit(self.run_file(name + ".yaml", text, "--dry-run"), 0)

    def test_pow2_example_puts_values_on_powers_of_two(self):
        import torch
        path = os.path.join(self.mod, "pow2.pt")
        save(example("pow2_quant").Pow2Quant(), path)
        # The saved module (what the harness loads): every output is 0 or +-clip * 2^-k, k < 7 at 4 bits.
        m = torch.jit.load(path)
        x = torch.randn(1000, dtype=torch.float64)
        clip = m.calibrate(x, 4, True)
        self.assertEqual(clip.item(), x.abs().max().item())
        q = m(x, clip, 4, True)
        mag = (q.abs() / clip)[q != 0]
        k = -torch.log2(mag)
        self.assertTrue(torch.all(k == k.round()) and torch.all((k >= 0) & (k <= 6)))
        self.assertGreater(len(torch.unique(k)), 4)
        # ... and the harness runs it: ptq at W4A4 gives another calibration loss than uniform's grid.
        pow2 = "{quantizer: torchscript, module: modules/pow2.pt, bits: 4}"
        uniform = "{quantizer: torchscript, module: modules/uniform.pt, bits: 4}"
        self.assert_exit(self.run_file("p.yaml", ptq_yaml("pow2", pow2, pow2)), 0)
        self.assert_exit(self.run_file("u.yaml", ptq_yaml("uni", uniform, uniform)), 0)
        t, u = self.only("pow2"), self.only("uni")
        self.assertTrue(math.isfinite(t["metrics"]["calib_loss"]))
        self.assertNotEqual(t["metrics"]["calib_loss"], u["metrics"]["calib_loss"])
        # Both calibrate the weights to max|x|; activation clips follow the earlier layers' grid.
        np.testing.assert_array_equal(t["arrays"]["clip"][:, 0], u["arrays"]["clip"][:, 0])

    def test_gradient_quantizer_in_quant_train(self):
        save(GradIdentity(), os.path.join(self.mod, "identity.pt"))
        save(GradStochastic(), os.path.join(self.mod, "stochastic.pt"))
        self.assert_exit(self.run_file("off.yaml", quant_train_yaml("off", "{quantizer: uniform, bits: 32}")), 0)
        self.assert_exit(self.run_file("id.yaml", quant_train_yaml(
            "identity", "{quantizer: torchscript, module: modules/identity.pt, bits: 4}")), 0)
        for seed in (0, 1):
            self.assert_exit(self.run_file(f"st{seed}.yaml", quant_train_yaml(
                f"st{seed}", "{quantizer: torchscript, module: modules/stochastic.pt, bits: 4}", seed)), 0)
        self.assert_exit(self.run_file("st0b.yaml", quant_train_yaml(
            "st0b", "{quantizer: torchscript, module: modules/stochastic.pt, bits: 4}", 0)), 0)
        det = lambda t: {k: v for k, v in t["metrics"].items() if not k.endswith("_s")}
        off, ident = self.only("off"), self.only("identity")
        # shift_add_mac_share counts the backward MACs with a quantized gradient: 0 without one.
        self.assertEqual(off["metrics"]["shift_add_mac_share"], 0.0)
        self.assertGreater(ident["metrics"]["shift_add_mac_share"], 0.0)
        training = lambda t: {k: v for k, v in det(t).items() if k != "shift_add_mac_share"}
        self.assertEqual(training(off), training(ident))
        st0, st0b, st1 = self.only("st0"), self.only("st0b"), self.only("st1")
        self.assertEqual(det(st0), det(st0b))          # seeded: repeats exactly
        self.assertNotEqual(det(st0)["loss"], det(ident)["loss"])   # 4-bit stochastic gradients change training
        self.assertNotEqual(det(st0), det(st1))        # another seed, other draws

    def assert_refused(self, module, *needles, extra=""):
        q = f"{{quantizer: torchscript, module: {module}, bits: 4{extra}}}"
        p = self.run_file("bad.yaml", ptq_yaml("bad", q, "{quantizer: uniform, bits: 4}"))
        self.assert_exit(p, 2)
        self.assertRegex(p.stderr, r"bad\.yaml:\d+")
        for n in needles:
            self.assertIn(n, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results", "bad")), "nothing may be written")

    def test_errors_before_the_sweep(self):
        m = self.mod
        self.assert_refused("modules/none.pt", "no such file", os.path.join(m, "none.pt"))
        save(QuantNoCalibrate(), os.path.join(m, "nocal.pt"))
        self.assert_refused("modules/nocal.pt", os.path.join(m, "nocal.pt"), "no method 'calibrate'", "@torch.jit.export")
        save(QuantWrongForward(), os.path.join(m, "fwd.pt"))
        self.assert_refused("modules/fwd.pt", os.path.join(m, "fwd.pt"), "method 'forward' has the signature",
                            "clip: Tensor")
        save(QuantFlattens(), os.path.join(m, "flat.pt"))
        self.assert_refused("modules/flat.pt", os.path.join(m, "flat.pt"), "forward returned", "x's shape")
        save(QuantClipPerElement(), os.path.join(m, "clip.pt"))
        self.assert_refused("modules/clip.pt", os.path.join(m, "clip.pt"), "calibrate returned")
        self.assert_refused("modules/uniform.pt", "rounding: stochastic", extra=", rounding: stochastic")


if __name__ == "__main__":
    unittest.main()
