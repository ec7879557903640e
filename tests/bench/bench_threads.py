#!/usr/bin/python3
"""Training time idle and beside one busy process, per OpenMP waiting rule, side by side in one
run: lenet5 one epoch of Fashion-MNIST and a resnet20 epoch of synthetic images, each through
`qharness run` (the path users take), with the experiment's `threads` (default 2).

  /usr/bin/python3 tests/bench/bench_threads.py --qharness build/bin/qharness [--repeat 1]
  /usr/bin/python3 tests/bench/bench_threads.py --qharness build/bin/qharness --primitives

--primitives: where the time beside a busy process goes, for the lenet5 epoch at qharness's
default: oneDNN's own timing of each primitive (DNNL_VERBOSE=1), idle and busy, summed per kind.

Why: OpenMP threads that spin-wait for each other lose their time slices to any other process
on a shared core; a parallel region then waits for the preempted thread (issue 18 item 2,
docs/performance.md "Threads on a shared machine"). The busy process is one Python loop that
never sleeps (one core's worth of other work). Rows:

  qharness default   the environment as a user has it (qharness picks the waiting rule)
  libgomp default    QHARNESS_OMP_WAIT=default: libgomp's own (spin ~300k iterations, then sleep)
  passive            OMP_WAIT_POLICY=passive: sleep at once
  spin N             GOMP_SPINCOUNT=N: spin N iterations, then sleep
  1 thread           threads=1 (the floor beside a busy process)
  before             with --baseline OTHER_BINARY: that binary at its default (e.g. a build of an
                     earlier commit), interleaved with the rows above; the ratios are then over its
                     idle time

"ratio" is each row's time over libgomp default's idle time (the time before the waiting rule), or
over the --baseline binary's idle time when one is given.
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
OWN = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "QHARNESS_OMP_WAIT", "OMP_NUM_THREADS", "DNNL_VERBOSE", "ONEDNN_VERBOSE")


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


def training_seconds(binary, yaml_text, images, env, threads, cwd, output=None):
    """Seconds of training (images / train_images_per_s) of a fresh one-trial run; the run's
    standard output is appended to the list `output` when given."""
    with tempfile.TemporaryDirectory(dir=cwd) as tmp:
        path = os.path.join(tmp, "bench.yaml")
        with open(path, "w") as f:
            f.write(f"name: bench\nseed: 0\nthreads: {threads}\n" + yaml_text)
        done = subprocess.run([binary, "run", path, "--results", os.path.join(tmp, "results")], cwd=cwd,
                               env=env, check=True, capture_output=True, text=True)
        if output is not None:
            output.append(done.stdout)
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


def onednn_milliseconds(verbose_text):
    """oneDNN's time per primitive kind ("convolution jit:avx2 backward_weights", "reorder") from
    DNNL_VERBOSE=1 lines: onednn_verbose,exec,cpu,<primitive>,<implementation>,<propagation>,...,<ms>."""
    totals, calls = {}, {}
    for line in verbose_text.splitlines():
        f = line.split(",")
        if len(f) < 8 or f[0] != "onednn_verbose" or f[1] != "exec":
            continue
        kind = f[3] if f[3] == "reorder" else f"{f[3]} {f[4]} {f[5]}"
        totals[kind] = totals.get(kind, 0.0) + float(f[-1])
        calls[kind] = calls.get(kind, 0) + 1
    return totals, calls


def primitives(binary, threads, cwd, base):
    """The lenet5 epoch at qharness's default rule with oneDNN's per-primitive time: idle and beside
    a busy process with `threads`, and beside a busy process with one thread (the floor)."""
    wname, text, images = workloads()[0]
    env = dict(base, DNNL_VERBOSE="1")
    runs = [("idle", threads), ("busy", threads), ("busy", 1)]
    rows = []
    for load, n in runs:
        out = []
        if load == "busy":
            with BusyProcess():
                t = training_seconds(binary, text, images, env, n, cwd, out)
        else:
            t = training_seconds(binary, text, images, env, n, cwd, out)
        rows.append((t, *onednn_milliseconds(out[0])))
    (ti, ms_i, n_i), (tb, ms_b, _), (t1, ms_1, _) = rows
    print(f"\n{wname}, qharness default, DNNL_VERBOSE=1 (its printing included), seconds\n")
    print(f"| oneDNN primitive | calls | idle, {threads} threads | busy, {threads} threads | busy - idle | "
          f"busy, 1 thread |")
    print("| --- | --- | --- | --- | --- | --- |")
    cell = lambda ms, k: ms.get(k, 0.0) / 1e3
    for kind in sorted(ms_i, key=lambda k: -(cell(ms_b, k) - cell(ms_i, k))):
        print(f"| {kind} | {n_i[kind]} | {cell(ms_i, kind):.2f} | {cell(ms_b, kind):.2f} | "
              f"{cell(ms_b, kind) - cell(ms_i, kind):+.2f} | {cell(ms_1, kind):.2f} |")
    oi, ob, o1 = (sum(ms.values()) / 1e3 for ms in (ms_i, ms_b, ms_1))
    print(f"| all oneDNN | {sum(n_i.values())} | {oi:.2f} | {ob:.2f} | {ob - oi:+.2f} | {o1:.2f} |")
    print(f"| the rest (ATen, OpenBLAS, ours) | | {ti - oi:.2f} | {tb - ob:.2f} | {(tb - ob) - (ti - oi):+.2f} | "
          f"{t1 - o1:.2f} |")
    print(f"| training | | {ti:.2f} | {tb:.2f} ({tb / ti:.2f}x) | {tb - ti:+.2f} | {t1:.2f} ({t1 / ti:.2f}x) |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qharness", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell; the median is shown")
    ap.add_argument("--only", nargs="*", help="names of the rows to run (default: all)")
    ap.add_argument("--loads", nargs="*", default=["idle", "busy"], choices=["idle", "busy"])
    ap.add_argument("--baseline", help="another qharness binary, run at its default as the row 'before'")
    ap.add_argument("--primitives", action="store_true",
                    help="oneDNN's time per primitive in the lenet5 epoch, idle and busy (qharness default)")
    a = ap.parse_args()
    binary = os.path.abspath(a.qharness)
    cwd = os.getcwd()
    base = {k: v for k, v in os.environ.items() if k not in OWN}
    if a.primitives:
        return primitives(binary, a.threads, cwd, base)
    configs = [c for c in CONFIGS if not a.only or c[0] in a.only]
    binaries = {name: binary for name, _, _ in configs}
    if a.baseline:
        configs.append(("before", {}, None))
        binaries["before"] = os.path.abspath(a.baseline)
    reference = "before" if a.baseline else "libgomp default"
    # Repetitions outermost, so that a drift of the machine's speed spreads over every row.
    times = {}
    for _ in range(a.repeat):
        for wname, text, images in workloads():
            for load in a.loads:
                for name, extra, threads in configs:
                    env = dict(base, **extra)
                    run = lambda: training_seconds(binaries[name], text, images, env, threads or a.threads, cwd)
                    if load == "busy":
                        with BusyProcess():
                            t = run()
                    else:
                        t = run()
                    times.setdefault((wname, load, name), []).append(t)
                    print(f"  {wname:30s} {load:4s} {name:18s} {t:7.2f} s", file=sys.stderr, flush=True)
    results = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nTraining seconds, {a.threads} threads unless the row says otherwise, median of {a.repeat}; "
          f"ratio = time / {reference} idle\n")
    for wname, _, _ in workloads():
        ref = results.get((wname, "idle", reference))
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
