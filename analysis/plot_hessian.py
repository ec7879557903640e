"""Figures of the `hessian` task:
* hessian_heatmaps: the normalized Hessian H_ij / sqrt(|H_ii H_jj|) (diagonal = +-1), one row
  per configuration (method, clip kind, model, ...), one panel per bit width;
* hessian_vs_bits: top eigenvalue (raw and in relative clip coordinates), trace, coupling,
  offdiag_ratio and the mean |Gaussian curvature| of adjacent pairs against the bit width, one
  line per configuration."""
import numpy as np

from study_groups import finite, grouped, row_label


def normalized(h):
    d = np.sqrt(np.abs(np.diag(h)))
    scale = np.outer(d, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(scale > 0, h / scale, 0.0)
    return n


def heatmaps(rows, out_dir, save):
    import matplotlib.pyplot as plt

    ncols = max(len(by_bits) for by_bits in rows.values())
    fig, axes = plt.subplots(len(rows), ncols, figsize=(3.4 * ncols + 0.8, 3.4 * len(rows)), squeeze=False,
                             layout="constrained")
    for r, (key, by_bits) in enumerate(rows.items()):
        bits_list = sorted(by_bits, reverse=True)
        for c in range(ncols):
            ax = axes[r][c]
            if c >= len(bits_list):
                ax.axis("off")
                continue
            t = by_bits[bits_list[c]][0]
            h = t.arrays["hessian"]
            im = ax.imshow(normalized(h), cmap="RdBu_r", vmin=-1, vmax=1)
            names = t.layer_names.get("hessian", [str(i) for i in range(h.shape[0])])
            ax.set_xticks(range(len(names)))
            ax.set_yticks(range(len(names)))
            ax.set_xticklabels(names, rotation=90, fontsize=6)
            ax.set_yticklabels(names, fontsize=6)
            ax.set_title(f"{row_label(key)}\n{bits_list[c]} bit: coupling {t.metrics['coupling']:.2f}", fontsize=8)
        fig.colorbar(im, ax=list(axes[r]), shrink=0.9, label="H_ij / sqrt|H_ii H_jj|")
    fig.suptitle("normalized Hessian of the calibration loss over the clips")
    return save(fig, out_dir, "hessian_heatmaps")


def against_bits(rows, out_dir, save):
    import matplotlib.pyplot as plt

    # rel_top_eigenvalue: the top eigenvalue in relative clip coordinates (H_ij a_i a_j), free of
    # the clips' own scale; results from before it existed leave that panel empty.
    panels = [("top_eigenvalue", True), ("rel_top_eigenvalue", True), ("trace", True), ("coupling", False),
              ("offdiag_ratio", False), ("mean_abs_gaussian_curvature", True)]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4))
    for key, by_bits in rows.items():
        bits = sorted(by_bits)
        for ax, (metric, log) in zip(axes, panels):
            ys = [by_bits[b][0].metrics.get(metric) for b in bits]
            pts = [(b, abs(y) if log else y) for b, y in zip(bits, ys) if finite(y) and (not log or y != 0)]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=row_label(key))
    for ax, (metric, log) in zip(axes, panels):
        ax.set_xlabel("bits")
        ax.set_title(("|%s|" % metric) if log else metric, fontsize=9)
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    if len(rows) <= 12:
        axes[0].legend(fontsize=6)
    fig.suptitle("curvature and coupling of the calibration loss against the bit width")
    fig.tight_layout()
    return save(fig, out_dir, "hessian_vs_bits")


def figures(trials, out_dir, save):
    rows = grouped([t for t in trials if "hessian" in t.arrays])
    if not rows:
        return []
    return heatmaps(rows, out_dir, save) + against_bits(rows, out_dir, save)
