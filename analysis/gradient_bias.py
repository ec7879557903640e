"""The gradient-bias figure of 4-bit training (quant-train, LUQ): per variant, the bias (raw, and
debiased: without the sampling floor sqrt(error / S) of S quantizations) and the relative error
of the weight gradient computed from the quantized neural gradient against the unquantized one
(metrics grad_bias, grad_bias_debiased, grad_error: mean over the gradient-quantized layers at
the last measurement), as bars with error bars (std over the seeds), one row of panels per model.
A variant is the trial's report.label (when set) plus the swept keys that still tell apart
trials of one model and label (e.g. the gradient bits)."""
from collections import OrderedDict

import matplotlib.pyplot as plt
import numpy as np

METRICS = [("grad_bias", "raw bias  ||mean_S dW(q) - dW(g)|| / ||dW(g)||"),
           ("grad_bias_debiased", "debiased bias (sampling floor sqrt(error/S) removed)"),
           ("grad_error", "relative error  E||dW(q) - dW(g)||^2 / ||dW(g)||^2")]


def _model(t):
    model = t.config.get("model") or {}
    return str(model.get("arch", "?")) if isinstance(model, dict) else str(model)


def _label(t):
    report = t.config.get("report") or {}
    return str(report.get("label", "")) if isinstance(report, dict) else ""


def _variants(runs):
    """OrderedDict: variant name -> trials, in sweep order."""
    per_label = OrderedDict()
    for t in runs:
        per_label.setdefault(_label(t), []).append(t)
    variants = OrderedDict()
    for label, group in per_label.items():
        keys = [k for k in group[0].swept if k not in ("seed", "report.label", "model")]
        differing = [k for k in keys if len({str(t.swept.get(k)) for t in group}) > 1]
        for t in group:
            parts = ([label] if label else []) + [f"{k.split('.')[-1]}={t.swept.get(k)}" for k in differing]
            if not label and not differing:
                parts = [t.label({"seed"})]
            variants.setdefault(", ".join(parts), []).append(t)
    return variants


def gradient_bias(trials, out_dir, save):
    runs = [t for t in trials if t.status == "done" and "grad_bias" in t.metrics and "grad_error" in t.metrics
            and np.isfinite(t.metrics["grad_bias"])]
    if not runs:
        return []
    models = list(OrderedDict.fromkeys(_model(t) for t in runs))
    # Results from before grad_bias_debiased existed have two panels per model.
    metrics = [(m, title) for m, title in METRICS if all(m in t.metrics for t in runs)]
    fig, axes = plt.subplots(len(models), len(metrics), figsize=(5.5 * len(metrics), 3.6 * len(models)), squeeze=False)
    for row, model in enumerate(models):
        variants = _variants([t for t in runs if _model(t) == model])
        names = list(variants)
        x = np.arange(len(names))
        for col, (metric, title) in enumerate(metrics):
            ax = axes[row][col]
            values = [np.array([t.metrics[metric] for t in variants[n]]) for n in names]
            means = np.array([v.mean() for v in values])
            stds = np.array([v.std(ddof=1) if len(v) > 1 else 0.0 for v in values])
            ax.bar(x, means, yerr=stds, capsize=3, color=plt.cm.tab10(np.arange(len(names)) % 10))
            ax.set_xticks(x)
            ax.set_xticklabels(names, rotation=35, ha="right", fontsize=7)
            positive = means[means > 0]
            if len(positive) > 1 and positive.max() / positive.min() > 100:
                ax.set_yscale("log")
            ax.set_title(f"{model}: {title}", fontsize=8)
            ax.grid(axis="y", alpha=0.3)
    fig.suptitle("weight-gradient bias and error against the unquantized gradient (mean ± std over seeds)")
    fig.tight_layout()
    return save(fig, out_dir, "gradient_bias")
