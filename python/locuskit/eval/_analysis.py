"""Detection error analysis after mAP (issue 13): TIDE error types, optimal LRP, the detection
confusion matrix and per-class precision / recall / F1 against the score threshold.

Every result is a plain dataclass of NumPy arrays and dicts (``as_dict()`` for JSON, ``table()``
for text); the figures are drawn by ``locuskit.eval._analysis_plots`` (matplotlib, imported only
when plotting). C++ core: ``eval/tide.hpp``, ``eval/lrp.hpp``, ``eval/score_curves.hpp``,
``eval/confusion_matrix.hpp``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _core
from . import _coco

#: tidecv's main error types, in its order, and the special ones.
TIDE_ERRORS = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
TIDE_SPECIAL = ("FalsePos", "FalseNeg")
#: tidecv's ``COCO_THRESHOLDS`` (evaluate_range).
TIDE_THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
# C++ TideError codes -1..7 -> names (index = code + 1).
_TIDE_NAMES = np.array(["not_evaluated", "none", "Cls", "Loc", "Both", "Dupe", "Bkg", "Miss", "fixable"], dtype=object)


def _tables(gt, dt):
    """(GT tables, results table) from the inputs coco_evaluate takes (path, bytes, dict / list,
    (N, 7) array, locuskit.coco.COCO)."""
    from ..coco import COCO

    if isinstance(gt, _Prepared):
        return gt.gt_native, gt.dt_table
    gt_native = gt._gt_native() if isinstance(gt, COCO) else _coco.load_gt(gt)
    if isinstance(dt, COCO):
        dt_table = dt._table()
    elif (isinstance(dt, (list, tuple)) and len(dt) == 0) or (isinstance(dt, np.ndarray) and dt.size == 0):
        dt_table = _coco.load_results(b"[]", gt_native["image_ids"], allow_empty=True, gt=gt_native)
    else:
        dt_table = _coco.load_results(dt, gt_native["image_ids"], allow_empty=True, gt=gt_native)
    return gt_native, dt_table


def _names(gt_native) -> dict:
    return {int(i): str(s) for i, s in zip(gt_native["category_ids"], gt_native["category_names"])}


def _num(v):
    """JSON-safe float (NaN -> None)."""
    v = float(v)
    return None if math.isnan(v) else v


# --------------------------------------------------------------------------------------- TIDE


@dataclass
class TideResult:
    """TIDE (tidecv) error analysis; AP values in percent, as tidecv.

    ``ap``: AP50 (the errors run); ``main_dap`` / ``special_dap``: {error: dAP};
    ``error_counts``: {error: count}; ``per_class``: {category id: {"ap", "positives"}} for the
    classes tidecv averages; ``ap_per_threshold``: {0.5: AP, ..., 0.95: AP} (tidecv's
    evaluate_range), ``ap_50_95`` their mean; ``dt_error`` / ``gt_error``: per input row, the
    error name (``"none"`` = TP / matched, ``"fixable"`` = unmatched GT some Cls/Loc error points
    at, ``"not_evaluated"``); ``dt_ignored``: absorbed by a crowd region; ``dt_gt``: the GT row a
    detection matched or is blamed on (-1).
    """

    ap: float
    main_dap: dict
    special_dap: dict
    error_counts: dict
    per_class: dict
    ap_per_threshold: dict
    ap_50_95: float
    dt_error: np.ndarray
    dt_ignored: np.ndarray
    dt_gt: np.ndarray
    gt_error: np.ndarray
    pos_threshold: float = 0.5
    background_threshold: float = 0.1
    category_names: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready summary (no per-row arrays)."""
        return {"AP50": self.ap, "AP_50_95": self.ap_50_95,
                "AP_per_threshold": {f"{t:.2f}": v for t, v in self.ap_per_threshold.items()},
                "main_errors_dAP": dict(self.main_dap), "special_errors_dAP": dict(self.special_dap),
                "error_counts": dict(self.error_counts),
                "per_class": {str(k): v for k, v in self.per_class.items()},
                "pos_threshold": self.pos_threshold, "background_threshold": self.background_threshold}

    def table(self) -> str:
        """tidecv's summary as text: AP, then dAP and count of each error type."""
        lines = [f"TIDE (tidecv rules, IoU fg {self.pos_threshold:g} / bg {self.background_threshold:g}): "
                 f"AP50 {self.ap:.2f}  AP50:95 {self.ap_50_95:.2f}",
                 f"{'error':<10}{'dAP':>8}{'count':>8}"]
        for e in TIDE_ERRORS:
            lines.append(f"{e:<10}{self.main_dap[e]:8.2f}{self.error_counts[e]:8d}")
        for e in TIDE_SPECIAL:
            lines.append(f"{e:<10}{self.special_dap[e]:8.2f}{'':>8}")
        return "\n".join(lines)


def tide(gt, dt, *, pos_threshold: float = 0.5, background_threshold: float = 0.1, max_dets: int = 100,
         thresholds=TIDE_THRESHOLDS) -> TideResult:
    """TIDE error analysis of box detections, equal to tidecv's ``TIDE().evaluate_range(gt, dt,
    mode=TIDE.BOX)`` + ``get_main_errors()`` / ``get_special_errors()`` (bitwise on the stored
    fixtures).

    gt / dt: as ``coco_evaluate`` (path, JSON bytes, dataset dict / results list, (N, 7) array,
    ``locuskit.coco.COCO``). Images in the GT file's order; crowd GT are ignore regions.
    ``thresholds``: the foreground IoUs of the AP-only runs (``ap_per_threshold``; empty to skip).
    Differs from tidecv: results on images outside the GT raise AssertionError (pycocotools'
    loadRes; tidecv skips them); masks are not supported (box mode only).
    """
    gt_native, dt_table = _tables(gt, dt)
    ann = gt_native["annotations"]
    images = np.ascontiguousarray(gt_native["image_ids"], dtype=np.int64)
    thresholds = [float(t) for t in thresholds]
    r = _core.eval.tide_evaluate(ann, dt_table, images, float(pos_threshold), float(background_threshold),
                                 int(max_dets), True, thresholds)
    per_t = dict(zip(thresholds, (float(v) for v in r["ap_at_thresholds"])))
    vals = list(per_t.values())
    mean = sum(vals) / len(vals) if vals else float("nan")
    per_class = {int(c): {"ap": float(a), "positives": int(n)}
                 for c, a, n, keep in zip(r["class_ids"], r["class_ap"], r["class_positives"], r["class_counted"])
                 if keep}
    return TideResult(
        ap=float(r["ap"]), main_dap=dict(zip(TIDE_ERRORS, r["main_dap"])),
        special_dap=dict(zip(TIDE_SPECIAL, r["special_dap"])),
        error_counts={e: int(c) for e, c in zip(TIDE_ERRORS, r["error_counts"])}, per_class=per_class,
        ap_per_threshold=per_t, ap_50_95=mean,
        dt_error=_TIDE_NAMES[r["dt_error"].astype(np.intp) + 1],
        dt_ignored=r["dt_ignored"].astype(bool), dt_gt=r["dt_gt"],
        gt_error=_TIDE_NAMES[r["gt_error"].astype(np.intp) + 1],
        pos_threshold=float(pos_threshold), background_threshold=float(background_threshold),
        category_names=_names(gt_native))


# ---------------------------------------------------------------------------- LRP and curves

LRP_STAT_NAMES = ("oLRP", "oLRP_loc", "oLRP_FP", "oLRP_FN", "oLRP_small", "oLRP_medium", "oLRP_large")


@dataclass
class ClassCurve:
    """One category's precision / recall / F1 against the score threshold: point j keeps the
    detections with score >= ``score[j]`` (ignored ones left out)."""

    category_id: int
    name: str
    num_gt: int
    score: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    tp: np.ndarray = None  #: cumulative true positives at each point
    fp: np.ndarray = None  #: cumulative false positives

    def best_f1(self) -> tuple:
        """(best F1, its score threshold); (nan, nan) without detections or GT."""
        if self.f1.size == 0 or self.num_gt == 0:
            return float("nan"), float("nan")
        j = int(np.argmax(self.f1))
        return float(self.f1[j]), float(self.score[j])

    def as_dict(self) -> dict:
        bf, bs = self.best_f1()
        return {"category_id": self.category_id, "name": self.name, "num_gt": self.num_gt,
                "best_f1": _num(bf), "best_f1_score": _num(bs), "score": self.score.tolist(),
                "precision": self.precision.tolist(), "recall": self.recall.tolist(), "f1": self.f1.tolist()}


@dataclass
class LrpResult:
    """Optimal LRP (LRP-Error's COCOeval): arrays [K, A, M] (categories x area ranges x maxDets)
    with LRP-Error's conventions (-1: no GT; NaN components: no TP); ``stats``: its
    stats[12..18] by name; ``per_class``: {category id: {olrp, olrp_loc, olrp_fp, olrp_fn,
    threshold}} at area "all", maxDets 100 (the last); ``curves``: per-category precision /
    recall / F1 against the score threshold at IoU ``tau``."""

    tau: float
    olrp: np.ndarray
    olrp_loc: np.ndarray
    olrp_fp: np.ndarray
    olrp_fn: np.ndarray
    threshold: np.ndarray
    stats: dict
    cat_ids: list
    per_class: dict
    curves: list
    category_names: dict = field(default_factory=dict)

    def as_dict(self, curves: bool = False) -> dict:
        out = {"tau": self.tau, "stats": {k: _num(v) for k, v in self.stats.items()},
               "per_class": {str(c): {k: _num(v) for k, v in d.items()} for c, d in self.per_class.items()}}
        if curves:
            out["curves"] = [c.as_dict() for c in self.curves]
        return out

    def table(self) -> str:
        s = self.stats
        lines = [f"optimal LRP (tau {self.tau:g}, area all, maxDets 100): oLRP {s['oLRP']:.4f}  loc {s['oLRP_loc']:.4f}"
                 f"  FP {s['oLRP_FP']:.4f}  FN {s['oLRP_FN']:.4f}",
                 f"{'category':<20}{'oLRP':>8}{'loc':>8}{'FP':>8}{'FN':>8}{'thr':>8}{'best F1':>9}{'at':>7}"]
        best = {c.category_id: c.best_f1() for c in self.curves}

        def f(v, w=8):
            return f"{'-':>{w}}" if v is None or math.isnan(v) or v == -1 else f"{v:{w}.4f}"

        for c, d in self.per_class.items():
            name = self.category_names.get(c, str(c))[:19]
            bf, bs = best.get(c, (float("nan"), float("nan")))
            lines.append(f"{name:<20}{f(d['olrp'])}{f(d['olrp_loc'])}{f(d['olrp_fp'])}{f(d['olrp_fn'])}"
                         f"{f(d['threshold'])}{f(bf, 9)}{f(bs, 7)[-7:]}")
        return "\n".join(lines)


def _params(gt_native, iou_type: str) -> dict:
    p = _coco.default_params(iou_type)
    p["imgIds"] = sorted(int(i) for i in np.unique(gt_native["image_ids"]))
    p["catIds"] = sorted(int(c) for c in np.unique(gt_native["category_ids"]))
    return p


def lrp(gt, dt, iou_type: str = "bbox") -> LrpResult:
    """Optimal LRP per class and its components (oLRP_loc, oLRP_FP, oLRP_FN, the LRP-optimal
    score threshold) and moLRP (``stats``), equal to the LRP-Error repository's COCOeval (tau =
    0.5, bitwise on the stored fixtures), plus per-class precision / recall / F1 against the
    score threshold (``curves``, IoU 0.5, area all, maxDets 100). One COCO evaluation
    (pycocotools' matching) underneath. gt / dt: as ``coco_evaluate``."""
    gt_native, dt_table = _tables(gt, dt)
    p = _params(gt_native, iou_type)
    _coco.check_fields(gt_native["annotations"], dt_table, iou_type)
    r = _core.eval.lrp_score_curves(gt_native["annotations"], dt_table, p)
    names = _names(gt_native)
    cats = [int(c) for c in r["cat_ids"]]
    a = list(p["areaRngLbl"]).index("all")
    m = len(p["maxDets"]) - 1
    per_class = {c: {"olrp": float(r["olrp"][k, a, m]), "olrp_loc": float(r["olrp_loc"][k, a, m]),
                     "olrp_fp": float(r["olrp_fp"][k, a, m]), "olrp_fn": float(r["olrp_fn"][k, a, m]),
                     "threshold": float(r["threshold"][k, a, m])} for k, c in enumerate(cats)}
    curves = []
    off = r["curve_offset"]
    for k, c in enumerate(cats):
        s = slice(int(off[k]), int(off[k + 1]))
        tp = r["curve_tp"][s].astype(np.float64)
        fp = r["curve_fp"][s].astype(np.float64)
        n = int(r["curve_npig"][k])
        with np.errstate(invalid="ignore", divide="ignore"):
            prec = tp / (tp + fp)
            rec = tp / n if n else np.full_like(tp, np.nan)
            f1 = 2 * tp / (2 * tp + fp + (n - tp))
        curves.append(ClassCurve(c, names.get(c, str(c)), n, r["curve_score"][s].copy(), prec, rec, f1,
                                 r["curve_tp"][s].astype(np.int64), r["curve_fp"][s].astype(np.int64)))
    return LrpResult(tau=float(r["tau"]), olrp=r["olrp"], olrp_loc=r["olrp_loc"], olrp_fp=r["olrp_fp"],
                     olrp_fn=r["olrp_fn"], threshold=r["threshold"],
                     stats=dict(zip(LRP_STAT_NAMES, (float(v) for v in r["stats"]))), cat_ids=cats,
                     per_class=per_class, curves=curves, category_names=names)


def score_curves(gt, dt, iou_type: str = "bbox") -> list:
    """Per-category precision / recall / F1 against the score threshold (list of ClassCurve;
    IoU 0.5, area all, maxDets 100, pycocotools' matching)."""
    return lrp(gt, dt, iou_type).curves


# --------------------------------------------------------------------------- confusion matrix


@dataclass
class ConfusionMatrix:
    """(K + 1) x (K + 1) counts: rows = true class (``cat_ids`` order) + "background" (false
    detections), columns = predicted class + "background" (missed GT)."""

    counts: np.ndarray
    cat_ids: list
    names: list
    iou_threshold: float
    score_threshold: float

    def as_dict(self) -> dict:
        return {"cat_ids": self.cat_ids, "names": self.names, "counts": self.counts.tolist(),
                "iou_threshold": self.iou_threshold, "score_threshold": self.score_threshold,
                "rows": "true class + background", "columns": "predicted class + background"}

    def table(self, max_classes: int = 30) -> str:
        labels = [n[:10] for n in self.names] + ["backgr."]
        K = len(self.cat_ids)
        head = (f"confusion matrix (IoU >= {self.iou_threshold:g}, score >= {self.score_threshold:g}); "
                "rows: true class, columns: predicted")
        if K > max_classes:  # the diagonal and the off-diagonal totals only
            lines = [head, f"{'class':<12}{'correct':>9}{'as other':>9}{'missed':>9}{'false det':>10}"]
            for k in range(K):
                row = self.counts[k]
                lines.append(f"{labels[k]:<12}{row[k]:9d}{row[:K].sum() - row[k]:9d}{row[K]:9d}"
                             f"{self.counts[K, k]:10d}")
            return "\n".join(lines)
        w = max(8, max(len(s) for s in labels) + 1)
        lines = [head, " " * 12 + "".join(f"{s:>{w}}" for s in labels)]
        for i, s in enumerate(labels):
            lines.append(f"{s:<12}" + "".join(f"{v:{w}d}" for v in self.counts[i]))
        return "\n".join(lines)


def confusion_matrix(gt, dt, *, iou_threshold: float = 0.5, score_threshold: float = 0.5,
                     max_dets: int = 100) -> ConfusionMatrix:
    """Detection confusion matrix (C++ ``detection_confusion_matrix``): per image, detections
    with score >= ``score_threshold`` in score order (at most ``max_dets``) pair with the free
    GT of their own class with the highest IoU >= ``iou_threshold``, else with that of any class
    (a confusion), else count as background (unless a crowd region of their class covers them);
    unpaired GT count as missed. gt / dt: as ``coco_evaluate``."""
    gt_native, dt_table = _tables(gt, dt)
    cats = [int(c) for c in gt_native["category_ids"]]
    if len(set(cats)) != len(cats):
        raise ValueError("ground truth: a category id is listed twice in 'categories'")
    names = _names(gt_native)
    counts = _core.eval.confusion_matrix(gt_native["annotations"], dt_table,
                                         np.ascontiguousarray(gt_native["image_ids"], dtype=np.int64),
                                         np.asarray(cats, dtype=np.int64), float(iou_threshold),
                                         float(score_threshold), int(max_dets))
    return ConfusionMatrix(counts=counts, cat_ids=cats, names=[names.get(c, str(c)) for c in cats],
                           iou_threshold=float(iou_threshold), score_threshold=float(score_threshold))


# ------------------------------------------------------------------------------- all at once

ANALYSES = ("tide", "lrp", "confusion")


def analyze(gt, dt, analyses=ANALYSES, iou_type: str = "bbox") -> dict:
    """Runs the named analyses ("tide", "lrp" (with the score curves), "confusion") -> {name: result}."""
    unknown = [a for a in analyses if a not in ANALYSES]
    if unknown:
        raise ValueError(f"analysis: unknown {unknown}; expected some of {list(ANALYSES)}")
    if iou_type != "bbox" and ("tide" in analyses or "confusion" in analyses):
        raise ValueError("analysis: tide and confusion work on boxes (iou_type 'bbox')")
    pre = _Prepared(*_tables(gt, dt))
    out = {}
    if "tide" in analyses:
        out["tide"] = tide(pre, pre)
    if "lrp" in analyses:
        out["lrp"] = lrp(pre, pre, iou_type)
    if "confusion" in analyses:
        out["confusion"] = confusion_matrix(pre, pre)
    return out


class _Prepared:
    """Already loaded tables, accepted by _tables (loads once for several analyses)."""

    def __init__(self, gt_native, dt_table):
        self.gt_native, self.dt_table = gt_native, dt_table
