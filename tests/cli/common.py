"""Shared helpers for the CLI tests: run the qharness binary, write experiment files, read
results with h5py. ctest sets QHARNESS_BIN, QHARNESS_SOURCE_DIR, QHARNESS_BUILD_DIR,
QHARNESS_BAD_PLUGIN and QHARNESS_YAML_PLUGIN (see tests/CMakeLists.txt)."""
import os
import shutil
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
    """A train experiment for a tiny lenet5 checkpoint (name tiny-lenet5, 1 thread, lr 0.05):
    `data` is the test's `data: {...}` line, shared with the experiments that load it."""
    return f"""\
name: tiny-lenet5
task: train
threads: 1
{data}
model: {{arch: lenet5}}
train: {{epochs: {epochs}, lr: 0.05}}
"""


def lenet5_experiment(name, task, data, block):
    """An experiment on the tiny lenet5 checkpoint of train.yaml (1 thread): `data` is the
    test's `data: {...}` line, `block` the rest (quant:, task blocks, sweep)."""
    return f"""\
name: {name}
task: {task}
threads: 1
{data}
model: {{arch: lenet5, checkpoint: {{train: train.yaml}}}}
{block}"""


def quant_experiment(name, task, data, weights, activations, block):
    """An experiment quantizing the tiny lenet5 checkpoint of train.yaml (every layer: skip []):
    `weights` and `activations` are the quant: slots' flow maps, `block` the rest (task blocks,
    sweep)."""
    return lenet5_experiment(name, task, data, f"""\
quant:
  weights: {weights}
  activations: {activations}
  skip: []
{block}
""")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def read_trials(h5_path, key="id", layer_names_of=None):
    """Every trial of a results file: {key: {"id", "swept", "status", "error", "config",
    "metrics", "series", "arrays", "layer_names"}}, keyed by trial id (key="id") or by the
    swept values as recorded ("{ptq.method: lapq}", key="swept"). layer_names is the
    `layer_names` attribute of the array `layer_names_of` ([] without one)."""
    out = {}
    with h5py.File(h5_path, "r") as f:
        for tid, g in f["trials"].items():
            arrays = g.get("arrays", {})
            names = arrays[layer_names_of].attrs.get("layer_names", []) if layer_names_of and layer_names_of in arrays else []
            t = {
                "id": tid, "swept": g.attrs.get("swept", ""),
                "status": g.attrs["status"], "error": g.attrs["error"], "config": g.attrs.get("config", ""),
                "metrics": {k: float(v[()]) for k, v in g.get("metrics", {}).items()},
                "series": {k: np.array(v) for k, v in g.get("series", {}).items()},
                "arrays": {k: np.array(v) for k, v in arrays.items()},
                "layer_names": list(names),
            }
            out[t["id"] if key == "id" else t["swept"]] = t
    return out


def trials_of(h5_path):
    """read_trials keyed by trial id."""
    return read_trials(h5_path, "id")


def trials_by_swept(h5_path):
    """read_trials keyed by each trial's swept values as recorded ("{ptq.method: lapq}")."""
    return read_trials(h5_path, "swept")


class CliTestCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="qh-cli-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def assert_exit(self, proc, code):
        self.assertEqual(proc.returncode, code,
                         f"exit {proc.returncode}, expected {code}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")


def build_template_out_of_tree(test, template, name_option, name):
    """What docs/plugins.md tells a plugin author to do: install qharness under test.tmp/prefix,
    copy `template` (a folder under plugins/), configure it with -D<name_option>=<name> against
    the installed CMake package and build it. Returns (installed qharness binary, prefix, the
    plugin's build folder, to put on QHARNESS_PLUGIN_PATH)."""
    def sh(*cmd):
        p = subprocess.run(cmd, capture_output=True, text=True)
        test.assertEqual(p.returncode, 0, f"{' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    prefix = os.path.join(test.tmp, "prefix")
    if not os.path.exists(os.path.join(prefix, "bin", "qharness")):
        sh("cmake", "--install", BUILD_DIR, "--prefix", prefix)
    src = os.path.join(test.tmp, name)
    shutil.copytree(os.path.join(SOURCE_DIR, template), src)
    build = os.path.join(src, "build")
    sh("cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_PREFIX_PATH={prefix}",
       f"-D{name_option}={name}")
    sh("cmake", "--build", build, "-j2")
    return os.path.join(prefix, "bin", "qharness"), prefix, build

