"""``locuskit eval coco --analysis tide,lrp,confusion``: tables on stdout, JSON, figures."""
from __future__ import annotations

import argparse
import os

ANALYSES = ("tide", "lrp", "confusion")


def parse_analyses(text: str) -> list:
    """"tide,lrp" -> ["tide", "lrp"] (argparse type); "all" = every analysis."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if names == ["all"]:
        return list(ANALYSES)
    bad = [n for n in names if n not in ANALYSES]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {','.join(ANALYSES)} (or all), "
                                         f"got {text!r}")
    return list(dict.fromkeys(names))


def _plot_paths(plot: str) -> dict:
    stem, ext = os.path.splitext(plot)
    ext = ext or ".png"
    return {k: f"{stem}_{k}{ext}" for k in ("tide", "confusion", "pr_per_class", "f1")}


def report(res, args, out=print) -> dict:
    """Prints the tables of ``res.analysis`` (a CocoResult from coco_evaluate(analysis=...)),
    draws the figures beside ``--plot`` (PR.png -> PR_tide.png, PR_confusion.png,
    PR_pr_per_class.png, PR_f1.png) and returns the JSON part {"analysis": {...}}."""
    if not getattr(args, "analysis", None):
        return {}
    from locuskit.eval import plot_confusion_matrix, plot_f1_curves, plot_pr_curves, plot_tide

    js = {}
    paths = _plot_paths(args.plot) if args.plot else {}
    for name, r in res.analysis.items():
        out()
        out(r.table())
        js[name] = r.as_dict(curves=True) if name == "lrp" else r.as_dict()
    if paths:
        if "tide" in res.analysis:
            plot_tide(res.analysis["tide"], paths["tide"])
        if "confusion" in res.analysis:
            plot_confusion_matrix(res.analysis["confusion"], paths["confusion"])
        if "lrp" in res.analysis:
            plot_pr_curves(res.analysis["lrp"].curves, paths["pr_per_class"])
            plot_f1_curves(res.analysis["lrp"].curves, paths["f1"])
    return {"analysis": js}
