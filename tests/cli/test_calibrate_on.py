"""ptq.calibrate_on: with `quantized` (LAPQ's reference order) each activation clip is fitted on
the layer's input with the layers before it already quantized; with `fp32` on the FP32
network's. Weight clips are identical in both (they depend on the weights only), the image (the first
layer's input) is never quantized, and every later layer's activation clip differs at 3 bits
(its input carries the quantization of the layers before it). lapq starts inside its bounds in both modes."""
import os
import unittest

import numpy as np

from common import CliTestCase, qharness, tiny_lenet5_train, trials_by_swept, write

DATA = "data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 256, test_size: 128}, calibration: {size: 128}}"

PTQ = f"""\
name: order
task: ptq
threads: 1
{DATA}
model: {{arch: lenet5, checkpoint: {{train: train.yaml}}}}
quant:
  weights: {{quantizer: uniform, bits: 3}}
  activations: {{quantizer: uniform, bits: 3}}
  skip: []
ptq: {{method: mse, bias_correction: false, p_grid: [2.0, 4.0, 3], optimizer: {{name: powell, maxiter: 1}}}}
sweep:
  grid:
    ptq.method: [mse, lapq]
    ptq.calibrate_on: [fp32, quantized]
"""


class CalibrateOn(CliTestCase):
    def test_activation_clips_follow_the_quantized_network(self):
        write(os.path.join(self.tmp, "train.yaml"), tiny_lenet5_train(DATA, epochs=2))
        f = write(os.path.join(self.tmp, "order.yaml"), PTQ)
        self.assert_exit(qharness(["run", f], cwd=self.tmp), 0)
        ts = trials_by_swept(os.path.join(self.tmp, "results/order/order.h5"))
        self.assertEqual(len(ts), 4)
        for name, t in ts.items():
            self.assertEqual(t["status"], "done", f"{name}: {t['error']}")
            self.assertTrue(np.isfinite(t["metrics"]["calib_loss"]), name)
        fp32 = ts["{ptq.method: mse, ptq.calibrate_on: fp32}"]["arrays"]["clip"]        # [layer, (w, a)]
        quantized = ts["{ptq.method: mse, ptq.calibrate_on: quantized}"]["arrays"]["clip"]
        np.testing.assert_array_equal(fp32[:, 0], quantized[:, 0])       # weight clips: the weights only
        self.assertTrue(np.isnan(fp32[0, 1]) and np.isnan(quantized[0, 1]))   # the image is never quantized
        # Every later layer's input carries the quantization of the layers before it.
        self.assertTrue(np.all(fp32[1:, 1] != quantized[1:, 1]), (fp32[:, 1], quantized[:, 1]))
        for mode in ("fp32", "quantized"):   # lapq started inside its bounds and never ended worse
            m = ts[f"{{ptq.method: lapq, ptq.calibrate_on: {mode}}}"]["metrics"]
            self.assertLessEqual(m["calib_loss"], m["calib_loss_init"] + 1e-12, mode)


if __name__ == "__main__":
    unittest.main()
