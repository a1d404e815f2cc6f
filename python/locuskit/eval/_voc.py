"""Pascal VOC AP: per-class evaluation (C++ core), text / XML loading, mAP."""
from __future__ import annotations

import math
import os
import pathlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

from .. import _core


@dataclass
class VocClassResult:
    """One class: AP by both rules, the PR curve (per sorted result) and the best-F1 threshold."""

    name: str
    npos: int
    ap_11point: float
    ap_all_point: float
    recall: np.ndarray
    precision: np.ndarray
    scores: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    best_f1: float
    best_f1_score: float
    ap_11point_sum_then_divide: float = 0.0
    ap_all_point_np_sum: float = 0.0


@dataclass
class VocResult:
    """All classes at one IoU threshold. ``mAP`` averages the classes that have GT (a class
    without GT has no defined AP and is listed in ``skipped``)."""

    iou_threshold: float
    classes: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)

    def mAP(self, rule: str = "all_point") -> float:
        vals = [getattr(c, "ap_" + rule) for c in self.classes.values() if c.npos > 0]
        return float(np.mean(vals)) if vals else float("nan")


def voc_evaluate_class(det_image, det_score, det_boxes, gt_image, gt_boxes, gt_difficult=None, *,
                       iou_threshold=0.5, plus_one=False, strict_threshold=False, name="") -> VocClassResult:
    """VOC evaluation of one class. Boxes (N, 4) xyxy; image ids int; difficult bool/uint8.
    Matching: descending score (stable), the GT of the image with the largest IoU (difficult
    included); IoU >= thr (> with strict_threshold): difficult -> ignored, unused -> TP, used -> FP.
    plus_one: the devkit's +1 pixel convention. Precision is 0 where tp + fp = 0."""
    det_boxes = np.ascontiguousarray(np.asarray(det_boxes, dtype=np.float64).reshape(-1, 4))
    gt_boxes = np.ascontiguousarray(np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4))
    det_score = np.ascontiguousarray(det_score, dtype=np.float64)
    det_image = np.ascontiguousarray(det_image, dtype=np.int64)
    gt_image = np.ascontiguousarray(gt_image, dtype=np.int64)
    if gt_difficult is not None:
        gt_difficult = np.ascontiguousarray(gt_difficult, dtype=np.uint8)
    if np.isnan(det_score).any():
        raise ValueError("det_score: NaN scores cannot be ranked")
    r = _core.eval.voc_evaluate_class(det_image, det_score, det_boxes, gt_image, gt_boxes, gt_difficult,
                                 iou_threshold, plus_one, strict_threshold)
    return VocClassResult(name=name, npos=int(r["npos"]), ap_11point=r["ap_11point"], ap_all_point=r["ap_all_point"],
                          recall=r["recall"], precision=r["precision"], scores=det_score[r["order"]],
                          tp=r["tp"].astype(bool), fp=r["fp"].astype(bool), best_f1=r["best_f1"],
                          best_f1_score=r["best_f1_score"],
                          ap_11point_sum_then_divide=r["ap_11point_sum_then_divide"],
                          ap_all_point_np_sum=r["ap_all_point_np_sum"])


def voc_ap(recall, precision, use_07_metric=False) -> float:
    """AP from a recall/precision curve (py-faster-rcnn's voc_ap): 11-point or all-point."""
    rec = np.asarray(recall, np.float64)
    prec = np.asarray(precision, np.float64)
    if use_07_metric:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):
            p = np.max(prec[rec >= t]) if np.sum(rec >= t) else 0.0
            ap += p / 11.0
        return float(ap)
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    ap = 0.0
    for j in i:
        ap += (mrec[j + 1] - mrec[j]) * mpre[j + 1]
    return float(ap)


def _to_xyxy(vals, box_format):
    a, b, c, d = vals
    if box_format == "xywh":
        return [a, b, a + c, b + d]
    if box_format == "xyxy":
        return [a, b, c, d]
    raise ValueError(f"box_format: expected 'xywh' or 'xyxy', got {box_format!r}")


# Resource limit (docs/eval.md): one image's annotation or detection file above this size is
# refused before it is read (a VOC image has tens of objects; 64 MiB is millions of lines).
MAX_FILE_BYTES = 64 << 20


def _read_text(path: pathlib.Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path}: {size} bytes; per-image VOC files above {MAX_FILE_BYTES} bytes are refused "
                         "(resource limit, see docs/eval.md)")
    try:
        return path.read_text()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _numbers(vals, where):
    try:
        out = [float(v) for v in vals]
    except ValueError:
        raise ValueError(f"{where}: expected numbers, got {' '.join(vals)!r}") from None
    if not all(math.isfinite(v) for v in out):  # NaN scores cannot be ranked, NaN boxes never match
        raise ValueError(f"{where}: expected finite numbers, got {' '.join(vals)!r}")
    return out


def _read_xml(path: pathlib.Path, index: int, gt: dict) -> None:
    text = _read_text(path)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"{path}: malformed XML ({exc})") from None
    for k, obj in enumerate(root.iter("object")):
        where = f"{path}: object {k}"
        name = obj.findtext("name")
        bb = obj.find("bndbox")
        if name is None or bb is None:
            raise ValueError(f"{where}: needs <name> and <bndbox>")
        try:
            # the devkit's astype(bool): any nonzero integer marks the object difficult
            diff = int(int(obj.findtext("difficult", "0") or 0) != 0)
        except ValueError:
            raise ValueError(f"{where}: <difficult> must be 0 or 1") from None
        coords = [bb.findtext(c) for c in ("xmin", "ymin", "xmax", "ymax")]
        if any(c is None for c in coords):
            raise ValueError(f"{where}: <bndbox> needs xmin, ymin, xmax, ymax")
        gt.setdefault(name.strip(), []).append((index, _numbers(coords, where), diff))


def load_voc_dir(gt_dir, det_dir, box_format="xywh"):
    """Reads per-image files: GT ``<name>.txt`` lines ``class [difficult] x y w h`` (or VOC XML
    ``<name>.xml``), detections ``<name>.txt`` lines ``class score x y w h``. Files are taken in
    name order, lines in order (the tie order). Returns (gt, det) dicts per class with arrays
    image / boxes (xyxy) / difficult / score, plus the image names."""
    gt_dir, det_dir = pathlib.Path(gt_dir), pathlib.Path(det_dir)
    if not gt_dir.is_dir():
        raise FileNotFoundError(f"ground-truth folder not found: {gt_dir}")
    if not det_dir.is_dir():
        raise FileNotFoundError(f"detections folder not found: {det_dir}")
    names = sorted({p.stem for p in gt_dir.iterdir() if p.suffix in (".txt", ".xml")})
    index = {n: i for i, n in enumerate(names)}
    gt: dict = {}
    det: dict = {}
    for n in names:
        xml = gt_dir / f"{n}.xml"
        if xml.exists():
            _read_xml(xml, index[n], gt)
            continue
        path = gt_dir / f"{n}.txt"
        for ln, line in enumerate(_read_text(path).splitlines()):
            parts = line.split()
            if not parts:
                continue
            if len(parts) not in (5, 6):
                raise ValueError(f"{path}:{ln + 1}: expected 'class [difficult] x y w h'")
            try:
                diff = int(int(parts[1]) != 0) if len(parts) == 6 else 0  # nonzero: difficult (devkit)
            except ValueError:
                raise ValueError(f"{path}:{ln + 1}: 'difficult' must be 0 or 1, got {parts[1]!r}") from None
            box = _to_xyxy(_numbers(parts[-4:], f"{path}:{ln + 1}"), box_format)
            gt.setdefault(parts[0], []).append((index[n], box, diff))
    for p in sorted(det_dir.glob("*.txt")):
        if p.stem not in index:
            raise ValueError(f"{p}: no ground truth file for image '{p.stem}'")
        for ln, line in enumerate(_read_text(p).splitlines()):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 6:
                raise ValueError(f"{p}:{ln + 1}: expected 'class score x y w h'")
            vals = _numbers(parts[1:], f"{p}:{ln + 1}")
            det.setdefault(parts[0], []).append((index[p.stem], vals[0], _to_xyxy(vals[1:], box_format)))
    return gt, det, names


def voc_evaluate(gt_dir, det_dir, *, iou_threshold=0.5, box_format="xywh", plus_one=False,
                 strict_threshold=False) -> VocResult:
    """VOC evaluation of every class found in two folders (see load_voc_dir)."""
    gt, det, _ = load_voc_dir(gt_dir, det_dir, box_format)
    res = VocResult(iou_threshold=iou_threshold)
    for cls in sorted(set(gt) | set(det)):
        g = gt.get(cls, [])
        d = det.get(cls, [])
        r = voc_evaluate_class(
            [x[0] for x in d], [x[1] for x in d], np.array([x[2] for x in d], np.float64).reshape(-1, 4),
            [x[0] for x in g], np.array([x[1] for x in g], np.float64).reshape(-1, 4),
            np.array([x[2] for x in g], np.uint8), iou_threshold=iou_threshold, plus_one=plus_one,
            strict_threshold=strict_threshold, name=cls)
        if r.npos == 0:
            res.skipped.append(cls)
        res.classes[cls] = r
    return res
