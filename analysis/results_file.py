"""Reading a qharness experiment file (results/<name>/<name>.h5) for the figure scripts."""
import os
from dataclasses import dataclass, field

import h5py
import numpy as np
import yaml  # python3-yaml, a dependency of python3-matplotlib's tooling on Debian


@dataclass
class Trial:
    id: str
    index: int
    status: str
    task: str
    swept: dict
    config: dict
    metrics: dict = field(default_factory=dict)
    series: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    layer_names: dict = field(default_factory=dict)

    def label(self, skip=()):
        """The swept values as a short legend label."""
        parts = [f"{k.split('.')[-1]}={v}" for k, v in self.swept.items() if k not in skip]
        return ", ".join(parts) or self.id


def experiment_file(results_dir):
    results_dir = os.path.normpath(results_dir)
    name = os.path.basename(results_dir)
    path = os.path.join(results_dir, name + ".h5")
    if not os.path.exists(path):
        raise SystemExit(f"plot: no {path} (run the experiment first, or `qharness merge {results_dir}`)")
    return path


def load_trials(results_dir):
    """Every trial of the experiment file, in sweep order."""
    trials = []
    with h5py.File(experiment_file(results_dir), "r") as f:
        for tid, g in f["trials"].items():
            config = yaml.safe_load(g.attrs["config"]) or {}
            swept = yaml.safe_load(g.attrs["swept"]) or {}
            t = Trial(tid, int(g.attrs["index"]), g.attrs["status"], config.get("task", "?"), swept, config)
            t.metrics = {k: float(v[()]) for k, v in g["metrics"].items()}
            t.series = {k: np.array(v) for k, v in g["series"].items()}
            for k, v in g["arrays"].items():
                t.arrays[k] = np.array(v)
                if "layer_names" in v.attrs:
                    t.layer_names[k] = [str(s) for s in v.attrs["layer_names"]]
            trials.append(t)
    trials.sort(key=lambda t: t.index)
    return trials
