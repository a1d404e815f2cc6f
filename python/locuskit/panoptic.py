"""Panoptic quality (PQ, SQ, RQ per class and over All / Things / Stuff) from the COCO panoptic
format (a JSON file and a folder of PNGs per side), equal to panopticapi's ``pq_compute``
(cocodataset/panopticapi @7bb4655).

Rules reproduced (``../shared/notes/masks-and-segmentation-semantics.md`` section 5): segment ids
are ``R + 256 G + 256^2 B``, 0 is VOID; predicted areas are recounted from the PNG, GT areas are the
JSON ``area`` fields; a pair matches when same category, GT not crowd and
``IoU = I / (area_p + area_g - I - |p in VOID|) > 0.5``; an unmatched prediction is not a false
positive when more than half of it lies in VOID or in the crowd region of its category; classes
with no TP, FP or FN are reported as zeros and left out of the averages.

panopticapi splits the images over ``multiprocessing.cpu_count()`` processes and adds the
per-process IoU sums, so its last bits depend on the CPU count: pass ``process_split`` (the count
it used) to reproduce them exactly; the default (1) sums in image order.
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

__all__ = ["pq_compute", "rgb_to_id"]

VOID = 0
OFFSET = 256 * 256 * 256


def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    """Segment ids of an (H, W, 3) uint8 panoptic PNG: R + 256 G + 256^2 B (uint32)."""
    rgb = rgb.astype(np.uint32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def _read_png(path: pathlib.Path) -> np.ndarray:
    from PIL import Image

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with Image.open(path) as im:
            return rgb_to_id(np.asarray(im.convert("RGB")))
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read as a PNG ({exc})") from exc


def _load(obj):
    if isinstance(obj, dict):
        return obj
    with open(obj) as f:
        return json.load(f)


class _Stat:
    __slots__ = ("iou", "tp", "fp", "fn")

    def __init__(self):
        self.iou, self.tp, self.fp, self.fn = 0.0, 0, 0, 0


def _image_stats(gt_ann, pred_ann, gt_folder, pred_folder, categories, stats):
    pan_gt = _read_png(gt_folder / gt_ann["file_name"])
    pan_pred = _read_png(pred_folder / pred_ann["file_name"])
    if pan_gt.shape != pan_pred.shape:
        raise ValueError(f"image {gt_ann['image_id']}: GT PNG {pan_gt.shape} and prediction PNG {pan_pred.shape} differ")
    gt_segms = {s["id"]: dict(s) for s in gt_ann["segments_info"]}
    pred_segms = {s["id"]: dict(s) for s in pred_ann["segments_info"]}
    unseen = set(pred_segms)
    labels, counts = np.unique(pan_pred, return_counts=True)
    for label, count in zip(labels.tolist(), counts.tolist()):
        if label not in pred_segms:
            if label == VOID:
                continue
            raise KeyError(f"In the image with ID {gt_ann['image_id']} segment with ID {label} is presented in PNG "
                           "and not presented in JSON.")
        pred_segms[label]["area"] = count  # recounted from the PNG
        unseen.discard(label)
        if pred_segms[label]["category_id"] not in categories:
            raise KeyError(f"In the image with ID {gt_ann['image_id']} segment with ID {label} has unknown "
                           f"category_id {pred_segms[label]['category_id']}.")
    if unseen:
        raise KeyError(f"In the image with ID {gt_ann['image_id']} the following segment IDs {sorted(unseen)} "
                       "are presented in JSON and not presented in PNG.")
    joint = pan_gt.astype(np.uint64) * OFFSET + pan_pred.astype(np.uint64)
    labels, counts = np.unique(joint, return_counts=True)
    pairs = {(int(lab // OFFSET), int(lab % OFFSET)): int(c) for lab, c in zip(labels.tolist(), counts.tolist())}
    gt_matched, pred_matched = set(), set()
    for (g, p), inter in pairs.items():  # ascending joint id: panopticapi's summation order
        if g not in gt_segms or p not in pred_segms:
            continue
        gs, ps = gt_segms[g], pred_segms[p]
        if gs["iscrowd"] == 1 or gs["category_id"] != ps["category_id"]:
            continue
        union = ps["area"] + gs["area"] - inter - pairs.get((VOID, p), 0)
        iou = inter / union
        if iou > 0.5:
            st = stats[gs["category_id"]]
            st.tp += 1
            st.iou += iou
            gt_matched.add(g)
            pred_matched.add(p)
    crowd_of_category = {}
    for g, gs in gt_segms.items():
        if g in gt_matched:
            continue
        if gs["iscrowd"] == 1:
            crowd_of_category[gs["category_id"]] = g  # the last crowd segment of a category wins
            continue
        stats[gs["category_id"]].fn += 1
    for p, ps in pred_segms.items():
        if p in pred_matched:
            continue
        ignored = pairs.get((VOID, p), 0)
        if ps["category_id"] in crowd_of_category:
            ignored += pairs.get((crowd_of_category[ps["category_id"]], p), 0)
        if ignored / ps["area"] > 0.5:
            continue
        stats[ps["category_id"]].fp += 1


def _average(stats, categories, isthing):
    pq = sq = rq = 0.0
    n = 0
    per_class = {}
    for cat_id, info in categories.items():
        if isthing is not None and (info.get("isthing") == 1) != isthing:
            continue
        st = stats[cat_id]
        if st.tp + st.fp + st.fn == 0:
            per_class[cat_id] = {"pq": 0.0, "sq": 0.0, "rq": 0.0}
            continue
        n += 1
        denominator = st.tp + 0.5 * st.fp + 0.5 * st.fn
        pq_c = st.iou / denominator
        sq_c = st.iou / st.tp if st.tp != 0 else 0
        rq_c = st.tp / denominator
        per_class[cat_id] = {"pq": pq_c, "sq": sq_c, "rq": rq_c}
        pq += pq_c
        sq += sq_c
        rq += rq_c
    if n == 0:
        raise ZeroDivisionError(f"no category of the {'All' if isthing is None else ('Things' if isthing else 'Stuff')} "
                                "split has a TP, FP or FN (panopticapi raises ZeroDivisionError too)")
    return {"pq": pq / n, "sq": sq / n, "rq": rq / n, "n": n}, per_class


def pq_compute(gt_json, pred_json, gt_folder, pred_folder, process_split: int = 1) -> dict:
    """``{"All" | "Things" | "Stuff": {pq, sq, rq, n}, "per_class": {cat_id: {pq, sq, rq}},
    "per_category_counts": {cat_id: {tp, fp, fn, iou_sum}}}`` as panopticapi's ``pq_compute``.

    ``gt_json`` / ``pred_json``: paths or loaded dicts; folders hold the PNGs named by each
    annotation's ``file_name``. A prediction missing for a GT image, a segment in the PNG but not
    the JSON (or the reverse), an unknown category or an unreadable PNG raise, naming the image.
    """
    gt, pred = _load(gt_json), _load(pred_json)
    gt_folder, pred_folder = pathlib.Path(gt_folder), pathlib.Path(pred_folder)
    categories = {c["id"]: c for c in gt["categories"]}
    pred_by_image = {a["image_id"]: a for a in pred["annotations"]}
    matched = []
    for a in gt["annotations"]:
        if a["image_id"] not in pred_by_image:
            raise ValueError(f"no prediction for the image with id: {a['image_id']}")
        matched.append((a, pred_by_image[a["image_id"]]))
    if process_split < 1:
        raise ValueError(f"process_split must be >= 1, got {process_split}")
    total = {c: _Stat() for c in categories}
    for chunk in np.array_split(np.arange(len(matched)), process_split):
        part = {c: _Stat() for c in categories}
        for i in chunk.tolist():
            _image_stats(*matched[i], gt_folder, pred_folder, categories, _StatDict(part))
        for c, st in part.items():  # per-process sums added in process order, as panopticapi
            t = total.setdefault(c, _Stat())
            t.iou += st.iou
            t.tp += st.tp
            t.fp += st.fp
            t.fn += st.fn
    results = {}
    for name, isthing in (("All", None), ("Things", True), ("Stuff", False)):
        results[name], per_class = _average(total, categories, isthing)
        if name == "All":
            results["per_class"] = per_class
    results["per_category_counts"] = {c: {"tp": s.tp, "fp": s.fp, "fn": s.fn, "iou_sum": s.iou}
                                      for c, s in total.items() if s.tp + s.fp + s.fn}
    return results


class _StatDict(dict):
    """Category -> _Stat that creates entries for categories seen only in segments (panopticapi
    uses a defaultdict)."""

    def __init__(self, base):
        super().__init__()
        self._base = base

    def __getitem__(self, key):
        if key not in self._base:
            self._base[key] = _Stat()
        return self._base[key]
