"""hessian and landscape tasks on a tiny trained lenet5 (synthetic data, 1 epoch, seconds):
the recorded arrays and metrics, fd's evaluation count, clip selection by kind and alias,
a surface split across trials with landscape.rows equals the whole one, bad input is
refused naming the key, and `./qh plot` draws the landscape and Hessian figures."""
import os
import re
import subprocess
import tempfile
import unittest

import h5py
import matplotlib.image as mpimg
import numpy as np

from common import SOURCE_DIR, CliTestCase, qharness, tiny_lenet5_train, write

DATA = "data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 128, test_size: 64}, calibration: {size: 64}}"

TRAIN = tiny_lenet5_train(DATA, epochs=1)

COMMON = f"""\
threads: 1
{DATA}
model: {{arch: lenet5, checkpoint: {{train: train.yaml}}}}
quant:
  weights: {{quantizer: uniform, bits: 32}}
  activations: {{quantizer: uniform, bits: 4}}
  skip: []
ptq: {{p_grid: [2.0, 4.0, 3]}}
"""

HESSIAN = "name: hess\ntask: hessian\n" + COMMON + "hessian: {method: exact}\n"
LANDSCAPE = "name: land\ntask: landscape\n" + COMMON + "landscape: {grid: 5}\n"
ACT_LAYERS = ["conv2", "fc1", "fc2", "fc3"]   # conv1's input is the image: never quantized
PLOT = os.path.join(SOURCE_DIR, "analysis", "plot.py")


def trials(path):
    out = []
    with h5py.File(path, "r") as f:
        for g in f["trials"].values():
            out.append({
                "swept": g.attrs["swept"], "status": g.attrs["status"], "error": g.attrs["error"],
                "metrics": {k: float(v[()]) for k, v in g["metrics"].items()},
                "arrays": {k: np.array(v) for k, v in g["arrays"].items()},
                "names": {k: [str(s) for s in v.attrs.get("layer_names", [])] for k, v in g["arrays"].items()},
            })
    return out


class HessianLandscape(CliTestCase):
    @classmethod
    def setUpClass(cls):
        # One folder for every test: the tiny checkpoint is trained once and cached there.
        cls._shared = tempfile.TemporaryDirectory(prefix="qh-landscape-")
        cls.shared = cls._shared.name
        write(os.path.join(cls.shared, "train.yaml"), TRAIN)
        cls.results = os.path.join(cls.shared, "results")

    @classmethod
    def tearDownClass(cls):
        cls._shared.cleanup()

    def run_exp(self, name, text, *overrides, code=0):
        text = re.sub(r"^name: \S+", "name: " + name, text, flags=re.M)   # one results folder per run
        path = write(os.path.join(self.shared, name + ".yaml"), text)
        p = qharness(["run", path, "--results", self.results, *overrides], cwd=self.shared)
        self.assert_exit(p, code)
        return p

    def done(self, name):
        ts = trials(os.path.join(self.results, name, name + ".h5"))
        for t in ts:
            self.assertEqual(t["status"], "done", t["error"])
        return ts

    def test_exact_fd_and_quadfit_hessians_over_the_activation_clips(self):
        self.run_exp("hess-methods", HESSIAN, "hessian.method=exact,fd,quadfit")
        exact, fd, quadfit = self.done("hess-methods")
        for t in (exact, fd, quadfit):
            h = t["arrays"]["hessian"]
            self.assertEqual(h.shape, (4, 4))
            self.assertEqual(t["names"]["hessian"], ACT_LAYERS)
            self.assertTrue(np.allclose(h, h.T))
            self.assertEqual(t["arrays"]["gradient"].shape, (4,))
            ev = t["arrays"]["eigenvalues"]
            self.assertTrue(np.all(np.diff(ev) >= 0))
            m = t["metrics"]
            self.assertAlmostEqual(m["trace"], float(np.trace(h)), places=6)
            self.assertAlmostEqual(float(ev.sum()), m["trace"], places=5)
            self.assertAlmostEqual(m["top_eigenvalue"], float(ev[-1]), places=8)
            self.assertGreaterEqual(m["coupling"], 0)
            self.assertEqual(t["arrays"]["gaussian_curvature"].shape, (3,))
            self.assertEqual(t["names"]["gaussian_curvature"], ["conv2|fc1", "fc1|fc2", "fc2|fc3"])
            self.assertTrue(np.all(t["arrays"]["clip"] > 0))
            # The scale-free twin: H_ij a_i a_j, summarized the same way.
            a = t["arrays"]["clip"]
            rel = t["arrays"]["rel_hessian"]
            self.assertTrue(np.allclose(rel, h * np.outer(a, a), rtol=1e-6, atol=0))
            rel_ev = np.linalg.eigvalsh(rel)
            self.assertTrue(np.allclose(t["arrays"]["rel_eigenvalues"], rel_ev, rtol=1e-6, atol=1e-12))
            self.assertAlmostEqual(m["rel_top_eigenvalue"], float(rel_ev[-1]), places=8)
            self.assertAlmostEqual(m["rel_trace"], float(np.trace(rel)), places=8)
            if "rel_condition_number" in m:
                self.assertAlmostEqual(m["rel_condition_number"],
                                       float(np.abs(rel_ev).max() / np.abs(rel_ev).min()), delta=1e-6 * m["rel_condition_number"])
            off = rel - np.diag(np.diag(rel))
            self.assertAlmostEqual(m["rel_offdiag_ratio"], float(np.linalg.norm(off) / np.linalg.norm(np.diag(rel))), places=8)
        self.assertEqual(exact["metrics"]["evals"], 1)
        # quadfit: 4 x (1 + 4 + 10) random points plus the clips themselves, r2 of the fit.
        self.assertEqual(quadfit["metrics"]["evals"], 4 * 15 + 1)
        self.assertTrue(0 < quadfit["metrics"]["r2"] <= 1)
        self.assertEqual(quadfit["metrics"]["radius"], 0.1)
        self.assertNotIn("r2", exact["metrics"])
        self.assertAlmostEqual(quadfit["metrics"]["calib_loss"], fd["metrics"]["calib_loss"], places=6)
        self.assertEqual(fd["metrics"]["evals"], 2 * 4 * 4 + 1)
        self.assertEqual(fd["metrics"]["fd_step"], 0.01)
        self.assertNotIn("fd_step", exact["metrics"])
        # The straight-through Hessian of a cross-entropy is not zero on a trained model.
        self.assertGreater(np.abs(exact["arrays"]["hessian"]).max(), 0)
        # Same point for both methods, same loss.
        self.assertTrue(np.array_equal(exact["arrays"]["clip"], fd["arrays"]["clip"]))
        self.assertAlmostEqual(exact["metrics"]["calib_loss"], fd["metrics"]["calib_loss"], places=5)

    def test_both_kinds_on_named_layers_and_given_values(self):
        self.run_exp("hess-both", HESSIAN, "quant.weights.bits=4", "hessian.params=both", "hessian.layers=[fc1, last-quantized]")
        (t,) = self.done("hess-both")
        self.assertEqual(t["names"]["hessian"], ["fc1:w", "fc1:a", "fc3:w", "fc3:a"])
        self.run_exp("hess-values", HESSIAN, "hessian.layers=fc2", "hessian.at=values",
                     "hessian.values=[0.5]", "hessian.method=fd")
        (v,) = self.done("hess-values")
        self.assertEqual(v["names"]["hessian"], ["fc2"])
        self.assertEqual(list(v["arrays"]["clip"]), [0.5])
        self.assertEqual(v["metrics"]["evals"], 3)
        # A wrong count of values fails the trial, naming the key.
        self.run_exp("hess-bad-values", HESSIAN, "hessian.at=values", "hessian.values=[0.5]",
                     code=1)
        (bad,) = trials(os.path.join(self.results, "hess-bad-values", "hess-bad-values.h5"))
        self.assertEqual(bad["status"], "failed")
        self.assertIn("hessian.values: 1 value(s) for 4 studied clip(s)", bad["error"])

    def test_landscape_and_a_surface_split_across_trials(self):
        self.run_exp("land-whole", LANDSCAPE)
        (whole,) = self.done("land-whole")
        s = whole["arrays"]["landscape"]
        self.assertEqual(s.shape, (5, 5))
        self.assertEqual(whole["names"]["clip_init"], ["conv2", "fc1"])   # first- and second-quantized
        a, b = whole["arrays"]["axis_a"], whole["arrays"]["axis_b"]
        m = whole["metrics"]
        # The default window: 0.5 to 1.5 times each clip at the operating point, which sits in
        # the middle of the grid (the loss there is the operating point's).
        self.assertEqual((m["range_low"], m["range_high"]), (0.5, 1.5))
        self.assertAlmostEqual(a[0], 0.5 * m["clip_a_init"], places=6)
        self.assertAlmostEqual(a[-1], 1.5 * m["clip_a_init"], places=6)
        self.assertAlmostEqual(b[0], 0.5 * m["clip_b_init"], places=6)
        self.assertAlmostEqual(b[2], m["clip_b_init"], places=6)
        self.assertAlmostEqual(float(s[2, 2]), m["loss_init"], places=5)
        self.assertAlmostEqual(m["loss_min"], float(s.min()), places=6)
        self.assertTrue(0 <= m["nonseparability"] <= 1)
        # The smooth part of the interaction is a part of it.
        self.assertTrue(0 <= m["smooth_interaction"] <= m["nonseparability"] + 1e-12)
        self.assertEqual(m["evals"], 25)
        # Rows [0, 2) and [2, 5) in two trials: the same surface.
        split = LANDSCAPE + "sweep:\n  zip:\n    landscape.rows: [[0, 2], [2, 5]]\n"
        self.run_exp("land-split", split)
        parts = sorted(self.done("land-split"), key=lambda t: t["metrics"]["row_start"])
        self.assertEqual([p["arrays"]["landscape"].shape for p in parts], [(2, 5), (3, 5)])
        self.assertTrue(np.allclose(np.concatenate([p["arrays"]["landscape"] for p in parts]), s, rtol=0, atol=1e-6))
        self.assertTrue(np.allclose(np.concatenate([p["arrays"]["axis_a"] for p in parts]), a))
        # The absolute window: fractions of each tensor's max|x|, 0.05 to 1.0 by default.
        self.run_exp("land-abs", LANDSCAPE, "landscape.window=absolute")
        (absolute,) = self.done("land-abs")
        a, b, m = absolute["arrays"]["axis_a"], absolute["arrays"]["axis_b"], absolute["metrics"]
        self.assertEqual((m["range_low"], m["range_high"]), (0.05, 1.0))
        self.assertAlmostEqual(a[0], 0.05 * m["max_abs_a"], places=5)
        self.assertAlmostEqual(a[-1], m["max_abs_a"], places=5)
        self.assertAlmostEqual(b[-1], m["max_abs_b"], places=5)
        self.assertTrue(0 <= m["nonseparability"] <= 1)
        # A distant pair, on weight clips.
        self.run_exp("land-far", LANDSCAPE, "quant.weights.bits=4", "landscape.params=weights",
                     "landscape.layers=[first-quantized, last-quantized]")
        (far,) = self.done("land-far")
        self.assertEqual(far["names"]["clip_init"], ["conv1", "fc3"])

    def test_bad_input_names_the_key(self):
        p = self.run_exp("bad-land", LANDSCAPE, "landscape.layers=[conv2]", code=2)
        self.assertIn("landscape.layers", p.stderr)
        self.assertIn("must name two layers", p.stderr)
        p = self.run_exp("bad-land", LANDSCAPE, "landscape.range=[0.5, 0.2]", code=2)
        self.assertIn("landscape.range", p.stderr)
        p = self.run_exp("bad-hess", HESSIAN, "hessian.method=newton", code=2)
        self.assertIn("hessian.method", p.stderr)
        # A layer without an activation clip: the trial fails, saying which layers have one.
        self.run_exp("hess-bad-layer", HESSIAN, "hessian.layers=[conv1]", code=1)
        (t,) = trials(os.path.join(self.results, "hess-bad-layer", "hess-bad-layer.h5"))
        self.assertIn("hessian.layers: 'conv1' is not a layer with a quantized activations clip", t["error"])
        self.assertIn("conv2, fc1, fc2, fc3", t["error"])

    def test_plot_draws_landscape_and_hessian_figures(self):
        self.run_exp("plot-land", LANDSCAPE, "quant.activations.bits=2,8")
        self.run_exp("plot-hess", HESSIAN, "quant.activations.bits=2,4,8")
        written = []
        for name in ("plot-land", "plot-hess"):
            p = subprocess.run(["/usr/bin/python3", PLOT, os.path.join(self.results, name)], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            written += [line for line in p.stdout.splitlines() if line.strip()]
        self.assertEqual(sorted(os.path.basename(p) for p in written),
                         sorted(["landscape.png", "landscape.pdf", "hessian_heatmaps.png", "hessian_heatmaps.pdf",
                                 "hessian_vs_bits.png", "hessian_vs_bits.pdf"]))
        for path in written:
            self.assertIn(os.path.join("figures", ""), path)
            self.assertGreater(os.path.getsize(path), 1000)
            if path.endswith(".png"):
                image = mpimg.imread(path)
                self.assertGreater(image.shape[0] * image.shape[1], 100 * 100)
                self.assertGreater(float(np.std(image[..., :3])), 0.05, f"{path} looks blank")


if __name__ == "__main__":
    unittest.main()
