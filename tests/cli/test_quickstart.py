"""The newcomer test: the README's first command, shrunk. It copies the quickstart's files,
replaces only the model's training config (experiments/models/lenet5.yaml) by a tiny one (512
images, 1 epoch), and
runs `qharness run experiments/quickstart.yaml` with overrides that shrink data and epochs.
Then it checks what the quickstart promises: every part's table printed, every results file
holding finite numbers for the metrics the README shows, and every figure written and not
blank."""
import math
import os
import re
import shutil
import unittest

import h5py
import numpy as np

from common import SOURCE_DIR, CliTestCase, qharness, write

TINY_LENET5 = """\
name: lenet5-fashion-mnist
task: train
seed: 0
data: {dataset: fashion-mnist, batch_size: 64, train_size: 512, test_size: 256}
model: {arch: lenet5}
train: {epochs: 1, optimizer: sgd, lr: 0.05, momentum: 0.9, schedule: cosine}
"""

SHRINK = ["data.train_size=512", "data.test_size=256", "data.batch_size=64", "data.calibration.size=64",
          "train.epochs=1", "threads=2"]

# part (experiment name) -> metrics every trial must hold as finite numbers, and the number of trials.
PROMISED = {
    "quickstart-ptq": (["top1", "calib_loss"], 8),
    "quickstart-hessian": (["trace", "top_eigenvalue", "rel_top_eigenvalue", "coupling", "offdiag_ratio"], 9),
    "quickstart-landscape": (["nonseparability"], 2),
    "quickstart-luq": (["top1"], 2),
    "quickstart-masks": (["kept_ratio", "top1_pruned", "top1_adaprune"], 3),
}


def summary_rows(path):
    with h5py.File(path, "r") as f:
        table = f["summary"][()]
        return [{name: row[name] for name in table.dtype.names} for row in table]


class Quickstart(CliTestCase):
    def test_the_quickstart_runs_and_delivers_every_table_and_figure(self):
        shutil.copytree(os.path.join(SOURCE_DIR, "experiments"), os.path.join(self.tmp, "experiments"))
        write(os.path.join(self.tmp, "experiments/models/lenet5.yaml"), TINY_LENET5)
        p = qharness(["run", "experiments/quickstart.yaml", *SHRINK], cwd=self.tmp, timeout=1500)
        self.assert_exit(p, 0)
        out = p.stdout
        self.assertIn("==== suite 'quickstart': the tables", out)
        tables = out[out.index("the tables"):]
        for part, (metrics, count) in PROMISED.items():
            self.assertIn(f"{part}: {count} trial(s)", tables)
            rows = summary_rows(os.path.join(self.tmp, "results", part, part + ".h5"))
            self.assertEqual(len(rows), count, part)
            for row in rows:
                self.assertEqual(row["status"].decode() if isinstance(row["status"], bytes) else row["status"], "done")
                for m in metrics:
                    self.assertTrue(math.isfinite(float(row[m])), f"{part}: {m} = {row[m]}")
        # The figures: listed after the tables, on disk, and not blank.
        figures = re.findall(r"^(\S+\.png)$", out[out.index("==== figures"):], flags=re.M)
        self.assertGreaterEqual(len(figures), len(PROMISED), out)
        import matplotlib.image as mpimg
        for fig in figures:
            path = os.path.join(self.tmp, fig)
            self.assertTrue(os.path.getsize(path) > 1000, path)
            pixels = mpimg.imread(path)
            self.assertGreater(float(np.std(pixels)), 0.01, f"{fig} is blank")
            self.assertTrue(os.path.exists(path[:-4] + ".pdf"), path)


if __name__ == "__main__":
    unittest.main()
