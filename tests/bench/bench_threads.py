#!/usr/bin/python3
"""Training time idle and beside one busy process, per OpenMP waiting rule, side by side in one
run: lenet5 one epoch of Fashion-MNIST and a resnet20 epoch of synthetic images, each through
`qharness run` (the path users take), with the experiment's `threads` (default 2).

  /usr/bin/python3 tests/bench/bench_threads.py --qharness build/bin/qharness [--repeat 1]

Why: OpenMP threads that spin-wait for each other lose their time slices to any other process
on a shared core; a parallel region then waits for the preempted thread (issue 18 item 2,
docs/performance.md "Threads on a shared machine"). The busy process is one Python loop that
never sleeps (one core's worth of other work). Rows:

  qharness default   the environment as a user has it (qharness picks the waiting rule)
  libgomp default    QHARNESS_OMP_WAIT=default: libgomp's own (spin ~300k iterations, then sleep)
  passive            OMP_WAIT_POLICY=passive: sleep at once
  spin N             GOMP_SPINCOUNT=N: spin N iterations, then sleep
  1 thread           threads=1 (the floor beside a busy process)

"ratio" is each row's time over libgomp default's idle time (the time before this change).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import h5py

CONFIGS = [
    ("qharness default", {}, None),
    ("libgomp default", {"QHARNESS_OMP_WAIT": "default"}, None),
    ("passive", {"OMP_WAIT_POLICY": "passive"}, None),
    ("spin 10000", {"GOMP_SPINCOUNT": "10000"}, None),
    ("spin 100000", {"GOMP_SPINCOUNT": "100000"}, None),
    ("1 thread", {}, 1),
]

# The variables this benchmark sets, removed from the inherited environment so that each row
# gets exactly its own setting.
OWN = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "QHARNESS_OMP_WAIT", "OMP_NUM_THREADS")


def workloads():
    """(name, experiment text, training images per run)."""
    # Fashion-MNIST where Debian's dataset-fashion-mnist is installed, else as many synthetic images.
    lenet_data = ("{dataset: fashion-mnist, batch_size: 128}" if os.path.isdir("/usr/share/datasets/fashion-mnist")
                  else "{dataset: synthetic, batch_size: 128, synthetic: {train_size: 60000, test_size: 128}}")
    return [
        ("lenet5, 1 epoch (60k images)", f"""task: train
data: {lenet_data}
model: {{arch: lenet5}}
train: {{epochs: 1, lr: 0.05, schedule: constant}}
""", 60000),
        ("resnet20, 2048 images", """task: train
data: {dataset: synthetic, batch_size: 128, synthetic: {train_size: 2048, test_size: 128}}
model: {arch: resnet20}
train: {epochs: 1, lr: 0.05, schedule: constant}
""", 2048),
    ]


def training_seconds(binary, yaml_text, images, env, threads, cwd):
    """Seconds of training (images / train_images_per_s) of a fresh one-trial run."""
    with tempfile.TemporaryDirectory(dir=cwd) as tmp:
        path = os.path.join(tmp, "bench.yaml")
        with open(path, "w") as f:
            f.write(f"name: bench\nseed: 0\nthreads: {threads}\n" + yaml_text)
        subprocess.run([binary, "run", path, "--results", os.path.join(tmp, "results")], cwd=cwd,
                       env=env, check=True, capture_output=True)
        with h5py.File(os.path.join(tmp, "results/bench/bench.h5"), "r") as h:
            (trial,) = h["trials"].values()
            if trial.attrs["status"] != "done":
                raise RuntimeError(f"trial failed: {trial.attrs['error']}")
            return images / float(trial["metrics/train_images_per_s"][()])


class BusyProcess:
    """One core's worth of other work: a Python loop that never sleeps."""

    def __enter__(self):
        self.p = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        return self

    def __exit__(self, *exc):
        self.p.kill()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qharness", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell; the median is shown")
    ap.add_argument("--only", nargs="*", help="names of the rows to run (default: all)")
    ap.add_argument("--loads", nargs="*", default=["idle", "busy"], choices=["idle", "busy"])
    a = ap.parse_args()
    binary = os.path.abspath(a.qharness)
    cwd = os.getcwd()
    base = {k: v for k, v in os.environ.items() if k not in OWN}
    configs = [c for c in CONFIGS if not a.only or c[0] in a.only]
    # Repetitions outermost, so that a drift of the machine's speed spreads over every row.
    times = {}
    for _ in range(a.repeat):
        for wname, text, images in workloads():
            for load in a.loads:
                for name, extra, threads in configs:
                    env = dict(base, **extra)
                    run = lambda: training_seconds(binary, text, images, env, threads or a.threads, cwd)
                    if load == "busy":
                        with BusyProcess():
                            t = run()
                    else:
                        t = run()
                    times.setdefault((wname, load, name), []).append(t)
                    print(f"  {wname:30s} {load:4s} {name:18s} {t:7.2f} s", file=sys.stderr, flush=True)
    results = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nTraining seconds, {a.threads} threads unless the row says otherwise, median of {a.repeat}; "
          f"ratio = time / libgomp default idle\n")
    for wname, _, _ in workloads():
        ref = results.get((wname, "idle", "libgomp default"))
        print(f"| {wname} | idle s | beside a busy process s | busy / idle | ratio idle | ratio busy |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, _, _ in configs:
            i, b = results.get((wname, "idle", name)), results.get((wname, "busy", name))
            cells = [f"{i:.2f}" if i else "-", f"{b:.2f}" if b else "-", f"{b / i:.2f}" if i and b else "-",
                     f"{i / ref:.2f}" if i and ref else "-", f"{b / ref:.2f}" if b and ref else "-"]
            print(f"| {name} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
