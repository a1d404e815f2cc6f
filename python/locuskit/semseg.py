"""Semantic segmentation metrics from a streaming pixel confusion matrix.

``SegmentationMetric(num_classes, ignore_index=255, reduce_zero_label=False)`` is updated with one
(prediction, ground truth) label-map pair at a time (any integer dtype, any shape; the counting
runs in C++ on several threads), can be merged with another instance (data-parallel evaluation),
and computes, in the convention asked for:

- ``"mmseg"`` (default): mmsegmentation 1.x ``IoUMetric`` exactly -- per-image float32 histograms
  summed in float32 (so counts above 2**24 round as they do there), per-class IoU, Acc, Dice,
  Fscore, Precision, Recall with **NaN** for classes absent from both sides (0/0), ``aAcc`` and the
  summary ``np.round(np.nanmean(v) * 100, 2)`` (NaN classes skipped).
- ``"mmseg0"``: mmsegmentation 0.x (same formulas, float64 accumulation).
- ``"confusion"``: float64 from the confusion matrix (FCN ``score.py`` family): pixel accuracy,
  mean class accuracy and mIoU (nanmean), frequency-weighted IoU, Dice.
- ``"torchmetrics"``: torchmetrics 1.9 ``MeanIoU`` module (one ``update`` per image): per-image
  IoU averaged over the images where the class is present in the prediction or the GT; classes
  never present are **excluded** (reported as -1 per class, as ``nan_to_num(-1)``); it has no
  ignore index, so any ignored or out-of-range label makes this convention raise ValueError.

Why mmseg is the default: it is the reference most segmentation papers report, it is
dataset-level (pixel counts pooled over images) and it honours ``ignore_index``.
"""
from __future__ import annotations

import numpy as np

from ._arrays import as_array
from ._core import mask as _mask

__all__ = ["SegmentationMetric", "confusion_matrix"]

CONVENTIONS = ("mmseg", "mmseg0", "confusion", "torchmetrics")


def _label_pair(pred, gt):
    pred = as_array(pred, "pred")
    gt = as_array(gt, "gt")
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt have different shapes: {pred.shape} vs {gt.shape}")
    for name, a in (("pred", pred), ("gt", gt)):
        if a.dtype.kind not in "iub":
            raise TypeError(f"{name}: dtype {a.dtype} is not an integer label dtype")
    if pred.dtype != gt.dtype:  # one common dtype for the kernel: a copy of the narrower map
        common = np.promote_types(pred.dtype, gt.dtype)
        if common.kind == "f":
            common = np.dtype(np.int64)
        pred, gt = pred.astype(common), gt.astype(common)
    # non-contiguous inputs are copied once; contiguous ones never are
    return np.ascontiguousarray(pred), np.ascontiguousarray(gt)


def confusion_matrix(pred, gt, num_classes: int, ignore_index: int | None = 255, reduce_zero_label: bool = False):
    """``(num_classes, num_classes)`` int64 pixel counts, rows = ground truth, columns = prediction,
    over pixels whose GT is not ``ignore_index`` and whose labels are both in ``[0, num_classes)``."""
    pred, gt = _label_pair(pred, gt)
    full = _mask.confusion_matrix(pred, gt, int(num_classes), _ignore(ignore_index), bool(reduce_zero_label))
    return full[:num_classes, :num_classes].astype(np.int64)


def _ignore(ignore_index):
    # None: nothing is ignored (a value no label map holds after reduction).
    return -(2**63) if ignore_index is None else int(ignore_index)


class SegmentationMetric:
    """Streaming semantic-segmentation metrics (see the module docstring for the conventions)."""

    def __init__(self, num_classes: int, ignore_index: int | None = 255, reduce_zero_label: bool = False):
        if int(num_classes) < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.num_classes = int(num_classes)
        self.ignore_index = ignore_index
        self.reduce_zero_label = bool(reduce_zero_label)
        c = self.num_classes
        self.full_matrix = np.zeros((c + 1, c + 1), np.uint64)  # index c: label outside [0, c)
        # mmseg 1.x state: float32 sums of per-image float32 histograms (intersect, union, pred, label)
        self._f32 = np.zeros((4, c), np.float32)
        # torchmetrics MeanIoU state: per class sum of per-image IoU where valid, and valid counts
        self._tm_score = np.zeros(c, np.float32)
        self._tm_valid = np.zeros(c, np.float32)
        self._tm_scalar_score = np.float32(0)
        self._tm_scalar_valid = np.float32(0)
        self.per_image_mean_iou: list[float] = []  # torchmetrics functional mean_iou, one per update
        self._tm_invalid = False  # an ignored or out-of-range label was seen
        self.num_images = 0

    # ------------------------------------------------------------------ state
    def update(self, pred, gt) -> "SegmentationMetric":
        """Adds one image (label maps of equal shape, any integer dtype)."""
        pred, gt = _label_pair(pred, gt)
        c = self.num_classes
        m = _mask.confusion_matrix(pred, gt, c, _ignore(self.ignore_index), self.reduce_zero_label)
        self.full_matrix += m
        self.num_images += 1
        inter = np.diag(m)[:c].astype(np.float32)
        area_pred = m[:, :c].sum(axis=0).astype(np.float32)
        area_label = m[:c, :].sum(axis=1).astype(np.float32)
        union = area_pred + area_label - inter
        self._f32 += np.stack([inter, union, area_pred, area_label])
        if int(m.sum()) != pred.size or m[c, :].any() or m[:, c].any():
            self._tm_invalid = True
        inner = m[:c, :c].astype(np.int64)
        i = np.diag(inner)
        u = inner.sum(0) + inner.sum(1) - i
        valid = u > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(valid, i.astype(np.float32) / u.astype(np.float32), np.float32(0)).astype(np.float32)
        self._tm_score += iou * valid
        self._tm_valid += valid.astype(np.float32)
        self._tm_scalar_score += np.float32((iou * valid).sum(dtype=np.float32))
        self._tm_scalar_valid += np.float32(valid.sum())
        self.per_image_mean_iou.append(float(np.float32(iou[valid].sum(dtype=np.float32)) / np.float32(valid.sum()))
                                       if valid.any() else float("nan"))
        return self

    def update_batch(self, preds, gts) -> "SegmentationMetric":
        """One ``update`` per item along the first axis."""
        for p, g in zip(preds, gts):
            self.update(p, g)
        return self

    def merge(self, other: "SegmentationMetric") -> "SegmentationMetric":
        """Adds another instance's state (same settings). Integer counts merge exactly; the float32
        mmseg sums are added in merge order, as mmseg's distributed collection adds them."""
        if (other.num_classes, other.ignore_index, other.reduce_zero_label) != (
                self.num_classes, self.ignore_index, self.reduce_zero_label):
            raise ValueError("merge: the two metrics have different num_classes / ignore_index / reduce_zero_label")
        self.full_matrix += other.full_matrix
        self._f32 += other._f32
        self._tm_score += other._tm_score
        self._tm_valid += other._tm_valid
        self._tm_scalar_score += other._tm_scalar_score
        self._tm_scalar_valid += other._tm_scalar_valid
        self.per_image_mean_iou += other.per_image_mean_iou
        self._tm_invalid = self._tm_invalid or other._tm_invalid
        self.num_images += other.num_images
        return self

    @property
    def matrix(self) -> np.ndarray:
        """(C, C) int64 confusion matrix over in-range labels, rows = GT, columns = prediction."""
        c = self.num_classes
        return self.full_matrix[:c, :c].astype(np.int64)

    # ------------------------------------------------------------------ metrics
    def compute(self, convention: str = "mmseg") -> dict:
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
        if convention in ("mmseg", "mmseg0"):
            if convention == "mmseg":
                inter, union, pred, label = self._f32
            else:
                c = self.num_classes
                m = self.full_matrix.astype(np.float64)
                inter = np.diag(m)[:c]
                pred = m[:, :c].sum(axis=0)
                label = m[:c, :].sum(axis=1)
                union = pred + label - inter
            return _mmseg_metrics(inter, union, pred, label)
        if convention == "confusion":
            return _confusion_metrics(self.matrix)
        if self._tm_invalid:
            raise ValueError("torchmetrics convention: a label was ignored or outside [0, num_classes) "
                             "(torchmetrics: 'Class values must be smaller than num_classes.'; it has no ignore_index)")
        with np.errstate(divide="ignore", invalid="ignore"):
            per_class = self._tm_score / self._tm_valid
        return {"MeanIoU": float(self._tm_scalar_score / self._tm_scalar_valid),
                "MeanIoU_per_class": np.nan_to_num(per_class, nan=-1.0),
                "mean_iou_per_image": np.array(self.per_image_mean_iou, np.float32)}


def _mmseg_metrics(inter, union, pred, label) -> dict:
    with np.errstate(divide="ignore", invalid="ignore"):
        a_acc = inter.sum() / label.sum()
        iou = inter / union
        acc = inter / label
        dice = 2 * inter / (pred + label)
        precision = inter / pred
        recall = inter / label
        fscore = (2 * (precision * recall)) / (precision + recall)
    per_class = {"IoU": iou, "Acc": acc, "Dice": dice, "Fscore": fscore, "Precision": precision, "Recall": recall}
    summary = {"aAcc": np.round(np.nanmean(a_acc) * 100, 2)}
    with np.errstate(invalid="ignore"), _quiet_nanmean():
        for k, v in per_class.items():
            summary["m" + k] = np.round(np.nanmean(v) * 100, 2)
    return {"aAcc": a_acc, "per_class": per_class, "summary": summary}


class _quiet_nanmean:
    def __enter__(self):
        import warnings
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def _confusion_metrics(hist: np.ndarray) -> dict:
    hist = hist.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"), _quiet_nanmean():
        diag = np.diag(hist)
        pixel_acc = diag.sum() / hist.sum()
        class_acc = diag / hist.sum(1)
        iou = diag / (hist.sum(1) + hist.sum(0) - diag)
        dice = 2 * diag / (hist.sum(1) + hist.sum(0))
        freq = hist.sum(1) / hist.sum()
        fwiou = (freq[freq > 0] * iou[freq > 0]).sum()
        return {"pixel_acc": float(pixel_acc), "class_acc": class_acc, "mean_acc": float(np.nanmean(class_acc)),
                "iou": iou, "miou": float(np.nanmean(iou)), "dice": dice, "mdice": float(np.nanmean(dice)),
                "fwiou": float(fwiou)}
