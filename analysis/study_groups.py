"""Grouping of the loss-landscape trials (hessian, landscape) for the figures: one row per
configuration, one column per bit width. The bit width of a trial is the lowest of its weight
and activation bit widths (the study sweeps one or both); a row is everything else that was
swept, except seeds and landscape.rows (row blocks of one surface are stitched together)."""
import math


def bits_of(trial):
    q = trial.config.get("quant", {})
    b = [int(q.get(k, {}).get("bits", 32)) for k in ("weights", "activations")]
    return min(b)


def short(value):
    """A swept value for a label: a whole `model` mapping shows as its arch."""
    if isinstance(value, dict) and "arch" in value:
        return str(value["arch"])
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def row_key(trial):
    parts = [(k, short(v)) for k, v in sorted(trial.swept.items())
             if "bits" not in k and k not in ("seed", "landscape.rows")]
    return tuple(parts)


def row_label(key):
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in key) or "all"


def grouped(trials):
    """{row key: {bits: [trials]}} of the done trials, rows in first-seen order."""
    rows = {}
    for t in trials:
        if t.status != "done":
            continue
        rows.setdefault(row_key(t), {}).setdefault(bits_of(t), []).append(t)
    return rows


def finite(x):
    return x is not None and math.isfinite(x)
