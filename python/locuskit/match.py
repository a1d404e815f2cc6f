"""Matchers and assigners: which prior is trained toward which ground-truth box.

* :class:`Matcher` — torchvision/detectron2-style ``Matcher(high, low, allow_low_quality_matches)``:
  call it on a (M gt, N predictions) quality matrix (torchvision semantics), or use
  :meth:`Matcher.match_boxes` to match boxes without building the M×N IoU matrix.
* :class:`Detectron2Matcher` (labels {−1, 0, 1} on threshold bins), :class:`SSDMatcher`
  (torchvision), :class:`MaxIoUAssigner` and :class:`ATSSAssigner` (mmdet).
* :func:`linear_sum_assignment` (exact, as scipy's) and :func:`detr_cost_matrix` /
  :class:`HungarianMatcher` (DETR).
"""
from __future__ import annotations

from typing import Sequence, Tuple, Union, cast

import numpy as np

from ._core import match as _match
from ._arrays import Array, as_array, as_ids, tensor_io
from ._args import integer

__all__ = [
    "ATSSAssigner",
    "Detectron2Matcher",
    "HungarianMatcher",
    "Matcher",
    "MaxIoUAssigner",
    "SSDMatcher",
    "detr_cost_matrix",
    "linear_sum_assignment",
]


class Matcher:
    """torchvision ``Matcher``: labels −1 (below ``low``), −2 (between), else the gt index.

    ``matcher(quality)`` reproduces torchvision on a dense (M, N) matrix (first gt on ties; NaN
    counts as largest, as torch.max). Unlike torchvision, M == 0 is not an error: every prediction
    gets −1 (background).
    """

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold: float, low_threshold: float, allow_low_quality_matches: bool = False) -> None:
        if low_threshold > high_threshold:
            raise ValueError("low_threshold should be <= high_threshold")
        self.high_threshold = float(high_threshold)
        self.low_threshold = float(low_threshold)
        self.allow_low_quality_matches = bool(allow_low_quality_matches)

    @tensor_io
    def __call__(self, match_quality_matrix: Array) -> Array:
        return self.match(match_quality_matrix)[0]

    @tensor_io
    def match(self, match_quality_matrix: Array) -> Tuple[Array, Array]:
        """``(matches (N,) int64, matched_vals (N,))`` on a dense (M, N) matrix."""
        return _match.matcher_dense(as_array(match_quality_matrix, "match_quality_matrix"), self.high_threshold,
                                    self.low_threshold, self.allow_low_quality_matches)

    @tensor_io
    def match_boxes(self, gt_boxes: Array, anchors: Array) -> Tuple[Array, Array]:
        """Fused: same as ``self.match(box_iou(gt_boxes, anchors))`` in O(N + M) memory.
        Returns ``(matches, max_iou)``. Zero-area pairs have IoU 0 (torchvision: NaN)."""
        return _match.match_boxes(as_array(gt_boxes, "gt_boxes"), as_array(anchors, "anchors"),
                                  self.high_threshold, self.low_threshold, self.allow_low_quality_matches)


class Detectron2Matcher:
    """detectron2 ``Matcher(thresholds, labels, allow_low_quality_matches)``.

    ``matcher(quality)`` on a dense (M, N) matrix or ``matcher.match_boxes(gt, anchors)`` (fused,
    no M×N matrix) return ``(matches, match_labels)``: the best gt per prediction (first on ties)
    and ``labels[i]`` for qualities in ``[t_{i-1}, t_i)`` (−inf/+inf appended). Low-quality
    matching sets label 1 on every prediction equal to some gt's best. No gt: matches 0, labels
    ``labels[0]``. Qualities must be finite (detectron2 asserts ≥ 0).
    """

    def __init__(self, thresholds: Sequence[float], labels: Sequence[int], allow_low_quality_matches: bool = False) -> None:
        thresholds = [float(t) for t in thresholds]
        if any(b < a for a, b in zip(thresholds, thresholds[1:])):
            raise ValueError("thresholds must be sorted ascending")
        if len(labels) != len(thresholds) + 1:
            raise ValueError("labels need one more entry than thresholds")
        self.thresholds = thresholds
        self.labels = [int(v) for v in labels]
        self.allow_low_quality_matches = bool(allow_low_quality_matches)

    @tensor_io
    def __call__(self, match_quality_matrix: Array) -> Tuple[Array, Array]:
        return _match.detectron2_match(as_array(match_quality_matrix, "match_quality_matrix"), None,
                                       self.thresholds, self.labels, self.allow_low_quality_matches)

    @tensor_io
    def match_boxes(self, gt_boxes: Array, anchors: Array) -> Tuple[Array, Array]:
        return _match.detectron2_match(as_array(gt_boxes, "gt_boxes"), as_array(anchors, "anchors"),
                                       self.thresholds, self.labels, self.allow_low_quality_matches)


class SSDMatcher(Matcher):
    """torchvision ``SSDMatcher(threshold)``: then each gt's best prediction is forced to it."""

    def __init__(self, threshold: float) -> None:
        super().__init__(threshold, threshold, allow_low_quality_matches=False)

    @tensor_io
    def __call__(self, match_quality_matrix: Array) -> Array:
        q = as_array(match_quality_matrix, "match_quality_matrix")
        matches = super().__call__(q)
        if q.shape[0] and q.shape[1]:
            best = np.argmax(q, axis=1)
            for g, p in enumerate(best):  # later gt wins, as torchvision's index_put
                matches[p] = g
        return matches

    @tensor_io
    def match_boxes(self, gt_boxes: Array, anchors: Array) -> Array:  # type: ignore[override]
        return _match.ssd_match_boxes(as_array(gt_boxes, "gt_boxes"), as_array(anchors, "anchors"),
                                      self.high_threshold)


class MaxIoUAssigner:
    """mmdet ``MaxIoUAssigner`` (fused, no M×N matrix). ``assign(bboxes, gt_bboxes)`` returns
    ``(assigned_gt_inds, max_overlaps)``: −1 ignore, 0 background, g+1 positive for gt g.
    ``neg_iou_thr`` is a float t (negatives in [0, t)) or a (low, high) pair. ``ignore_iof_thr``
    and ``gt_labels`` are not supported (see docs/anchors.md)."""

    def __init__(self, pos_iou_thr: float, neg_iou_thr: Union[float, Tuple[float, float]], min_pos_iou: float = 0.0,
                 gt_max_assign_all: bool = True, match_low_quality: bool = True) -> None:
        self.pos_iou_thr = float(pos_iou_thr)
        if np.isscalar(neg_iou_thr):
            self.neg_iou_thr = (0.0, float(cast(float, neg_iou_thr)))
        else:
            lo, hi = cast(Tuple[float, float], neg_iou_thr)
            self.neg_iou_thr = (float(lo), float(hi))
        self.min_pos_iou = float(min_pos_iou)
        self.gt_max_assign_all = bool(gt_max_assign_all)
        self.match_low_quality = bool(match_low_quality)

    @tensor_io
    def assign(self, bboxes: Array, gt_bboxes: Array) -> Tuple[Array, Array]:
        return _match.max_iou_assign(as_array(gt_bboxes, "gt_boxes"), as_array(bboxes, "bboxes"), self.pos_iou_thr,
                                     self.neg_iou_thr[0], self.neg_iou_thr[1], self.min_pos_iou,
                                     self.gt_max_assign_all, self.match_low_quality)


class ATSSAssigner:
    """mmdet ``ATSSAssigner(topk=9)``. ``assign(bboxes, num_level_bboxes, gt_bboxes)`` returns
    ``(assigned_gt_inds (0 background, g+1), max_overlaps (−inf for background))``."""

    def __init__(self, topk: int = 9, center_eps: float = 0.01) -> None:
        self.topk = integer(topk, "topk", minimum=1)
        self.center_eps = float(center_eps)

    @tensor_io
    def assign(self, bboxes: Array, num_level_bboxes: Sequence[int], gt_bboxes: Array) -> Tuple[Array, Array]:
        levels = [integer(v, f"num_level_bboxes[{i}]") for i, v in enumerate(num_level_bboxes)]
        if any(v < 0 for v in levels):
            raise ValueError("num_level_bboxes must be non-negative")
        return _match.atss_assign(as_array(bboxes, "anchors"), levels, as_array(gt_bboxes, "gt_boxes"), self.topk,
                                  self.center_eps)


@tensor_io
def linear_sum_assignment(cost_matrix: Array, maximize: bool = False) -> Tuple[Array, Array]:
    """Exact minimum-cost assignment, like ``scipy.optimize.linear_sum_assignment``.

    ``cost_matrix`` (R, C) float32/float64 (other real dtypes are converted to float64). Returns
    ``(row_ind, col_ind)`` int64 with row_ind ascending. The optimum equals scipy's; among equal-cost
    optima the assignment may differ. Raises ValueError on NaN / wrong-signed inf or an infeasible
    matrix.
    """
    c = as_array(cost_matrix, "cost_matrix")
    if c.dtype not in (np.float32, np.float64):
        if c.dtype.kind in "iub":
            c = c.astype(np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost_matrix: expected a 2-D array, got shape {c.shape}")
    return _match.linear_sum_assignment(np.ascontiguousarray(c), bool(maximize))


@tensor_io
def detr_cost_matrix(pred_probs: Array, pred_boxes: Array, gt_labels: Array, gt_boxes: Array, *, cost_class: float = 1.0,
                     cost_bbox: float = 1.0, cost_giou: float = 1.0, focal: bool = False,
                     focal_alpha: float = 0.25, focal_gamma: float = 2.0) -> Array:
    """DETR ``HungarianMatcher`` cost (N pred, M gt): ``cost_bbox·L1(cxcywh) − cost_class·p[label]
    − cost_giou·GIoU(xyxy)`` (``focal=True``: Deformable DETR's focal class cost on sigmoid probs).

    ``pred_probs`` (N, C) and ``pred_boxes`` (N, 4) cxcywh float32/float64, ``gt_labels`` (M,) any integer dtype, ``gt_boxes`` (M, 4); returns (N, M) in the predictions' dtype.
    """
    labels = as_ids(gt_labels, "gt_labels")
    return _match.detr_cost_matrix(as_array(pred_probs, "pred_probs"), as_array(pred_boxes, "pred_boxes"), labels,
                                   as_array(gt_boxes, "gt_boxes"), float(cost_class), float(cost_bbox),
                                   float(cost_giou), bool(focal), float(focal_alpha), float(focal_gamma))


class HungarianMatcher:
    """DETR ``HungarianMatcher`` for one image: ``__call__(pred_probs, pred_boxes, gt_labels, gt_boxes)``
    → ``(pred_indices, gt_indices)`` (int64, sorted by prediction)."""

    def __init__(self, cost_class: float = 1.0, cost_bbox: float = 1.0, cost_giou: float = 1.0,
                 focal: bool = False) -> None:
        if cost_class == 0 and cost_bbox == 0 and cost_giou == 0:
            raise ValueError("all costs can't be 0")
        self.cost_class, self.cost_bbox, self.cost_giou, self.focal = cost_class, cost_bbox, cost_giou, focal

    @tensor_io
    def __call__(self, pred_probs: Array, pred_boxes: Array, gt_labels: Array, gt_boxes: Array) -> Tuple[Array, Array]:
        c = detr_cost_matrix(pred_probs, pred_boxes, gt_labels, gt_boxes, cost_class=self.cost_class,
                             cost_bbox=self.cost_bbox, cost_giou=self.cost_giou, focal=self.focal)
        return linear_sum_assignment(c)
