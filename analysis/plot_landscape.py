"""Figure of the `landscape` task: contour plots of the calibration loss over two layers'
clips, one row per configuration (layer pair, model, clip kind), one panel per bit width,
one color scale per row; the grid minimum (red star) and the initial clips (white cross) are
marked, and each panel's title gives its nonseparability (recomputed on the stitched grid
when the surface was split across trials with landscape.rows)."""
import numpy as np

from study_groups import grouped, row_label


def nonseparability(surface):
    """Fraction of the variance the best additive fit f(a) + g(b) leaves (two-way ANOVA)."""
    m = surface.mean()
    fit = surface.mean(axis=1, keepdims=True) + surface.mean(axis=0, keepdims=True) - m
    total = ((surface - m) ** 2).sum()
    return float(((surface - fit) ** 2).sum() / total) if total > 0 else 0.0


def stitched(trials):
    """One surface from the row blocks of a landscape split across trials."""
    blocks = {}
    for t in trials:
        if "landscape" in t.arrays:
            blocks.setdefault(int(t.metrics.get("row_start", 0)), t)
    parts = [blocks[k] for k in sorted(blocks)]
    surface = np.concatenate([p.arrays["landscape"] for p in parts], axis=0)
    axis_a = np.concatenate([p.arrays["axis_a"] for p in parts])
    return parts[0], surface, axis_a, parts[0].arrays["axis_b"]


def figures(trials, out_dir, save):
    import matplotlib.pyplot as plt

    rows = {k: v for k, v in grouped([t for t in trials if "landscape" in t.arrays]).items()}
    if not rows:
        return []
    ncols = max(len(by_bits) for by_bits in rows.values())
    fig, axes = plt.subplots(len(rows), ncols, figsize=(3.6 * ncols + 0.8, 3.4 * len(rows)), squeeze=False,
                             layout="constrained")
    for r, (key, by_bits) in enumerate(rows.items()):
        panels = [(b, *stitched(by_bits[b])) for b in sorted(by_bits, reverse=True)]
        lo = min(float(p[2].min()) for p in panels)
        hi = max(float(p[2].max()) for p in panels)
        levels = np.linspace(lo, hi if hi > lo else lo + 1e-12, 21)
        for c in range(ncols):
            ax = axes[r][c]
            if c >= len(panels):
                ax.axis("off")
                continue
            bits, first, surface, axis_a, axis_b = panels[c]
            cs = ax.contourf(axis_b, axis_a, surface, levels=levels, cmap="viridis")
            i, j = np.unravel_index(int(np.argmin(surface)), surface.shape)
            ax.plot(axis_b[j], axis_a[i], "r*", markersize=11, clip_on=False, label="minimum")
            ax.plot(first.metrics["clip_b_init"], first.metrics["clip_a_init"], "wx", markersize=8, mew=2, clip_on=False, label="init")
            names = first.layer_names.get("clip_init", ["a", "b"])
            ax.set_xlabel(f"clip {names[1]}")
            ax.set_ylabel(f"clip {names[0]}")
            ax.set_title(f"{row_label(key)}\n{bits} bit: nonseparability {nonseparability(surface):.3f}", fontsize=8)
        fig.colorbar(cs, ax=list(axes[r]), shrink=0.9, label="calibration loss")
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle("calibration loss over two layers' clips")
    return save(fig, out_dir, "landscape")
