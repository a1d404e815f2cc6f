"""The one-call COCO API: coco_evaluate(gt, dt) -> CocoResult."""
from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass, field

import numpy as np

from . import _coco


@dataclass
class CocoResult:
    """Everything one COCO evaluation produces.

    ``stats``: the 12 (keypoints: 10) pycocotools statistics; ``stat_names`` their names;
    ``precision`` / ``scores`` [T, R, K, A, M], ``recall`` [T, K, A, M] (pycocotools' layout);
    ``params``: the evaluated parameters; ``category_names``: id -> name.
    Input counts (for reports and warnings; None when unknown): ``gt_counts`` [K, A] the GT that
    count (not crowd, area inside the range; keypoints: with keypoints) per category and area
    range, as pycocotools' ``npig``; ``dt_counts`` [K] results per category on the evaluated
    images; ``images_without_gt``: evaluated images that have no GT annotation at all.
    """

    stats: np.ndarray
    stat_names: list
    precision: np.ndarray
    recall: np.ndarray
    scores: np.ndarray
    params: dict
    summary_lines: list
    category_names: dict = field(default_factory=dict)
    gt_counts: np.ndarray = None
    dt_counts: np.ndarray = None
    images_without_gt: int = None
    #: ``coco_evaluate(..., analysis=[...])``: {"tide": TideResult, "lrp": LrpResult, "confusion": ConfusionMatrix}
    analysis: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """{stat name: value}."""
        return {n: float(v) for n, v in zip(self.stat_names, self.stats)}

    def summary(self) -> str:
        """pycocotools' printed summary (12 or 10 lines)."""
        return "\n".join(self.summary_lines)

    def per_category(self) -> list:
        """Per-category rows {category_id, name, AP, AP50, AP75, AR@maxDets[-1]} over all areas
        (NaN where the category has no GT: pycocotools' -1 cells)."""
        p = self.params
        a = list(p["areaRngLbl"]).index("all") if "all" in p["areaRngLbl"] else 0
        m = len(p["maxDets"]) - 1
        thr = np.asarray(p["iouThrs"])
        rows = []
        cats = p["catIds"] if p["useCats"] else [-1]
        empty = self.precision.shape[3] == 0 or self.precision.shape[4] == 0
        for k, cat in enumerate(cats):
            cat = cat.item() if isinstance(cat, np.generic) else cat  # ids may be strings (drop-in GT)
            if empty:
                rows.append({"category_id": cat, "name": self.category_names.get(cat, str(cat)),
                             "AP": float("nan"), "AP50": float("nan"), "AP75": float("nan")})
                continue

            def ap_at(sel):
                s = self.precision[sel, :, k, a, m]
                s = s[s > -1]
                return float(np.mean(s)) if s.size else float("nan")

            r = self.recall[:, k, a, m]
            r = r[r > -1]
            rows.append({
                "category_id": cat,
                "name": self.category_names.get(cat, str(cat)),
                "AP": ap_at(slice(None)),
                "AP50": ap_at(np.where(thr == 0.5)[0]),
                "AP75": ap_at(np.where(thr == 0.75)[0]),
                f"AR{p['maxDets'][m]}": float(np.mean(r)) if r.size else float("nan"),
            })
        return rows

    def per_category_area(self) -> list:
        """Per-category x area-range rows: ``per_category()``'s keys plus, for every area range
        but "all", ``AP_<area>`` (AP@[.5:.95] of that range, NaN without GT there), and ``GT``,
        ``GT_<area>`` (GT counts, ``gt_counts``) and ``results`` (``dt_counts``) when known."""
        p = self.params
        labels = list(p["areaRngLbl"])
        m = len(p["maxDets"]) - 1
        rows = self.per_category()
        empty = self.precision.shape[3] == 0 or self.precision.shape[4] == 0
        for k, row in enumerate(rows):
            for a, lbl in enumerate(labels):
                if lbl != "all":
                    s = np.empty(0) if empty else self.precision[:, :, k, a, m]
                    s = s[s > -1]
                    row[f"AP_{lbl}"] = float(np.mean(s)) if s.size else float("nan")
            if self.gt_counts is not None:
                for a, lbl in enumerate(labels):
                    row["GT" if lbl == "all" else f"GT_{lbl}"] = int(self.gt_counts[k, a])
            if self.dt_counts is not None:
                row["results"] = int(self.dt_counts[k])
        return rows

    def pr_curve(self, category_id=None, iou_threshold=0.5, area="all", max_dets=None):
        """(recall thresholds, precision) at one IoU threshold: one category, or the mean over
        categories with GT (None)."""
        p = self.params
        t = int(np.where(np.asarray(p["iouThrs"]) == iou_threshold)[0][0])
        a = list(p["areaRngLbl"]).index(area)
        m = len(p["maxDets"]) - 1 if max_dets is None else list(p["maxDets"]).index(max_dets)
        pr = self.precision[t, :, :, a, m]
        if category_id is not None:
            k = list(p["catIds"]).index(category_id)
            return np.asarray(p["recThrs"]), pr[:, k]
        valid = (pr > -1).all(axis=0)
        return np.asarray(p["recThrs"]), pr[:, valid].mean(axis=1) if valid.any() else np.full(pr.shape[0], np.nan)


def coco_evaluate(gt, dt, iou_type: str | None = None, *, params=None, img_ids=None, cat_ids=None, iou_thrs=None,
                  rec_thrs=None, max_dets=None, area_rng=None, area_rng_lbl=None, use_cats=None, kpt_oks_sigmas=None,
                  dilation_ratio=None, analysis=None) -> CocoResult:
    """Evaluates detection results against COCO ground truth, bit for bit as pycocotools
    (evaluate + accumulate + summarize) but natively (simdjson parsing, C++ matching, threads).

    gt: path / JSON bytes / COCO dataset dict / ``locuskit.coco.COCO``. dt: path / JSON bytes /
    list of result dicts / (N, 7) array [image_id, x, y, w, h, score, category_id] /
    ``COCO`` from loadRes. iou_type: "bbox", "segm" (mask IoU, pycocotools), "boundary" (Boundary AP,
    boundary-iou-api; ``dilation_ratio`` default 0.02) or "keypoints".
    Keyword parameters override pycocotools' defaults (same meaning as ``COCOeval.params``).
    ``params``: a Params (``locuskit.coco.Params``, e.g. a ``COCOeval``'s ``params``, or
    ``locuskit.eval.Params``) to start from instead of the defaults (copied; its iouType is the
    default of ``iou_type``; empty imgIds / catIds mean the GT's, as ``COCOeval`` fills them).
    Differs from pycocotools where it crashes: an empty results list evaluates as "no detections"
    (AP 0 where there is GT). Result images must be GT images (AssertionError otherwise).
    ``analysis``: names among "tide", "lrp", "confusion" (``locuskit.eval.analyze`` with its
    defaults, on the same loaded tables; the keyword overrides above do not apply to them):
    the results land in ``CocoResult.analysis``.
    """
    from ..coco import COCO

    idm = None  # _coco.IdMap when the GT's image / category ids do not fit int64
    if isinstance(gt, COCO):
        gt_native = gt._gt_native()
        idm = gt._idmap
    else:
        try:
            gt_native = _coco.load_gt(gt)
        except ValueError:
            coco = _idmapped_ground_truth(gt)
            if coco is None:
                raise
            gt_native, idm = coco._gt_native(), coco._idmap
    if idm is not None and not isinstance(dt, COCO):
        dt = idm.encode_results(_results_as_list(dt))
        img_ids = None if img_ids is None else [idm.img_code(i) for i in img_ids]
        cat_ids = None if cat_ids is None else [idm.cat_code(c) for c in cat_ids]
    if cat_ids is None and not gt_native.get("lists", {}).get("categories", True):
        raise KeyError("ground truth: no 'categories' list (pycocotools raises KeyError: 'categories'); "
                       "the categories to evaluate come from it")
    if isinstance(dt, COCO):
        dt_table = dt._table()
    elif isinstance(dt, (list, tuple)) and len(dt) == 0:
        dt_table = _coco.load_results(b"[]", gt_native["image_ids"], allow_empty=True, gt=gt_native)
    elif isinstance(dt, np.ndarray) and dt.size == 0:
        dt_table = _coco.load_results(b"[]", gt_native["image_ids"], allow_empty=True, gt=gt_native)
    else:
        dt_table = _coco.load_results(dt, gt_native["image_ids"], allow_empty=True, gt=gt_native)
    if params is not None:
        if not isinstance(params, _coco.Params):
            raise TypeError(f"params: expected a Params (locuskit.coco.Params), got {type(params).__name__}")
        if iou_type is not None and iou_type != params.iouType:
            raise ValueError(f"iou_type: {iou_type!r} differs from params.iouType {params.iouType!r}")
        p = _coco.Params(params)
        if idm is not None:
            p = idm.encode_params(params)
        if img_ids is None and len(p.imgIds):
            img_ids = p.imgIds
        if cat_ids is None and len(p.catIds):
            cat_ids = p.catIds
    else:
        p = _coco.default_params("bbox" if iou_type is None else iou_type)
    iou_type = p.iouType
    p["imgIds"] = sorted(int(i) for i in gt_native["image_ids"]) if img_ids is None else list(img_ids)
    p["catIds"] = sorted(int(c) for c in gt_native["category_ids"]) if cat_ids is None else list(cat_ids)
    for key, val in (("iouThrs", iou_thrs), ("recThrs", rec_thrs), ("maxDets", max_dets), ("areaRng", area_rng),
                     ("areaRngLbl", area_rng_lbl), ("kpt_oks_sigmas", kpt_oks_sigmas),
                     ("dilation_ratio", dilation_ratio)):
        if val is not None:
            p[key] = val
    if use_cats is not None:
        p["useCats"] = 1 if use_cats else 0
    res = evaluate_prepared(gt_native, dt_table, p)
    if analysis:
        from ._analysis import _Prepared, analyze

        if idm is not None:
            raise ValueError("analysis: needs integer image / category ids")
        pre = _Prepared(gt_native, dt_table)
        res.analysis = analyze(pre, pre, list(analysis), iou_type)
    if idm is not None:  # report the original ids
        res.params["imgIds"] = [idm.img_back[i] for i in res.params["imgIds"] if 0 <= i < len(idm.img_back)]
        res.params["catIds"] = [idm.cat_back[c] if 0 <= c < len(idm.cat_back) else c for c in res.params["catIds"]]
        res.category_names = {idm.cat_back[c]: n for c, n in res.category_names.items() if 0 <= c < len(idm.cat_back)}
    return res


def _idmapped_ground_truth(gt):
    """A drop-in COCO for a GT whose image / category ids need an IdMap (strings, non-integral
    floats, integers beyond int64: pycocotools accepts them), else None."""
    from ..coco import COCO

    try:
        if isinstance(gt, (str, os.PathLike)):
            with open(gt) as f:
                ds = json.load(f)
        elif isinstance(gt, (bytes, bytearray)):
            ds = json.loads(gt)
        else:
            ds = gt
    except (ValueError, OSError):
        return None
    if not isinstance(ds, dict) or _coco.IdMap.for_dataset(ds) is None:
        return None
    coco = COCO()
    coco.dataset = ds
    with contextlib.redirect_stdout(io.StringIO()):
        coco._gt_native()
    return coco


def _results_as_list(dt) -> list:
    """Results as a list of dicts (Python's json for files and bytes; rows of an (N, 7) array)."""
    if isinstance(dt, (str, os.PathLike)):
        with open(dt) as f:
            dt = json.load(f)
    elif isinstance(dt, (bytes, bytearray)):
        dt = json.loads(dt)
    elif isinstance(dt, np.ndarray):
        dt = [{"image_id": r[0].item(), "bbox": [float(v) for v in r[1:5]], "score": float(r[5]),
               "category_id": r[6].item()} for r in np.asarray(dt).reshape(-1, 7)]
    if not isinstance(dt, (list, tuple)):
        raise AssertionError("results in not an array of objects")
    return list(dt)


def evaluate_prepared(gt_native: dict, dt_table: dict, p) -> CocoResult:
    """Runs evaluate/accumulate/summarize on loaded tables and parameters (a Params, or a dict
    with its keys), in one call into C++."""
    p = _coco.as_params(p)
    p.imgIds = np.unique(np.asarray(p.imgIds, dtype=np.int64))
    if p.useCats:
        p.catIds = np.unique(np.asarray(p.catIds, dtype=np.int64))
    p.maxDets = sorted(p.maxDets)
    precision, recall, scores, stats, lines = _coco.evaluate_accumulate(gt_native["annotations"], dt_table, p)
    if stats is None:  # pycocotools' summarize() needs >= 3 maxDets etc.: arrays are still valid
        stats, lines = np.array([]), []
    names = _coco.KEYPOINT_STAT_NAMES if p["iouType"] == "keypoints" else _coco.BBOX_STAT_NAMES
    cat_names = {int(i): str(s) for i, s in zip(gt_native["category_ids"], gt_native["category_names"])}
    gt_counts, dt_counts, images_without_gt = _input_counts(gt_native["annotations"], dt_table, p)
    return CocoResult(stats=stats, stat_names=names, precision=precision, recall=recall, scores=scores,
                      params={k: (list(v) if isinstance(v, np.ndarray) else v) for k, v in p.items()},
                      summary_lines=lines, category_names=cat_names, gt_counts=gt_counts, dt_counts=dt_counts,
                      images_without_gt=images_without_gt)


def _input_counts(gt: dict, dt: dict, p: dict):
    """(GT per category and area range [K, A] as pycocotools' npig, results per category [K],
    evaluated images without any GT annotation). O(N log N) in the annotations."""
    img_ids = np.asarray(p["imgIds"], dtype=np.int64)
    cats = np.asarray(p["catIds"] if p["useCats"] else [-1], dtype=np.int64)
    g_img = np.asarray(gt["image_id"], dtype=np.int64)
    g_cat = np.asarray(gt["category_id"], dtype=np.int64)
    keep = np.isin(g_img, img_ids)
    counted = keep & (np.asarray(gt["iscrowd"]) == 0)
    if p["iouType"] == "keypoints":
        counted &= np.asarray(gt["num_keypoints"]) != 0
    area = np.asarray(gt["area"], dtype=np.float64)
    d_keep = np.isin(np.asarray(dt["image_id"], dtype=np.int64), img_ids)
    d_cat = np.asarray(dt["category_id"], dtype=np.int64)
    if p["useCats"]:
        g_k, g_in = _category_index(cats, g_cat)
        d_k, d_in = _category_index(cats, d_cat)
        counted &= g_in
        d_keep &= d_in
    else:
        g_k, d_k = np.zeros(len(g_cat), np.int64), np.zeros(len(d_cat), np.int64)
    gt_counts = np.zeros((len(cats), len(p["areaRng"])), np.int64)
    for a, (lo, hi) in enumerate(p["areaRng"]):
        sel = counted & (area >= lo) & (area <= hi)
        gt_counts[:, a] = np.bincount(g_k[sel], minlength=len(cats))
    dt_counts = np.bincount(d_k[d_keep], minlength=len(cats)).astype(np.int64)
    images_without_gt = int(np.count_nonzero(~np.isin(img_ids, g_img)))
    return gt_counts, dt_counts, images_without_gt


def _category_index(cats: np.ndarray, ids: np.ndarray):
    """(index of each id in the sorted category list, whether it is there)."""
    k = np.clip(np.searchsorted(cats, ids), 0, max(len(cats) - 1, 0))
    found = (cats[k] == ids) if len(cats) else np.zeros(len(ids), bool)
    return k, found
