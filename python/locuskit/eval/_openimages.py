"""Open Images challenge detection metric, equal to the TF Object Detection API's
``OpenImagesChallengeEvaluator`` (as run by ``oid_challenge_evaluation.py``) on CSV inputs.

``openimages_evaluate(boxes_csv, labels_csv, predictions_csv, labelmap, hierarchy=None)``
-> :class:`OpenImagesResult`. The C++ core is ``include/locuskit/eval/openimages.hpp``.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from .. import _core

METRIC_PREFIX = "OpenImagesDetectionChallenge"


@dataclass
class OpenImagesResult:
    """``mean_ap`` (np.nanmean over classes with GT), ``ap`` {label name: AP, NaN without GT},
    ``num_gt`` {label name: GT weight}, ``metrics`` the evaluator's dict (its key names), and
    ``class_names`` / ``class_ids`` in label-map order."""

    mean_ap: float
    ap: dict
    num_gt: dict
    metrics: dict
    class_names: list
    class_ids: list
    display_names: dict = field(default_factory=dict)

    def per_class(self) -> list:
        """Rows {id, name, display_name, AP, num_gt} in label-map order."""
        return [{"id": i, "name": n, "display_name": self.display_names.get(n, n), "AP": self.ap[n],
                 "num_gt": self.num_gt[n]} for i, n in zip(self.class_ids, self.class_names)]

    def summary(self) -> str:
        return f"{METRIC_PREFIX}_Precision/mAP@{self._thr}IOU: {self.mean_ap:.6f}"

    _thr: float = 0.5


def load_labelmap(path) -> tuple:
    """(names, ids, display names) from a label map: the challenge's ``.pbtxt``
    (``item { name: "/m/..." id: 1 display_name: "..." }``) or a CSV with ``name,id[,display_name]``."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names, ids, display = [], [], {}
    if path.endswith(".pbtxt") or text.lstrip().startswith("item"):
        for m in re.finditer(r"item\s*\{([^}]*)\}", text):
            body = m.group(1)
            n = re.search(r"name:\s*['\"]([^'\"]*)['\"]", body)
            i = re.search(r"\bid:\s*(-?\d+)", body)
            d = re.search(r"display_name:\s*['\"]([^'\"]*)['\"]", body)
            if not n or not i:
                raise ValueError(f"{path}: an item without name or id: {body.strip()!r}")
            names.append(n.group(1))
            ids.append(int(i.group(1)))
            if d:
                display[n.group(1)] = d.group(1)
    else:
        rows = list(csv.DictReader(text.splitlines()))
        if not rows or "name" not in rows[0] or "id" not in rows[0]:
            raise ValueError(f"{path}: expected a .pbtxt label map or a CSV with columns name,id")
        for line, r in enumerate(rows, 2):
            try:
                ids.append(int(r["id"]))
            except ValueError:
                raise ValueError(f"{path}:{line}: id {r['id']!r} is not an integer") from None
            names.append(r["name"])
            if r.get("display_name"):
                display[r["name"]] = r["display_name"]
    if not ids:
        raise ValueError(f"{path}: empty label map")
    if min(ids) < 1:
        raise ValueError(f"{path}: class ids must be >= 1 (the evaluator's 'Classes should be 1-indexed')")
    return names, ids, display


def _hierarchy_maps(node: dict, skip_root: bool):
    """(label -> descendants, label -> ancestors, subtree labels) in the peer's list order
    (nearest ancestor first; a label under several parents collects them in visiting order)."""
    children_of, parents_of, subtree = {}, {}, []
    for sub in node.get("Subcategory", []):
        c, p, s = _hierarchy_maps(sub, False)
        for k, v in c.items():
            children_of.setdefault(k, []).extend(v)
        for k, v in p.items():
            parents_of.setdefault(k, []).extend(v)
        subtree.extend(s)
    if not skip_root:
        name = node["LabelName"]
        children_of[name] = subtree
        subtree = [name] + subtree
        for k in parents_of:
            parents_of[k].append(name)
        parents_of[name] = []
    return children_of, parents_of, subtree


def _read_csv(path, need: tuple, what: str):
    path = os.fspath(path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f"{path}: empty file (expected a header with {', '.join(need)})") from None
        missing = [c for c in need if c not in header]
        if missing:
            raise ValueError(f"{path}: {what} CSV lacks column(s) {', '.join(missing)}")
        cols = [header.index(c) for c in need]
        rows = []
        for line, r in enumerate(reader, 2):
            if not r:
                continue
            if len(r) != len(header):
                raise ValueError(f"{path}:{line}: {len(r)} fields, the header has {len(header)}")
            rows.append((line, r, [r[c] for c in cols]))
    return path, header, rows


def _num(path, line, v, name, kind=float):
    try:
        return kind(v)
    except ValueError:
        raise ValueError(f"{path}:{line}: {name} {v!r} is not a number") from None


def _expanded(path, line, lab, table, class_index) -> list:
    """Class indices of `lab` and, with a hierarchy `table` (ancestors or descendants), its expansion."""
    labels = [lab]
    if table is not None:
        if lab not in table:
            raise ValueError(f"{path}:{line}: label {lab} is not in the hierarchy")
        labels += table[lab]
    out = []
    for lb in labels:
        if lb not in class_index:
            raise ValueError(f"{path}:{line}: label {lb} is not in the label map")
        out.append(class_index[lb])
    return out


def _load_gt(boxes_csv, labels_csv, hierarchy, class_index):
    parents_of = children_of = None
    if hierarchy is not None:
        if not isinstance(hierarchy, dict):
            with open(os.fspath(hierarchy), encoding="utf-8") as f:
                hierarchy = json.load(f)
        children_of, parents_of, _ = _hierarchy_maps(hierarchy, True)
    path, _, rows = _read_csv(boxes_csv, ("ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax", "IsGroupOf"),
                              "boxes")
    b_img, b_lab, b_box, b_grp = [], [], [], []
    for line, _, (img, lab, x0, x1, y0, y1, grp) in rows:
        box = [_num(path, line, y0, "YMin"), _num(path, line, x0, "XMin"), _num(path, line, y1, "YMax"),
               _num(path, line, x1, "XMax")]
        g = _num(path, line, grp, "IsGroupOf", int) if grp != "" else 0
        for lb in _expanded(path, line, lab, parents_of, class_index):
            b_img.append(img), b_lab.append(lb), b_box.append(box), b_grp.append(g != 0)
    path, _, rows = _read_csv(labels_csv, ("ImageID", "LabelName", "Confidence"), "image-level labels")
    l_img, l_lab = [], []
    for line, _, (img, lab, conf) in rows:
        table = None
        if parents_of is not None:
            table = parents_of if _num(path, line, conf, "Confidence", int) == 1 else children_of
        for lb in _expanded(path, line, lab, table, class_index):
            l_img.append(img), l_lab.append(lb)
    return b_img, b_lab, b_box, b_grp, l_img, l_lab


def _load_predictions(predictions_csv, class_index):
    path, _, rows = _read_csv(predictions_csv, ("ImageID", "LabelName", "Score", "XMin", "XMax", "YMin", "YMax"),
                              "predictions")
    img, lab, score, box = [], [], [], []
    for line, _, (i, lb, s, x0, x1, y0, y1) in rows:
        if lb not in class_index:
            raise ValueError(f"{path}:{line}: label {lb} is not in the label map")
        img.append(i), lab.append(class_index[lb]), score.append(_num(path, line, s, "Score"))
        box.append([_num(path, line, y0, "YMin"), _num(path, line, x0, "XMin"), _num(path, line, y1, "YMax"),
                    _num(path, line, x1, "XMax")])
    return img, lab, score, box


def openimages_evaluate(boxes_csv, labels_csv, predictions_csv, labelmap, hierarchy=None, *,
                        iou_threshold: float = 0.5, group_of_weight: float = 1.0) -> OpenImagesResult:
    """Open Images challenge detection mAP, equal to ``OpenImagesChallengeEvaluator`` (TF Object
    Detection API, box mode) run as ``oid_challenge_evaluation.py`` does.

    ``boxes_csv``: GT boxes (``ImageID, LabelName, XMin, XMax, YMin, YMax, IsGroupOf``, other
    columns ignored); ``labels_csv``: verified image-level labels (``ImageID, LabelName,
    Confidence``: 1 positive, 0 negative; both make a class evaluatable in the image);
    ``predictions_csv``: ``ImageID, LabelName, Score, XMin, XMax, YMin, YMax``; ``labelmap``:
    ``.pbtxt`` or CSV ``name,id``; ``hierarchy``: the class-hierarchy JSON (path or dict): when
    given, GT boxes and positive labels are expanded to every ancestor and negative labels to
    every descendant first (``oid_hierarchical_labels_expansion.py``); without it the GT files are
    taken as already expanded. Predictions are never expanded. Raises ValueError naming the file
    and line for malformed rows, labels outside the label map or the hierarchy.
    """
    names, ids, display = load_labelmap(labelmap)
    class_index = {n: i - 1 for n, i in zip(names, ids)}
    num_classes = max(ids)
    b_img, b_lab, b_box, b_grp, l_img, l_lab = _load_gt(boxes_csv, labels_csv, hierarchy, class_index)
    d_img, d_lab, d_score, d_box = _load_predictions(predictions_csv, class_index)
    codes = {s: k for k, s in enumerate(sorted(set(b_img) | set(l_img) | set(d_img)))}

    def ints(v):
        return np.asarray(v, dtype=np.int64).reshape(-1)

    def boxes(v):
        return np.asarray(v, dtype=np.float64).reshape(-1, 4)

    out = _core.eval.oid_challenge_evaluate(
        ints([codes[s] for s in b_img]), ints(b_lab), boxes(b_box), np.asarray(b_grp, dtype=np.uint8).reshape(-1),
        ints([codes[s] for s in l_img]), ints(l_lab), ints([codes[s] for s in d_img]), ints(d_lab),
        np.asarray(d_score, dtype=np.float64).reshape(-1), boxes(d_box), num_classes, float(iou_threshold),
        float(group_of_weight))
    ap = {n: float(out["ap"][i - 1]) for n, i in zip(names, ids)}
    num_gt = {n: float(out["num_gt"][i - 1]) for n, i in zip(names, ids)}
    mean_ap = float(out["mean_ap"])
    metrics = {f"{METRIC_PREFIX}_Precision/mAP@{iou_threshold}IOU": mean_ap}
    for n, i in sorted(zip(names, ids), key=lambda t: t[1]):
        key = f"{METRIC_PREFIX}_PerformanceByCategory/AP@{iou_threshold}IOU/{unicodedata.normalize('NFKD', n)}"
        metrics[key] = ap[n]
    res = OpenImagesResult(mean_ap=mean_ap, ap=ap, num_gt=num_gt, metrics=metrics, class_names=list(names),
                           class_ids=list(ids), display_names=display)
    res._thr = iou_threshold
    return res


def _nan_to_none(v):
    return None if isinstance(v, float) and math.isnan(v) else v
