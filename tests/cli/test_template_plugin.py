"""Adding a plugin, as docs/plugins.md says: install qharness, copy the template
quantizer, rename it, build it OUT OF TREE against the installed CMake package, put it on
$QHARNESS_PLUGIN_PATH, and use it by name: in selftest, in ptq with every method (the harness
calibrates through the plugin's quantize(), the template having no calibrate_method), and in
hessian exact (through its clip gradient) and fd."""
import math
import os
import shutil
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

from common import BUILD_DIR, SOURCE_DIR, CliTestCase, base_env, quant_experiment, tiny_lenet5_train, trials_by_swept, write

DATA = "data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 256, test_size: 128}, calibration: {size: 128}}"
METHODS = ["minmax", "mse", "lp", "aciq", "lp-pstar", "lapq"]


def sh(*cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def experiment(name, task, quantizer, weight_bits, block):
    """Every layer quantized by `quantizer`: the weights at weight_bits, the activations at 4."""
    return quant_experiment(name, task, DATA, "{quantizer: %s, bits: %d}" % (quantizer, weight_bits),
                            "{quantizer: %s, bits: 4}" % quantizer, block)


class TemplatePluginOutOfTree(CliTestCase):
    @classmethod
    def setUpClass(cls):
        # Installed once, the template built once: every test uses the same plugin.
        cls._shared = tempfile.TemporaryDirectory(prefix="qh-template-")
        cls.shared = cls._shared.name
        cls.prefix = os.path.join(cls.shared, "prefix")
        sh("cmake", "--install", BUILD_DIR, "--prefix", cls.prefix)
        cls.qharness = os.path.join(cls.prefix, "bin", "qharness")
        src = os.path.join(cls.shared, "my_quantizer")
        shutil.copytree(os.path.join(SOURCE_DIR, "plugins/quantizers/template"), src)
        cls.build = os.path.join(src, "build")
        sh("cmake", "-S", src, "-B", cls.build, "-DCMAKE_BUILD_TYPE=Release",
           f"-DCMAKE_PREFIX_PATH={cls.prefix}", "-DQHARNESS_PLUGIN_NAME=my-quant")
        sh("cmake", "--build", cls.build, "-j2")
        cls.env = base_env(QHARNESS_PLUGIN_PATH=cls.build)
        write(os.path.join(cls.shared, "train.yaml"), tiny_lenet5_train(DATA, epochs=3))

    @classmethod
    def tearDownClass(cls):
        cls._shared.cleanup()

    def run_exp(self, name, text, *overrides):
        path = write(os.path.join(self.shared, name + ".yaml"), text)
        sh(self.qharness, "run", path, "--results", os.path.join(self.shared, "results"), *overrides,
           cwd=self.shared, env=self.env)
        return trials_by_swept(os.path.join(self.shared, "results", name, name + ".h5"))

    def test_copy_build_load_and_run(self):
        self.assertTrue(os.path.exists(os.path.join(self.prefix, "include/qharness/plugin.hpp")))
        listing = sh(self.qharness, "plugins", "-v", env=self.env).stdout
        self.assertRegex(listing, r"quantizer\s+my-quant\s+" + self.build)
        self.assertRegex(listing, r"optimizer\s+powell\s+" + self.prefix)   # the installed plugin folder
        # What the template declares: every role, and a quantize() differentiable in the clip.
        self.assertRegex(listing, r"quantizer\s+my-quant\s.*\n    serves: weights, activations, gradients; clip_gradient: yes")

        exp = write(os.path.join(self.tmp, "exp", "q.yaml"),
                    "name: oot\ntask: selftest\nselftest:\n  function: quant-mse\n"
                    "  quantizer: {quantizer: my-quant, bits: 3}\n")
        sh(self.qharness, "run", exp, cwd=os.path.dirname(exp), env=self.env)
        with h5py.File(os.path.join(self.tmp, "exp/results/oot/oot.h5"), "r") as h:
            (g,) = h["trials"].values()
            self.assertEqual(g.attrs["status"], "done")
            self.assertIn("quantizer: my-quant", g.attrs["config"])
            m = {k: float(v[()]) for k, v in g["metrics"].items()}
        # The search over the clip beats the plugin's own max|x| calibration at 3 bits.
        self.assertLess(m["f_star"], m["mse_init"])
        self.assertLess(m["clip_star"], m["clip_init"])

    def test_ptq_with_every_method(self):
        block = "ptq: {p_grid: [2.0, 4.0, 3], optimizer: {name: powell, maxiter: 1}}\nsweep: {grid: {ptq.method: %s}}" % METHODS
        t = self.run_exp("oot-ptq", experiment("oot-ptq", "ptq", "my-quant", 4, block))
        # The same with the built-in uniform quantizer, whose integer grid is the template's.
        u = self.run_exp("uniform-ptq", experiment("uniform-ptq", "ptq", "uniform", 4, block))
        for m in METHODS:
            r = t["{ptq.method: %s}" % m]
            self.assertEqual(r["status"], "done", (m, r["error"]))
            for k in ["calib_loss", "calib_loss_init", "loss", "top1"]:
                self.assertTrue(math.isfinite(r["metrics"][k]), (m, k))
            c = r["arrays"]["clip"]
            self.assertTrue(np.all(c[:, 0] > 0) and np.all(c[1:, 1] > 0), m)
        tm = lambda m: t["{ptq.method: %s}" % m]   # noqa: E731
        um = lambda m: u["{ptq.method: %s}" % m]   # noqa: E731
        # minmax is max|x| whoever quantizes, and the grids are the same: the same model.
        self.assertTrue(np.array_equal(tm("minmax")["arrays"]["clip"], um("minmax")["arrays"]["clip"], equal_nan=True))
        self.assertAlmostEqual(tm("minmax")["metrics"]["calib_loss"], um("minmax")["metrics"]["calib_loss"], places=5)
        # aciq is a closed form of the tensor's statistics: the same clips too.
        self.assertTrue(np.allclose(tm("aciq")["arrays"]["clip"], um("aciq")["arrays"]["clip"], rtol=1e-6, equal_nan=True))
        # mse, lp, lp-pstar: the Lp-optimal clips, below max|x| at 4 bits, and where uniform's
        # own search puts them (the same error function, minimized through the plugin's quantize()).
        for m in ["mse", "lp", "lp-pstar"]:
            c, mm = tm(m)["arrays"]["clip"], tm("minmax")["arrays"]["clip"]
            self.assertTrue(np.all(c[:, 0] <= mm[:, 0] * (1 + 1e-6)), m)
            self.assertTrue(np.any(c[:, 0] < 0.95 * mm[:, 0]), m)
            self.assertTrue(np.allclose(c, um(m)["arrays"]["clip"], rtol=0.02, equal_nan=True), (m, c, um(m)["arrays"]["clip"]))
        # lapq starts at lp-pstar and never ends above it.
        self.assertAlmostEqual(tm("lapq")["metrics"]["calib_loss_init"], tm("lp-pstar")["metrics"]["calib_loss"], places=6)
        self.assertLessEqual(tm("lapq")["metrics"]["calib_loss"], tm("lp-pstar")["metrics"]["calib_loss"])
        self.assertGreater(tm("lapq")["metrics"]["evals"], 0)

    def test_hessian_exact_and_fd(self):
        block = ("ptq: {p_grid: [2.0, 4.0, 3]}\nhessian: {method: exact, at: values, values: [2.0, 3.0, 4.0, 5.0]}\n"
                 "sweep: {grid: {hessian.method: [exact, fd]}}")
        t = self.run_exp("oot-hess", experiment("oot-hess", "hessian", "my-quant", 32, block))
        # uniform at the same point: its exact Hessian goes through the same composed ops.
        u = self.run_exp("uniform-hess", experiment("uniform-hess", "hessian", "uniform", 32, block))
        exact, fd = t["{hessian.method: exact}"], t["{hessian.method: fd}"]
        for r in (exact, fd):
            self.assertEqual(r["status"], "done", r["error"])
            h = r["arrays"]["hessian"]
            self.assertEqual(h.shape, (4, 4))
            self.assertTrue(np.all(np.isfinite(h)) and np.allclose(h, h.T))
            self.assertEqual(list(r["arrays"]["clip"]), [2.0, 3.0, 4.0, 5.0])
        # Exact goes through the clip gradient: not zero on a trained model, and uniform's.
        self.assertGreater(np.abs(exact["arrays"]["hessian"]).max(), 0)
        self.assertTrue(np.allclose(exact["arrays"]["hessian"], u["{hessian.method: exact}"]["arrays"]["hessian"],
                                    rtol=1e-3, atol=1e-6 * np.abs(exact["arrays"]["hessian"]).max()))
        self.assertAlmostEqual(exact["metrics"]["calib_loss"], fd["metrics"]["calib_loss"], places=5)
        self.assertEqual(fd["metrics"]["evals"], 2 * 4 * 4 + 1)


if __name__ == "__main__":
    unittest.main()
