"""One look for every locuskit figure (``eval coco|voc|dota|kitti3d``, ``traj``, ``mot``).

Figures read the same at 1 and at 1000 classes: at most ``top_k`` curves are drawn (the classes
with the most ground truth), the rest are folded into one "others" curve, and a second panel
ranks the AP of every class. Colours come from a perceptual colormap (viridis) sampled once per
shown series, so no two shown series share a colour; legends sit outside the axes; titles are
shortened (long paths elided in the middle) until they fit the figure; precision-recall curves
start at the first recall the detector reaches, never at (0, 0).

matplotlib is imported only when a figure is made (``import locuskit.plotting`` is free);
without a display the Agg backend is used. Not thread-safe (pyplot is not).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

COLORMAP = "viridis"
OTHERS_COLOR = "0.55"
DPI = 120
_RC = {"axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
       "font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8, "legend.frameon": False}


def pyplot(apply_style: bool = False):
    """matplotlib.pyplot, imported on first use (Agg when there is no display). ``apply_style``
    makes locuskit's style the process-wide default (the command line does); the figure functions
    here draw inside ``style()`` and leave the caller's settings alone."""
    import matplotlib

    if not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if apply_style:
        plt.rcParams.update(_RC)
    return plt


def style():
    """Context manager drawing with locuskit's style (grid, spines, font sizes, frameless
    legends): ``with plotting.style(): ...``."""
    return pyplot().rc_context(_RC)


def series_colors(n: int, cmap: str = COLORMAP) -> list:
    """``n`` distinct RGBA colours from a perceptual colormap (its dark-to-light range without the
    palest end, which vanishes on white). Distinct for n <= 256 (the colormap's table)."""
    import matplotlib

    if n <= 0:
        return []
    table = matplotlib.colormaps[cmap]  # 256 entries: distinct for n <= ~230 on [0, 0.9]
    positions = [0.45] if n == 1 else np.linspace(0.0, 0.9, n)
    colors = [tuple(float(c) for c in table(float(x))) for x in positions]
    return colors


def shorten(text: str, width: int = 60) -> str:
    """``text`` in at most ``width`` characters: a path keeps its file name (and folder if it
    fits); anything longer is elided in the middle with '…'."""
    text = str(text)
    if len(text) <= width:
        return text
    if os.sep in text and "\n" not in text and " " not in text.strip():
        base = os.path.basename(text.rstrip(os.sep)) or text
        parent = os.path.basename(os.path.dirname(text.rstrip(os.sep)))
        text = f"{parent}/{base}" if parent and len(parent) + len(base) + 1 <= width else base
        if len(text) <= width:
            return text
    half = (width - 1) // 2
    return text[:half] + "…" + text[-(width - 1 - half):]


def fit_title(fig, text: str, **kw):
    """Sets the figure title, shortened (middle elided) until it fits the figure's width."""
    renderer = fig.canvas.get_renderer()
    lines = str(text).split("\n")
    width = max(len(s) for s in lines)
    while True:
        t = fig.suptitle("\n".join(shorten(s, width) for s in lines), **kw)
        if t.get_window_extent(renderer).width <= 0.98 * fig.bbox.width or width <= 8:
            return t
        width = int(width * 0.9)


def legend_outside(ax, below: bool = False, ncol: int = 1, **kw):
    """A legend outside the axes: at the right (default) or below them."""
    if below:
        return ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.13), ncol=ncol, **kw)
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=ncol, **kw)


def save(fig, path) -> str:
    """Writes the figure (legends outside included) and closes it; returns the path."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return os.fspath(path)


@dataclass
class PRCurve:
    """One class's precision-recall curve. ``recall`` / ``precision``: the points in detection
    order (VOC) or on a recall grid (COCO); ``ap``: the AP shown in the legend; ``n_gt``: its
    ground-truth count (chooses the classes that are drawn), None when unknown."""

    label: str
    recall: np.ndarray
    precision: np.ndarray
    ap: float
    n_gt: int = None

    def trimmed(self):
        """(recall, precision) from the first point with recall > 0 (the first recall reached) to
        the last one (zero padding after it, as in KITTI's fixed-size arrays, is dropped)."""
        r = np.asarray(self.recall, np.float64)
        p = np.asarray(self.precision, np.float64)
        reached = np.flatnonzero(r > 0)
        if reached.size == 0:
            return r[:0], p[:0]
        return r[reached[0]:reached[-1] + 1], p[reached[0]:reached[-1] + 1]


_GRID = np.linspace(0.0, 1.0, 101)


def _on_grid(curve: PRCurve) -> np.ndarray:
    """Interpolated precision (max precision at recall >= r) on a 101-point grid; NaN beyond the
    curve's last recall."""
    r, p = curve.trimmed()
    out = np.full(_GRID.size, np.nan)
    if r.size == 0:
        return out
    env = np.maximum.accumulate(p[::-1])[::-1]
    idx = np.searchsorted(r, _GRID, side="left")
    ok = idx < r.size
    out[ok] = env[idx[ok]]
    return out


def pr_figure(curves, title: str, top_k: int = 8, ap_name: str = "AP"):
    """Precision-recall figure for any number of classes. At most ``top_k`` classes (most GT,
    then best AP) are drawn in colour; the others are averaged into one grey "others" curve
    (mean interpolated precision over the classes that reach that recall); with more than one
    class a second panel ranks every class's AP. Returns the figure (``save`` writes it)."""
    with style():
        plt = pyplot()
        curves = [c for c in curves if c is not None]
        order = sorted(range(len(curves)),
                       key=lambda i: (-(curves[i].n_gt or 0), -np.nan_to_num(curves[i].ap, nan=-1.0), curves[i].label))
        shown = [curves[i] for i in order[:top_k]]
        others = [curves[i] for i in order[top_k:]]
        many = len(curves) > 1
        fig = plt.figure(figsize=(11.0 if many else 6.5, 5.4))
        ax = fig.add_subplot(1, 2 if many else 1, 1)
        for c, color in zip(shown, series_colors(len(shown))):
            r, p = c.trimmed()
            ap = "-" if c.ap is None or np.isnan(c.ap) else f"{c.ap:.3f}"
            gt = "" if c.n_gt is None else f", {c.n_gt} GT"
            ax.plot(r, p, color=color, lw=1.4, label=shorten(f"{c.label} ({ap_name} {ap}{gt})", 40),
                    gid="pr:" + c.label)
        if others:
            grid = np.array([_on_grid(c) for c in others])
            firsts = [c.trimmed()[0][:1] for c in others]
            first = min((float(f[0]) for f in firsts if f.size), default=1.0)
            reached = ~np.isnan(grid).all(axis=0) & (_GRID >= first)  # from the first recall reached
            mean = np.full(_GRID.size, np.nan)
            mean[reached] = np.nanmean(grid[:, reached], axis=0)
            ax.plot(_GRID[reached], mean[reached], color=OTHERS_COLOR, ls="--", lw=1.4,
                    label=f"others: mean of {len(others)} classes", gid="pr:others")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        if many:
            ax.set_title(f"{len(shown)} of {len(curves)} classes" + (" (most GT)" if others else ""))
        if shown or others:
            legend_outside(ax, below=True, ncol=2)
        if many:
            ax2 = fig.add_subplot(1, 2, 2)
            aps = np.array([np.nan if c.ap is None else c.ap for c in curves], np.float64)
            rank = np.argsort(-np.nan_to_num(aps, nan=-1.0), kind="stable")
            valid = aps[rank][~np.isnan(aps[rank])]
            ax2.plot(np.arange(1, valid.size + 1), valid, color="0.3", lw=1.1, drawstyle="steps-mid")
            pos = {curves[i].label: n + 1 for n, i in enumerate(rank)}
            for c, color in zip(shown, series_colors(len(shown))):
                if c.ap is not None and not np.isnan(c.ap):
                    ax2.plot([pos[c.label]], [c.ap], "o", color=color, ms=5)
            if valid.size:
                ax2.axhline(float(np.mean(valid)), color=OTHERS_COLOR, ls=":", lw=1)
                ax2.text(valid.size, float(np.mean(valid)), f" mean {np.mean(valid):.3f}", va="bottom", ha="right",
                         fontsize=8, color="0.3")
            ax2.set_xlim(0.5, max(valid.size, 1) + 0.5)
            ax2.set_ylim(0, 1.02)
            ax2.set_xlabel("class rank")
            ax2.set_ylabel(ap_name)
            ax2.set_title(f"{ap_name} of {valid.size} classes with GT, best first (dots: drawn at left)")
        fig.subplots_adjust(left=0.07 if many else 0.11, right=0.97, wspace=0.22, top=0.84, bottom=0.11)
        fit_title(fig, title)  # legends below the axes: save() widens the page (bbox_inches="tight")
        return fig


def small_multiples(panels, title: str, ap_name: str = "AP", ncols: int = 3):
    """One precision-recall panel per ``(panel title, [PRCurve, ...])``, one colour per curve
    label across panels, each panel's legend (label and AP) outside, below it. For a few panels
    with a few curves each (KITTI's metrics x classes); many classes: ``pr_figure``."""
    with style():
        plt = pyplot()
        labels = list(dict.fromkeys(c.label for _, curves in panels for c in curves))
        color_of = dict(zip(labels, series_colors(len(labels))))
        ncols = max(1, min(ncols, len(panels)))
        nrows = -(-len(panels) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.8 * ncols, 4.4 * nrows + 0.6), squeeze=False)
        for ax, (panel_title, curves) in zip(axes.flat, panels):
            for c in curves:
                r, p = c.trimmed()
                ap = "-" if c.ap is None or np.isnan(c.ap) else f"{c.ap:.3f}"
                ax.plot(r, p, color=color_of[c.label], lw=1.4, marker=".", ms=3, label=f"{c.label} ({ap})",
                        gid="pr:" + c.label)
            ax.set_title(panel_title)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
            if curves:
                ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), handlelength=1.2, fontsize=7,
                          title=ap_name, title_fontsize=7)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        for ax in axes.flat:
            ax.set_xlabel("recall", labelpad=1)
        for ax in axes[:, 0]:
            ax.set_ylabel("precision")
        fig.subplots_adjust(left=0.08, right=0.97, wspace=0.25, hspace=0.75, bottom=0.3,
                            top=0.82 if nrows == 1 else 0.9)
        fit_title(fig, title)
        return fig
