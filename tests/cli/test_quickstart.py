"""The newcomer test: the README's first command, shrunk. It copies the quickstart's files,
replaces only the model's training config (experiments/models/lenet5.yaml) by a tiny one (512
images, 1 epoch), and
runs `qharness run experiments/quickstart.yaml` with overrides that shrink data and epochs.
Then it checks what the quickstart promises: every part's table printed, every results file
holding finite numbers for the metrics the README shows, every figure written and not
blank, the one-page report results/quickstart.html written and its path printed, and the h5py +
pandas example of docs/results-format.md running as shown on this result."""
import math
import os
import re
import shutil
import subprocess
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
          "train.epochs=1", "threads=1"]

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
        # The page to open in a browser (tested in a browser by cli.test_html_report): one
        # section per part.
        self.assertRegex(out, r"==== report: results/quickstart\.html\n")
        with open(os.path.join(self.tmp, "results", "quickstart.html")) as f:
            page = f.read()
        for part in PROMISED:
            self.assertIn(f'<section id="{part}">', page)
        self.check_results_format_example()
        self.check_docs_excerpt_regenerates(out)

    def check_docs_excerpt_regenerates(self, out):
        """analysis/quickstart_excerpt.py rewrites the console blocks of copies of README.md and
        docs/quickstart.md from this run's output, and touches nothing else in them."""
        root = os.path.join(self.tmp, "docroot")
        originals = {}
        for rel in ("README.md", "docs/quickstart.md"):
            with open(os.path.join(SOURCE_DIR, rel)) as f:
                originals[rel] = f.read()
            write(os.path.join(root, rel), originals[rel])
        log = write(os.path.join(self.tmp, "quickstart.log"), out)
        p = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE_DIR, "analysis", "quickstart_excerpt.py"), log,
                            "--update", "--root", root], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        table = []   # this run's top-1 table: title, header, rule, rows (not the notes under it)
        for line in out[out.index("LAPQ, LeNet-5, every layer quantized"):].split("\n"):
            if not line.strip() or line.startswith("  "):
                break
            table.append(line)
        lapq = "\n".join(table)
        marker = {"README.md": "quickstart-excerpt", "docs/quickstart.md": "quickstart-output"}
        for rel, old in originals.items():
            with open(os.path.join(root, rel)) as f:
                new = f.read()
            begin, end = f"<!-- BEGIN {marker[rel]} -->", f"<!-- END {marker[rel]} -->"
            block = new[new.index(begin):new.index(end)]
            self.assertIn(lapq, block, rel)
            self.assertTrue(block.split("\n")[2].startswith("suite 'quickstart': 5 experiment(s)"), rel)
            self.assertEqual(new[:new.index(begin)], old[:old.index(begin)], rel)
            self.assertEqual(new[new.index(end):], old[old.index(end):], rel)

    def check_results_format_example(self):
        """docs/results-format.md's Python block, run as it stands on this quickstart result."""
        with open(os.path.join(SOURCE_DIR, "docs", "results-format.md")) as f:
            doc = f.read()
        code = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
        self.assertIn('pd.DataFrame(f["summary"][()])', code)
        p = subprocess.run(["/usr/bin/python3", "-c", code], cwd=self.tmp, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        # The table: the 8 trials with their method, weight bits, top-1 and calibration loss.
        for method in ("minmax", "mse", "lp-pstar", "lapq"):
            self.assertIn(method, p.stdout)
        self.assertRegex(p.stdout, r"calib_loss")
        # The trial it picks, as the comment says: lapq at W4A4, its clips per layer, its loss trace.
        self.assertRegex(p.stdout, r"method: lapq")
        self.assertRegex(p.stdout, r"\n  weights:\n    quantizer: \S+\n    bits: 4\n")
        self.assertRegex(p.stdout, r"'conv2': array\(\[")


if __name__ == "__main__":
    unittest.main()
