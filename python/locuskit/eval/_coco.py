"""COCO evaluation glue: inputs (files, JSON bytes, dicts, lists, (N, 7) arrays) -> column tables
-> the C++ evaluator. Used by locuskit.coco (pycocotools drop-in), coco_evaluate and the CLI."""
from __future__ import annotations

import itertools
import json
import os
from typing import Any

import numpy as np

from .. import _core

BBOX_STAT_NAMES = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
KEYPOINT_STAT_NAMES = ["AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"]
IOU_TYPES = ("bbox", "segm", "boundary", "keypoints")


Params = _core.eval.Params  # the one Params type (C++ CocoParams; defaults defined there only)


def default_params(iou_type: str) -> "Params":
    """pycocotools' Params defaults for ``iou_type``: a new ``_core.eval.Params`` (C++
    ``CocoParams::defaults``: the np.linspace grids' exact doubles). It also reads and writes like
    the dict of parameters it replaced (``p["maxDets"]``, ``dict(p)``)."""
    if iou_type not in IOU_TYPES:
        raise ValueError(f"iou_type: expected 'bbox', 'segm', 'boundary' or 'keypoints', got {iou_type!r}")
    return Params(iou_type)


def as_params(p) -> "Params":
    """A new Params from a Params (copied) or a dict with pycocotools' keys (state headers)."""
    if isinstance(p, Params):
        return Params(p)
    out = Params(p["iouType"])
    for k, v in p.items():
        if v is not None:
            out[k] = v
    return out


def _json_bytes(obj, what: str, allow_nan: bool = False) -> bytes:
    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        raise TypeError(f"{what}: {type(o).__name__} is not JSON serializable")

    try:
        return json.dumps(obj, default=default, allow_nan=allow_nan).encode()
    except ValueError as exc:
        raise ValueError(f"{what}: contains NaN or infinity ({exc}); the ground-truth loader reads standard JSON only") from exc


def load_gt(source) -> dict:
    """Ground truth from a path, JSON bytes or a dataset dict -> native column tables."""
    if isinstance(source, (str, os.PathLike)):
        return _core.eval.coco_load_gt(os.fspath(source))
    if isinstance(source, (bytes, bytearray)):
        return _core.eval.coco_load_gt(bytes(source))
    if isinstance(source, dict):
        return _core.eval.coco_load_gt(_json_bytes(source, "ground truth"))
    raise TypeError(f"ground truth: expected a path, JSON bytes or a COCO dataset dict, got {type(source).__name__}")


def results_from_array(data: np.ndarray, gt_image_ids: np.ndarray, gt_sizes=None) -> dict:
    """pycocotools' loadNumpyAnnotations + loadRes: rows [image_id, x, y, w, h, score, category_id]."""
    data = np.asarray(data)
    if data.ndim != 2 or data.shape[1] != 7:
        raise ValueError(f"results: an array must have shape (N, 7) [image_id, x, y, w, h, score, category_id], got {data.shape}")
    if data.shape[0] == 0:
        raise IndexError("results: the array is empty (pycocotools' loadRes raises IndexError here)")
    data = data.astype(np.float64, copy=False)
    # Scores and boxes may be NaN / infinite (pycocotools ranks them as NumPy does); ids may not.
    ids_ok = np.isfinite(data[:, [0, 6]]).all(axis=1)
    if not ids_ok.all():
        i = int(np.argmin(ids_ok))
        raise AssertionError(f"Results do not correspond to current coco set: row {i} has a non-finite image or category id")
    img = data[:, 0].astype(np.int64)
    bad = ~np.isin(img, gt_image_ids)
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"Results do not correspond to current coco set: row {i} has image_id {img[i]}, which is not a GT image")
    bbox = np.ascontiguousarray(data[:, 1:5])
    n = len(data)
    # loadRes' box branch: the mask of each result is its box as a polygon, at its image's size
    size = np.zeros((n, 2), np.uint32)
    kind = np.full(n, 1, np.uint8)  # SegmKind segm_box
    if gt_sizes is not None:
        ids, h, w = gt_sizes
        order = np.argsort(ids, kind="stable")
        pos = order[np.searchsorted(ids[order], img)]
        hh, ww = h[pos], w[pos]
        ok = np.isfinite(hh) & np.isfinite(ww) & (hh >= 0) & (ww >= 0)
        size[ok, 0], size[ok, 1] = hh[ok], ww[ok]
        kind[~ok] = 3  # segm_invalid
    else:
        kind[:] = 3
    return {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "image_id": img,
        "category_id": data[:, 6].astype(np.int64),
        "bbox": bbox,
        "area": bbox[:, 2] * bbox[:, 3],
        "iscrowd": np.zeros(n),
        "score": np.ascontiguousarray(data[:, 5]),
        "num_keypoints": np.zeros(n, np.int64),
        "keypoints": np.zeros((n, 0)),
        "missing": {"keypoints": 0},
        "segm_offset": np.zeros(n + 1, np.uint64),
        "segm_counts": np.zeros(0, np.uint32),
        "segm_size": size,
        "segm_kind": kind,
        "segm_error": None if (kind != 3).all() else
        f"results[{int(np.argmax(kind == 3))}]: its image has no 'height' and 'width' to rasterise the box at",
    }


def load_results(source, gt_image_ids: np.ndarray, allow_empty: bool = False, gt=None) -> dict:
    """Results from a path, JSON bytes, a list of dicts or an (N, 7) array, as COCO.loadRes.
    ``gt``: the ground-truth tables (load_gt), whose image sizes the masks of results given as
    polygons or boxes are rasterised at."""
    gt_image_ids = np.ascontiguousarray(gt_image_ids, dtype=np.int64)
    h = w = None
    if gt is not None and len(gt["image_height"]) == len(gt_image_ids):
        h = np.ascontiguousarray(gt["image_height"], dtype=np.float64)
        w = np.ascontiguousarray(gt["image_width"], dtype=np.float64)
    if isinstance(source, (str, os.PathLike)):
        return _core.eval.coco_load_results(os.fspath(source), gt_image_ids, allow_empty, h, w)
    if isinstance(source, (bytes, bytearray)):
        return _core.eval.coco_load_results(bytes(source), gt_image_ids, allow_empty, h, w)
    if isinstance(source, np.ndarray):
        return results_from_array(source, gt_image_ids, None if h is None else (gt_image_ids, h, w))
    if isinstance(source, (list, tuple)):
        # NaN / infinite scores and boxes pass (written as Python's json does; pycocotools accepts them)
        return _core.eval.coco_load_results(_json_bytes(list(source), "results", allow_nan=True), gt_image_ids, allow_empty,
                                       h, w)
    raise AssertionError(f"results in not an array of objects (got {type(source).__name__})")


_NEEDED_GT = {"bbox": ("area", "iscrowd", "bbox"), "keypoints": ("area", "iscrowd", "bbox", "keypoints", "num_keypoints"),
              "segm": ("area", "iscrowd", "segmentation"), "boundary": ("area", "iscrowd", "segmentation")}
_NEEDED_DT = {"bbox": ("score", "bbox"), "keypoints": ("score", "keypoints"), "segm": ("score",),
              "boundary": ("score",)}


def check_fields(gt: dict, dt: dict, iou_type: str) -> None:
    """KeyError for a field the evaluation reads and an annotation lacks (as pycocotools fails);
    ValueError for a segmentation that is not a mask (segm / boundary)."""
    if iou_type not in _NEEDED_GT:
        raise ValueError(f"iouType: expected 'bbox', 'segm', 'boundary' or 'keypoints', got {iou_type!r}")
    for table, needed, what in ((gt, _NEEDED_GT[iou_type], "annotations"), (dt, _NEEDED_DT[iou_type], "results")):
        missing = table["missing"]
        for f in needed:
            if f in missing and len(table["id"]):
                raise KeyError(f"{what}[{missing[f]}]: missing field '{f}' (needed for iouType '{iou_type}')")
        if iou_type in ("segm", "boundary"):
            kind = table.get("segm_kind")
            if kind is None:
                raise KeyError(f"{what}: no 'segmentation' column (needed for iouType '{iou_type}')")
            if len(kind) and (kind == 2).any():
                raise KeyError(f"{what}[{int(np.argmax(kind == 2))}]: missing field 'segmentation' "
                               f"(needed for iouType '{iou_type}')")
            if len(kind) and (kind == 3).any():
                raise ValueError(f"{what}: {table.get('segm_error') or 'a segmentation is not a mask'}")


def _check_max_dets(params) -> None:
    if len(params["maxDets"]) == 0:
        raise IndexError("list index out of range: maxDets is empty (pycocotools' evaluate() reads maxDets[-1])")


def evaluate_tables(gt: dict, dt: dict, params):
    """Runs the matching; returns the native evaluation (call .accumulate(rec_thrs)).
    ``params``: a Params (or a dict with its keys)."""
    check_fields(gt, dt, params["iouType"])
    _check_max_dets(params)
    return _core.eval.coco_evaluate(_strip(gt), _strip(dt), params)


def evaluate_accumulate(gt: dict, dt: dict, params, keep_evaluation: bool = False):
    """One evaluation in one call into C++ (evaluate + accumulate + summarize, GIL released):
    (precision, recall, scores, stats or None, summary lines[, the native evaluation when
    ``keep_evaluation``]). ``params``: a Params (read as it is)."""
    check_fields(gt, dt, params["iouType"])
    _check_max_dets(params)
    return _core.eval.coco_evaluate_accumulate(_strip(gt), _strip(dt), params, keep_evaluation)


def _strip(t):
    """What _core reads of a table: a loaded CocoTable as it is (read in place, its missing
    columns known natively); a dict of arrays without 'missing', its missing columns None."""
    if isinstance(t, _core.eval.CocoTable):
        return t
    out = {k: v for k, v in t.items() if k != "missing"}
    for f in ("bbox", "area", "iscrowd", "score", "keypoints", "num_keypoints"):
        if f in t.get("missing", {}):
            out[f] = None
    return out


def summarize_arrays(precision, recall, params) -> tuple[np.ndarray, list[str]]:
    """pycocotools' summarize(): (stats, printed lines), bit for bit (NumPy's pairwise mean)."""
    return _core.eval.coco_summarize(np.ascontiguousarray(precision), np.ascontiguousarray(recall), params)


def eval_imgs(gt: dict, dt: dict, params: dict) -> list:
    """pycocotools' ``evalImgs``: one record per (category, area range, image) in that nesting
    order (None where the image has neither GT nor results of the category), with image_id,
    category_id, aRng, maxDet, dtIds, gtIds, dtMatches (T x D), gtMatches (T x G), dtScores,
    gtIgnore, dtIgnore (T x D). Re-runs the matching with match recording; the records are
    built natively (O(records), a few microseconds each)."""
    check_fields(gt, dt, params["iouType"])
    p = params
    ev = _core.eval.coco_evaluate(_strip(gt), _strip(dt), p, True)
    base_ign = gt["iscrowd"] != 0
    if p["iouType"] == "keypoints":
        base_ign = base_ign | (gt["num_keypoints"] == 0)
    cats = p["catIds"] if p["useCats"] else [-1]
    return ev.eval_imgs(np.ascontiguousarray(gt["id"], dtype=np.int64), np.ascontiguousarray(gt["area"], dtype=np.float64),
                        np.ascontiguousarray(base_ign, dtype=np.uint8), sorted(set(p["imgIds"])), list(cats),
                        [list(r) for r in p["areaRng"]], sorted(p["maxDets"])[-1])


def accumulate_records(eval_imgs, p, pe):
    """pycocotools' accumulate() over ``evalImgs`` records (a list of dicts / None indexed
    [k0 * A0 * I0 + a0 * I0 + i] in ``_paramsEval`` (``pe``) sizes), with pycocotools' index
    mapping between the accumulate parameters ``p`` and ``pe`` (categories, area ranges, maxDets
    and images of ``p`` that ``pe`` also has). Used when ``evalImgs`` was read or assigned, e.g.
    concatenated from per-batch ``evaluate()`` calls as torchvision's ``coco_eval.py`` does.
    Returns precision [T, R, K, A, M], recall [T, K, A, M], scores [T, R, K, A, M]."""
    cat_ids = list(p.catIds) if p.useCats == 1 else [-1]
    T, R, K, A, M = len(p.iouThrs), len(p.recThrs), len(cat_ids) if p.useCats else 1, len(p.areaRng), len(p.maxDets)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    scores = -np.ones((T, R, K, A, M))
    set_k = set(pe.catIds if pe.useCats else [-1])
    set_a = set(map(tuple, pe.areaRng))
    set_m = set(pe.maxDets)
    set_i = set(pe.imgIds)
    k_list = [n for n, k in enumerate(cat_ids) if k in set_k]
    m_list = [m for n, m in enumerate(p.maxDets) if m in set_m]
    a_list = [n for n, a in enumerate(map(tuple, p.areaRng)) if a in set_a]
    i_list = [n for n, i in enumerate(p.imgIds) if i in set_i]
    I0, A0 = len(pe.imgIds), len(pe.areaRng)
    # One synthetic "category" per (k, a) pair with a single area range: records of different
    # area ranges are then independent, as in pycocotools.
    KA = len(k_list) * len(a_list)
    I = len(i_list)
    if KA == 0 or I == 0 or not m_list:
        return precision, recall, scores
    recs = [eval_imgs[k0 * A0 * I0 + a0 * I0 + i] for i in i_list for k0 in k_list for a0 in a_list]
    present = np.fromiter((e is not None for e in recs), dtype=np.uint8, count=len(recs))
    live = [e for e in recs if e is not None]
    mask = present.astype(bool)
    # One concatenation per field (C loops) instead of NumPy calls per record.
    n_gt = np.fromiter((len(e["gtIgnore"]) for e in live), dtype=np.int64, count=len(live))
    n_dt = np.fromiter((len(e["dtScores"]) for e in live), dtype=np.int64, count=len(live))
    npig = np.zeros(len(recs), np.uint32)
    if live and n_gt.sum():
        gt_ign = np.concatenate([np.asarray(e["gtIgnore"]).reshape(-1) for e in live])
        ok = np.concatenate(([0], np.cumsum(gt_ign == 0)))
        ends = np.cumsum(n_gt)
        npig[mask] = ok[ends] - ok[ends - n_gt]
    counts = np.zeros(len(recs), np.int64)
    counts[mask] = n_dt
    offset = np.zeros(len(recs) + 1, np.int64)
    np.cumsum(counts, out=offset[1:])
    D = int(offset[-1])
    with_dt = [e for e in live if len(e["dtScores"])]
    if with_dt:
        dtm = np.concatenate([np.asarray(e["dtMatches"]) for e in with_dt], axis=1)
        dtig = np.concatenate([np.asarray(e["dtIgnore"]) for e in with_dt], axis=1).astype(bool)
        if dtm.shape != dtig.shape or dtm.shape[1] != D:
            raise ValueError("evalImgs: dtMatches / dtIgnore / dtScores sizes differ between records")
        T_rec = dtm.shape[0]
        # 0 ignored, 1 true positive (a match id != 0), 2 false positive: states [D, T]
        dt_state = np.ascontiguousarray(np.where(dtig, 0, np.where(dtm != 0, 1, 2)).astype(np.uint8).T)
        dt_score = np.fromiter(itertools.chain.from_iterable(e["dtScores"] for e in with_dt), dtype=np.float64,
                               count=D)
    else:
        T_rec = T
        dt_state = np.zeros((0, T), np.uint8)
        dt_score = np.zeros(0)
    if T_rec > T:
        raise IndexError(f"index {T} is out of bounds for axis 0 with size {T} (records have {T_rec} IoU thresholds)")
    prec, rec, sc = _core.eval.coco_accumulate_states(
        I, KA, 1, T_rec, [int(m) for m in m_list], present, npig, offset, np.ascontiguousarray(dt_score),
        dt_state.reshape(-1), [float(r) for r in np.asarray(p.recThrs, dtype=np.float64).ravel()])
    nk, na, nm = len(k_list), len(a_list), len(m_list)
    prec = prec.reshape(T_rec, R, nk, na, nm)
    sc = sc.reshape(T_rec, R, nk, na, nm)
    rec = rec.reshape(T_rec, nk, na, nm)
    precision[:T_rec, :, :nk, :na, :nm] = prec
    scores[:T_rec, :, :nk, :na, :nm] = sc
    recall[:T_rec, :nk, :na, :nm] = rec
    return precision, recall, scores


def resolve_duplicate_ids(table: dict, params: dict) -> dict:
    """The annotations pycocotools' evaluate() sees when ids repeat: ``_prepare`` gathers
    ``loadAnns(getAnnIds(imgIds, catIds))``, i.e. each annotation listed under an evaluated image
    (in ascending image id, file order within an image, and of an evaluated category when
    useCats) is replaced by the **last** annotation with its id (the id-keyed ``anns`` dict).
    Returns ``table`` itself when the ids are unique (the usual case: O(N log N) check)."""
    ids = table["id"]
    if len(ids) < 2:
        return table
    uniq, inv = np.unique(ids, return_inverse=True)
    if len(uniq) == len(ids):
        return table
    rows = np.arange(len(ids))
    last = np.full(len(uniq), -1, np.int64)
    np.maximum.at(last, inv, rows)
    keep = np.isin(table["image_id"], np.asarray(params["imgIds"], dtype=np.int64))
    if params["useCats"] and len(params["catIds"]):
        keep &= np.isin(table["category_id"], np.asarray(params["catIds"], dtype=np.int64))
    listed = rows[keep]
    listed = listed[np.argsort(table["image_id"][listed], kind="stable")]
    take = last[inv[listed]]
    out = take_rows(table, take)
    missing = dict(table.get("missing", {}))
    out["missing"] = missing  # first-missing indices refer to the original rows; only presence matters
    return out


def take_rows(table: dict, take: np.ndarray) -> dict:
    """The rows ``take`` of a column table (the ragged segmentation column included)."""
    ids = table["id"]
    out = {}
    off = table.get("segm_offset")
    if off is not None:
        starts, ends = off[:-1][take].astype(np.int64), off[1:][take].astype(np.int64)
        lens = ends - starts
        new_off = np.zeros(len(take) + 1, np.uint64)
        np.cumsum(lens, out=new_off[1:])
        pos = np.repeat(starts - new_off[:-1].astype(np.int64), lens) + np.arange(int(new_off[-1]))
        out["segm_offset"] = new_off
        out["segm_counts"] = np.ascontiguousarray(table["segm_counts"][pos])
    for k, v in table.items():
        if k in ("segm_offset", "segm_counts"):
            continue
        out[k] = np.ascontiguousarray(v[take]) if isinstance(v, np.ndarray) and v.ndim >= 1 and len(v) == len(ids) else v
    return out


def _fits_int64_id(v) -> bool:
    if isinstance(v, bool):
        return True
    if isinstance(v, (int, np.integer)):
        return -(2**63) <= int(v) < 2**63
    if isinstance(v, (float, np.floating)):
        return float(v).is_integer() and -(2.0**63) <= float(v) < 2.0**63
    return False


class IdMap:
    """Image and category ids that pycocotools accepts but int64 columns cannot hold (strings,
    non-integral floats, integers beyond int64), replaced by int64 codes that sort like the
    originals (their rank), so evaluation order (ascending image id) is unchanged. Ids compare by
    Python equality (7 == 7.0), as pycocotools' dicts do; mixed strings and numbers raise
    TypeError when sorted, as pycocotools' ``sorted(getImgIds())`` does."""

    def __init__(self, image_ids, category_ids):
        self.img_back = sorted(set(image_ids))
        self.cat_back = sorted(set(category_ids))
        self.img = {v: k for k, v in enumerate(self.img_back)}
        self.cat = {v: k for k, v in enumerate(self.cat_back)}

    @classmethod
    def for_dataset(cls, ds: dict):
        """An IdMap when some image / category id needs one, else None."""
        imgs = [im.get("id") for im in ds.get("images", [])]
        cats = [c.get("id") for c in ds.get("categories", [])]
        if all(_fits_int64_id(v) for v in imgs + cats):
            return None
        return cls(imgs, cats)

    def img_code(self, v) -> int:
        return self.img.get(v, len(self.img_back))  # unknown images are never evaluated

    def cat_code(self, v) -> int:
        return -1 if v == -1 and v not in self.cat else self.cat.get(v, len(self.cat_back))

    def encode_dataset(self, ds: dict) -> dict:
        out = dict(ds)
        out["images"] = [dict(im, id=self.img_code(im["id"])) for im in ds.get("images", [])]
        out["categories"] = [dict(c, id=self.cat_code(c["id"])) for c in ds.get("categories", [])]
        out["annotations"] = [dict(a, image_id=self.img_code(a["image_id"]), category_id=self.cat_code(a["category_id"]))
                              if "image_id" in a and "category_id" in a else a for a in ds.get("annotations", [])]
        return out

    def encode_results(self, anns: list) -> list:
        out = []
        for i, a in enumerate(anns):
            if a.get("image_id") not in self.img:
                raise AssertionError(f"Results do not correspond to current coco set: results[{i}] has image_id "
                                     f"{a.get('image_id')!r}, which is not an image of the ground truth")
            out.append(dict(a, image_id=self.img[a["image_id"]], category_id=self.cat_code(a.get("category_id"))))
        return out

    def encode_params(self, p) -> "Params":
        """A copy of ``p`` (a Params) with its imgIds / catIds as codes."""
        out = Params(p)
        out.imgIds = [self.img_code(i) for i in p.imgIds]
        out.catIds = [self.cat_code(c) for c in p.catIds]
        return out

    def decode_records(self, recs: list) -> list:
        for r in recs:
            if r is not None:
                r["image_id"] = self.img_back[r["image_id"]]
                if r["category_id"] != -1:
                    r["category_id"] = self.cat_back[r["category_id"]]
        return recs
