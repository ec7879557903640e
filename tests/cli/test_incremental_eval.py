"""Incremental evaluation (models/incremental_forward.hpp, `eval_cache_mb`): the clip searches
restart each calibration-loss evaluation at the first layer whose clip changed. Every number
of ptq (lp-pstar and LAPQ with Powell and coordinate descent), hessian (fd and quadfit) and
landscape must be the one the full evaluation gives (`eval_cache_mb: 0`), bit for bit, and
the setting must not change the trial ids (it changes no number)."""
import os
import unittest

import numpy as np

from common import CliTestCase, qharness, quant_experiment, tiny_lenet5_train, trials_of, write

DATA = "data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 128, test_size: 64}, calibration: {size: 64}}"
Q = "{quantizer: uniform, bits: 3}"
PTQ = "ptq: {p_grid: [2.0, 4.0, 3], optimizer: {name: powell, maxiter: 1}}"

CASES = {
    "ptq": PTQ + "\nsweep: {grid: {ptq.method: [lp-pstar, lapq], ptq.optimizer.name: [powell, coordinate-descent]}}",
    "hessian": PTQ + "\nhessian: {layers: all}\nsweep: {grid: {hessian.method: [fd, quadfit]}}",
    "landscape": PTQ + "\nlandscape: {grid: 5, layers: [second-quantized, last-quantized]}",
}


class IncrementalEvaluation(CliTestCase):
    def test_every_search_gives_the_full_evaluations_numbers(self):
        write(os.path.join(self.tmp, "train.yaml"), tiny_lenet5_train(DATA, epochs=2))
        for task, block in CASES.items():
            path = write(os.path.join(self.tmp, task + ".yaml"), quant_experiment(task, task, DATA, Q, Q, block))
            runs = {}
            for label, cache in (("full", "0"), ("incremental", "1024")):
                p = qharness(["run", path, f"name={task}-{label}", f"eval_cache_mb={cache}"], cwd=self.tmp)
                self.assert_exit(p, 0)
                runs[label] = trials_of(os.path.join(self.tmp, "results", f"{task}-{label}", f"{task}-{label}.h5"))
            full, inc = runs["full"], runs["incremental"]
            self.assertEqual(set(full), set(inc), f"{task}: eval_cache_mb changed the trial ids")
            self.assertGreaterEqual(len(full), 1)
            for tid, f in full.items():
                i = inc[tid]
                self.assertEqual((f["status"], i["status"]), ("done", "done"), (task, f["error"], i["error"]))
                # Everything but the seconds and the share of the network the evaluations ran.
                same = lambda m: {k: v for k, v in m.items() if not k.endswith("_s") and k != "eval_stage_share"}
                self.assertEqual(same(f["metrics"]), same(i["metrics"]), (task, tid))
                self.assertEqual(set(f["arrays"]), set(i["arrays"]))
                self.assertEqual(f["metrics"]["eval_stage_share"], 1.0)
                if task != "ptq" or "search_wall_s" in f["metrics"]:   # lp-pstar alone changes every clip
                    self.assertLess(i["metrics"]["eval_stage_share"], 0.8, (task, tid))
                for k, a in f["arrays"].items():
                    np.testing.assert_array_equal(a, i["arrays"][k], err_msg=f"{task} {tid} {k}")


if __name__ == "__main__":
    unittest.main()
