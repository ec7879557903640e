"""`memory_format` (models/memory_format.hpp): auto puts the model in channels-last memory in the
tasks that only evaluate it (evaluate, ptq, hessian, landscape) and keeps NCHW where training
runs; contiguous and channels-last force one. Each trial says in its log which it used; the
setting is not part of the trial id (it changes numbers only by float summation order), and the
numbers agree across settings to that order."""
import os
import unittest

from common import CliTestCase, lenet5_experiment, qharness, quant_experiment, tiny_lenet5_train, trials_of, write

DATA = "data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 128, test_size: 64}, calibration: {size: 64}}"
NCHW = "memory format: contiguous (NCHW)"
NHWC = "memory format: channels-last"


def evaluate_experiment():
    return lenet5_experiment("ev", "evaluate", DATA, "")


class MemoryFormat(CliTestCase):
    def setUp(self):
        super().setUp()
        write(os.path.join(self.tmp, "train.yaml"), tiny_lenet5_train(DATA, epochs=2))

    def run_all(self, path, name):
        runs, logs = {}, {}
        for setting in ("auto", "contiguous", "channels-last"):
            p = qharness(["run", path, f"name={name}-{setting}", f"memory_format={setting}"], cwd=self.tmp)
            self.assert_exit(p, 0)
            runs[setting] = trials_of(os.path.join(self.tmp, "results", f"{name}-{setting}", f"{name}-{setting}.h5"))
            logs[setting] = p.stderr
        for setting, trials in runs.items():
            self.assertEqual(set(trials), set(runs["auto"]), f"memory_format={setting} changed the trial ids")
        return runs, logs

    def test_training_stays_nchw_and_evaluation_goes_channels_last_under_auto(self):
        p = qharness(["run", "train.yaml"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn(NCHW + " (memory_format: auto)", p.stderr)
        p = qharness(["run", "train.yaml", "name=forced", "train.epochs=1", "memory_format=channels-last"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn(NHWC + "\n", p.stderr)

        runs, logs = self.run_all(write(os.path.join(self.tmp, "ev.yaml"), evaluate_experiment()), "ev")
        self.assertIn(NHWC + " (memory_format: auto)", logs["auto"])
        self.assertIn(NCHW + "\n", logs["contiguous"])
        self.assertIn(NHWC + "\n", logs["channels-last"])
        (tid,) = runs["auto"]
        fp32 = {s: runs[s][tid]["metrics"] for s in runs}
        for s in ("auto", "channels-last"):   # FP32: the same up to summation order
            self.assertEqual(fp32[s]["top1"], fp32["contiguous"]["top1"], s)
            self.assertAlmostEqual(fp32[s]["loss"], fp32["contiguous"]["loss"], delta=1e-5 * abs(fp32["contiguous"]["loss"]))
        for k in ("top1", "loss"):   # auto is channels-last here, bit for bit
            self.assertEqual(fp32["auto"][k], fp32["channels-last"][k], k)

    def test_ptq_numbers_agree_across_formats(self):
        q = "{quantizer: uniform, bits: 8}"
        block = "ptq: {p_grid: [2.0, 4.0, 3], method: lp-pstar}"
        path = write(os.path.join(self.tmp, "p.yaml"), quant_experiment("p", "ptq", DATA, q, q, block))
        runs, logs = self.run_all(path, "p")
        self.assertIn(NHWC + " (memory_format: auto)", logs["auto"])
        self.assertIn(NCHW + "\n", logs["contiguous"])
        (tid,) = runs["auto"]
        m = {s: runs[s][tid]["metrics"] for s in runs}
        self.assertEqual(m["auto"]["calib_loss"], m["channels-last"]["calib_loss"])
        # 8-bit rounding can turn a summation-order difference into one level here and there:
        # agreement to 1e-3, not 1e-5.
        self.assertAlmostEqual(m["channels-last"]["calib_loss"], m["contiguous"]["calib_loss"],
                               delta=1e-3 * abs(m["contiguous"]["calib_loss"]))

    def test_a_bad_value_is_a_config_error(self):
        p = qharness(["run", write(os.path.join(self.tmp, "ev.yaml"), evaluate_experiment()), "memory_format=nhwc"],
                     cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("memory_format", p.stderr)
        self.assertIn("channels-last", p.stderr)


if __name__ == "__main__":
    unittest.main()
