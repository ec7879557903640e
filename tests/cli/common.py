"""Shared helpers for the CLI tests: run the qharness binary, write experiment files, read
results with h5py. ctest sets QHARNESS_BIN, QHARNESS_SOURCE_DIR, QHARNESS_BUILD_DIR and
QHARNESS_BAD_PLUGIN (see tests/CMakeLists.txt)."""
import os
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

QHARNESS = os.environ["QHARNESS_BIN"]
SOURCE_DIR = os.environ["QHARNESS_SOURCE_DIR"]
BUILD_DIR = os.environ["QHARNESS_BUILD_DIR"]
BAD_PLUGIN = os.environ.get("QHARNESS_BAD_PLUGIN", "")

# A selftest sweep of 12 trials: 2 functions x 3 dimensions x 2 seeds.
SWEEP_12 = """\
name: sweep12
task: selftest
selftest:
  sleep_s: {sleep}
sweep:
  grid:
    selftest.function: [quadratic, rosenbrock]
    selftest.dim: [2, 3, 4]
  seeds: [0, 1]
"""


def base_env(**extra):
    env = dict(os.environ)
    env.pop("SLURM_ARRAY_TASK_ID", None)
    env.pop("SLURM_ARRAY_TASK_COUNT", None)
    env["QHARNESS_PLUGIN_PATH"] = ""
    env.update(extra)
    return env


def qharness(args, cwd, env=None, timeout=300):
    """Runs the driver; returns the CompletedProcess (text stdout/stderr)."""
    return subprocess.run([QHARNESS, *args], cwd=cwd, env=env or base_env(), capture_output=True,
                          text=True, timeout=timeout)


def tiny_lenet5_train(data, epochs):
    """A train experiment for a tiny lenet5 checkpoint (name tiny-lenet5, 2 threads, lr 0.05):
    `data` is the test's `data: {...}` line, shared with the experiments that load it."""
    return f"""\
name: tiny-lenet5
task: train
threads: 2
{data}
model: {{arch: lenet5}}
train: {{epochs: {epochs}, lr: 0.05}}
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def trials_of(h5_path):
    """{trial_id: {"status": ..., "metrics": {...}, "x_star": array}} of a results file."""
    out = {}
    with h5py.File(h5_path, "r") as f:
        for tid, g in f["trials"].items():
            out[tid] = {
                "status": g.attrs["status"],
                "error": g.attrs["error"],
                "metrics": {k: float(v[()]) for k, v in g["metrics"].items()},
                "arrays": {k: np.array(v) for k, v in g["arrays"].items()},
            }
    return out


class CliTestCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="qh-cli-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def assert_exit(self, proc, code):
        self.assertEqual(proc.returncode, code,
                         f"exit {proc.returncode}, expected {code}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
