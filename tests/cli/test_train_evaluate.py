"""train / evaluate tasks and the checkpoint cache, on seeded synthetic data (seconds), and
the errors for bad data files and an unavailable device."""
import gzip
import os
import struct
import unittest

from common import CliTestCase, qharness, trials_of, write

TRAIN = """\
name: tiny-train
task: train
threads: 1
data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 192, test_size: 64}}
model: {arch: mlp}
train: {epochs: 2, lr: 0.05}
"""

EVALUATE = """\
name: tiny-eval
task: evaluate
threads: 1
data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 192, test_size: 64}}
model: {arch: mlp, checkpoint: {train: train.yaml}}
"""


def only_trial(path):
    trials = trials_of(path)
    assert len(trials) == 1, trials
    return next(iter(trials.items()))


class TrainEvaluateTest(CliTestCase):
    def test_train_caches_checkpoint_and_evaluate_reuses_it(self):
        write(os.path.join(self.tmp, "train.yaml"), TRAIN)
        write(os.path.join(self.tmp, "eval.yaml"), EVALUATE)
        p = qharness(["run", "train.yaml"], cwd=self.tmp)
        self.assert_exit(p, 0)
        tid, train = only_trial(os.path.join(self.tmp, "results/tiny-train/tiny-train.h5"))
        ckpt = os.path.join(self.tmp, "results/checkpoints", tid + ".pt")
        self.assertTrue(os.path.exists(ckpt))
        self.assertGreater(train["metrics"]["top1"], 0.5)   # learnable: well above 10% chance
        # The evaluate run finds the cached checkpoint: no training, the train run's numbers.
        p = qharness(["run", "eval.yaml"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertNotIn("training mlp", p.stderr)
        _, ev = only_trial(os.path.join(self.tmp, "results/tiny-eval/tiny-eval.h5"))
        self.assertEqual(ev["metrics"]["top1"], train["metrics"]["top1"])
        self.assertAlmostEqual(ev["metrics"]["loss"], train["metrics"]["loss"], places=6)
        # A corrupt cache file is retrained (same seed: same numbers), not trusted.
        with open(ckpt, "wb") as f:
            f.write(b"garbage")
        p = qharness(["run", "eval.yaml", "--force"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("not usable, retraining", p.stderr)
        self.assertIn("training mlp", p.stderr)
        _, ev2 = only_trial(os.path.join(self.tmp, "results/tiny-eval/tiny-eval.h5"))
        self.assertEqual(ev2["metrics"]["top1"], train["metrics"]["top1"])

    def test_cache_miss_trains_once_then_hits(self):
        write(os.path.join(self.tmp, "train.yaml"), TRAIN)
        write(os.path.join(self.tmp, "eval.yaml"), EVALUATE)
        p = qharness(["run", "eval.yaml"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("training mlp for the checkpoint cache", p.stderr)
        p = qharness(["run", "eval.yaml", "--force"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertNotIn("training mlp", p.stderr)

    def test_checkpoint_training_sees_the_experiments_yaml_plugins(self):
        # The experiment and its training file share a base whose quant block names a quantizer
        # that only the experiment's `plugins:` list loads. The training run that fills the
        # checkpoint cache validates that block too, so it must see the experiment's plugins.
        plugin = os.environ["QHARNESS_YAML_PLUGIN"]
        write(os.path.join(self.tmp, "base.yaml"),
              "threads: 1\n"
              "data: {dataset: synthetic, batch_size: 32, synthetic: {train_size: 192, test_size: 64}}\n"
              "quant: {weights: {quantizer: yaml-only-quant, bits: 4}}\n")
        write(os.path.join(self.tmp, "train.yaml"),
              "extends: base.yaml\nname: tiny-train\ntask: train\nmodel: {arch: mlp}\n"
              "train: {epochs: 2, lr: 0.05}\n")
        write(os.path.join(self.tmp, "eval.yaml"),
              f"extends: base.yaml\nname: tiny-eval\ntask: evaluate\nplugins: [{plugin}]\n"
              "model: {arch: mlp, checkpoint: {train: train.yaml}}\n")
        p = qharness(["run", "eval.yaml"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("training mlp for the checkpoint cache", p.stderr)
        _, ev = only_trial(os.path.join(self.tmp, "results/tiny-eval/tiny-eval.h5"))
        self.assertGreater(ev["metrics"]["top1"], 0.5)   # the trained weights, not the seeded init
        # The plugin is the experiment's alone: the training file by itself does not know it.
        p = qharness(["run", "train.yaml"], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("yaml-only-quant", p.stderr)

    def test_missing_checkpoint_file_is_bad_input(self):
        write(os.path.join(self.tmp, "eval.yaml"), EVALUATE.replace("{train: train.yaml}", "{path: nope.pt}"))
        p = qharness(["run", "eval.yaml"], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("model.checkpoint.path", p.stderr)
        self.assertIn("'nope.pt' does not exist", p.stderr)

    def test_cuda_without_cuda_fails_with_reason(self):
        write(os.path.join(self.tmp, "train.yaml"), TRAIN + "device: cuda\n")
        p = qharness(["run", "train.yaml"], cwd=self.tmp)
        self.assert_exit(p, 1)
        _, t = only_trial(os.path.join(self.tmp, "results/tiny-train/tiny-train.h5"))
        self.assertIn("torch::cuda::is_available() is false", t["error"])

    def test_truncated_idx_file_fails_naming_the_file(self):
        root = os.path.join(self.tmp, "fmnist")
        os.makedirs(root)

        def idx(path, dims, payload):
            with gzip.open(os.path.join(root, path), "wb") as f:
                f.write(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload)

        for prefix, n in (("train", 40), ("t10k", 20)):
            idx(f"{prefix}-images-idx3-ubyte.gz", [n, 28, 28], bytes(n * 784))
            idx(f"{prefix}-labels-idx1-ubyte.gz", [n], bytes(i % 10 for i in range(n)))
        idx("t10k-images-idx3-ubyte.gz", [20, 28, 28], bytes(19 * 784))   # one image short
        write(os.path.join(self.tmp, "train.yaml"),
              TRAIN.replace("dataset: synthetic", f"dataset: fashion-mnist, root: {root}"))
        p = qharness(["run", "train.yaml"], cwd=self.tmp)
        self.assert_exit(p, 1)
        _, t = only_trial(os.path.join(self.tmp, "results/tiny-train/tiny-train.h5"))
        self.assertIn("t10k-images-idx3-ubyte.gz", t["error"])
        self.assertIn("truncated", t["error"])


if __name__ == "__main__":
    unittest.main()
