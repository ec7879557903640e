"""`./qh plot results/<name>`: every figure that fits the experiment's trials, as PNG and PDF
under results/<name>/figures/. Each figure kind is a function below that picks the trials it
can draw; the task-specific studies add theirs to FIGURES."""
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

import gradient_bias  # noqa: E402
import plot_hessian  # noqa: E402
import plot_landscape  # noqa: E402
from results_file import load_trials  # noqa: E402


def save(fig, out_dir, stem):
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        path = os.path.join(out_dir, f"{stem}.{ext}")
        fig.savefig(path, dpi=120, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def common_keys(trials):
    """Swept keys with one value across the trials drawn (left out of legends)."""
    keys = set().union(*(t.swept.keys() for t in trials)) if trials else set()
    return {k for k in keys if len({str(t.swept.get(k)) for t in trials}) == 1}


def convergence(trials, out_dir):
    """Optimizer runs: f at every evaluation (selftest, lapq): the best-so-far on a log scale."""
    runs = [t for t in trials if t.status == "done" and len(t.series.get("loss_trace", [])) > 1]
    if not runs:
        return []
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    skip = common_keys(runs)
    for t in runs:
        trace = t.series["loss_trace"]
        best = [min(trace[: i + 1]) for i in range(len(trace))]
        shifted = [b - min(best) + 1e-16 for b in best] if min(best) <= 0 else best
        ax.semilogy(range(1, len(best) + 1), shifted, label=t.label(skip))
    ax.set_xlabel("evaluation")
    ax.set_ylabel("best loss so far")
    ax.set_title("optimizer convergence")
    if len(runs) <= 12:
        ax.legend(fontsize=7)
    return save(fig, out_dir, "convergence")


def training_curves(trials, out_dir):
    """Training runs: train loss and test top-1 per epoch, one line per trial."""
    runs = [t for t in trials if len(t.series.get("test_top1", [])) > 0]
    if not runs:
        return []
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    skip = common_keys(runs)
    for t in runs:
        epochs = range(1, len(t.series["test_top1"]) + 1)
        if "train_loss" in t.series:
            left.plot(range(1, len(t.series["train_loss"]) + 1), t.series["train_loss"], label=t.label(skip))
        right.plot(epochs, 100 * t.series["test_top1"], label=t.label(skip))
    left.set_xlabel("epoch")
    left.set_ylabel("train loss")
    right.set_xlabel("epoch")
    right.set_ylabel("test top-1 (%)")
    if len(runs) <= 12:
        right.legend(fontsize=7)
    fig.suptitle("training curves")
    return save(fig, out_dir, "training_curves")


FIGURES = [convergence, training_curves,
           lambda trials, out: gradient_bias.gradient_bias(trials, out, save),
           lambda trials, out: plot_landscape.figures(trials, out, save),
           lambda trials, out: plot_hessian.figures(trials, out, save)]


def main(argv):
    if len(argv) != 1:
        raise SystemExit("usage: plot.py results/<name>")
    results_dir = argv[0]
    trials = load_trials(results_dir)
    out_dir = os.path.join(results_dir, "figures")
    written = []
    for figure in FIGURES:
        written += figure(trials, out_dir)
    if not written:
        print(f"no figure fits the trials of {results_dir}")
        return 0
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
