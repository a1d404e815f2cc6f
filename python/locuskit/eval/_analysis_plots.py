"""Figures of the detection error analysis (matplotlib, imported only here).

Each function takes a result of ``locuskit.eval.analysis`` and returns a matplotlib ``Figure``
(``path=``: also saved there and closed), so a report can embed them.
"""
from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib.pyplot as plt  # matplotlib falls back to Agg without a display

    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        _plt().close(fig)
    return fig


def plot_tide(result, path=None):
    """Bar chart of TIDE's dAP per main error type and the two special errors."""
    plt = _plt()
    from ._analysis import TIDE_ERRORS, TIDE_SPECIAL

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2), gridspec_kw={"width_ratios": [3, 1]})
    colors = plt.get_cmap("viridis")(np.linspace(0.1, 0.9, len(TIDE_ERRORS)))
    vals = [result.main_dap[e] for e in TIDE_ERRORS]
    a1.bar(TIDE_ERRORS, vals, color=colors)
    for i, v in enumerate(vals):
        a1.annotate(f"{v:.2f}", (i, v), ha="center", va="bottom", fontsize=8)
    a1.set_ylabel("dAP (AP50 points)")
    a1.set_title(f"TIDE main errors (AP50 {result.ap:.1f})")
    a2.bar(TIDE_SPECIAL, [result.special_dap[e] for e in TIDE_SPECIAL], color=["#8c564b", "#7f7f7f"])
    a2.set_title("special")
    for a in (a1, a2):
        a.grid(axis="y", alpha=0.3)
    return _finish(fig, path)


def plot_confusion_matrix(cm, path=None, normalize: bool = True, max_classes: int = 40):
    """Heat map of a ConfusionMatrix (rows: true class + background, columns: predicted +
    background); rows normalised to 1 when ``normalize``. More than ``max_classes`` classes: the
    ones with the most GT + detections, the rest summed into "others"."""
    plt = _plt()
    counts = np.asarray(cm.counts, dtype=np.float64)
    names = list(cm.names)
    K = len(names)
    if K > max_classes:
        volume = counts[:K].sum(axis=1) + counts[:, :K].sum(axis=0)
        keep = np.sort(np.argsort(-volume, kind="stable")[: max_classes - 1])
        rest = np.setdiff1d(np.arange(K), keep)
        idx_map = np.full(K + 1, len(keep), dtype=np.int64)
        idx_map[keep] = np.arange(len(keep))
        idx_map[K] = len(keep) + 1
        small = np.zeros((len(keep) + 2, len(keep) + 2))
        np.add.at(small, (idx_map[:, None], idx_map[None, :]), counts)
        counts = small
        names = [names[k] for k in keep] + [f"others ({len(rest)})"]
    labels = names + ["background"]
    data = counts
    if normalize:
        with np.errstate(invalid="ignore", divide="ignore"):
            data = counts / counts.sum(axis=1, keepdims=True)
        data = np.nan_to_num(data)
    n = len(labels)
    size = min(4 + 0.28 * n, 18)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(data, cmap="viridis", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="fraction of the row" if normalize else "count")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    fs = 8 if n <= 20 else 6
    ax.set_xticklabels(labels, rotation=90, fontsize=fs)
    ax.set_yticklabels(labels, fontsize=fs)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if counts[i, j]:
                    ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=7,
                            color="white" if data[i, j] < 0.5 else "black")
    ax.set_title(f"confusion matrix (IoU >= {cm.iou_threshold:g}, score >= {cm.score_threshold:g})")
    return _finish(fig, path)


def _per_class_figure(curves, top, draw, xlabel, ylabel, title, path):
    """One line per class for the ``top`` classes with most GT (viridis colours, legend outside
    the axes); ``draw(ax, curve, colour)`` draws one class."""
    plt = _plt()
    shown = sorted((c for c in curves if c.num_gt > 0 and c.score.size), key=lambda c: -c.num_gt)
    hidden = max(len(shown) - top, 0)
    shown = shown[:top]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for c, col in zip(shown, plt.get_cmap("viridis")(np.linspace(0, 0.95, max(len(shown), 1)))):
        draw(ax, c, col)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title + (f", {hidden} more classes not shown" if hidden else ""))
    if shown:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, frameon=False)
    return _finish(fig, path)


def plot_pr_curves(curves, path=None, top: int = 10):
    """Precision against recall per class (the ``top`` classes with most GT; legend outside)."""

    def draw(ax, c, col):
        ax.plot(c.recall, c.precision, color=col, lw=1.2, label=f"{c.name[:24]} (best F1 {c.best_f1()[0]:.2f})")
        ax.set_xlim(0, 1)

    return _per_class_figure(curves, top, draw, "recall", "precision", "precision-recall per class (IoU 0.5)", path)


def plot_f1_curves(curves, path=None, top: int = 10):
    """F1 against the score threshold per class, the best point marked."""

    def draw(ax, c, col):
        f1, s = c.best_f1()
        ax.plot(c.score, c.f1, color=col, lw=1.2, label=f"{c.name[:24]} ({f1:.2f} at {s:.2f})")
        ax.plot([s], [f1], "o", color=col, ms=4)

    return _per_class_figure(curves, top, draw, "score threshold", "F1", "F1 against the score threshold (IoU 0.5)",
                             path)
