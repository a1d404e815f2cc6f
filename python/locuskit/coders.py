"""Box coders: encode boxes against anchors/points and decode network outputs back to boxes.

* :class:`BoxCoder` — torchvision ``BoxCoder`` ≡ detectron2 ``Box2BoxTransform`` (weights,
  ``bbox_xform_clip`` = ``scale_clamp`` on the upper side only). :func:`ssd_box_coder` gives SSD
  variances.
* :class:`DeltaXYWHBBoxCoder` — mmdet (means/stds, symmetric clamp, optional ``max_shape`` clip).
* :class:`DistancePointBBoxCoder` (mmdet, FCOS points) and :class:`BoxLinearCoder` (torchvision FCOS).
* :func:`yolo_decode` (v3 / v5), :func:`yolov8_decode` (DFL), :func:`centernet_decode`.

Arrays are (N, 4) xyxy float32 or float64 (kept), C-contiguous.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ._core import coder as _coder
from ._arrays import Array, as_array, tensor_io
from ._args import integer

__all__ = [
    "Box2BoxTransform",
    "BoxCoder",
    "BoxLinearCoder",
    "DeltaXYWHBBoxCoder",
    "DistancePointBBoxCoder",
    "centernet_decode",
    "centernet_peaks",
    "ssd_box_coder",
    "yolo_decode",
    "yolov8_decode",
]

DEFAULT_SCALE_CLAMP = math.log(1000.0 / 16)


class BoxCoder:
    """torchvision ``BoxCoder(weights, bbox_xform_clip)`` on NumPy arrays.

    ``encode(gt_boxes, anchors)`` → (N, 4) deltas (torchvision ``encode_single(reference_boxes,
    proposals)`` argument order); ``decode(deltas, anchors)`` → (N, 4k) boxes for (N, 4k) deltas.
    """

    def __init__(self, weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
                 bbox_xform_clip: float = DEFAULT_SCALE_CLAMP) -> None:
        if len(weights) != 4:
            raise ValueError(f"weights: expected 4 values, got {len(weights)}")
        self.weights = tuple(float(w) for w in weights)
        self.bbox_xform_clip = float(bbox_xform_clip)

    @tensor_io
    def encode(self, gt_boxes: Array, anchors: Array) -> Array:
        """(N, 4) deltas of (N, 4) xyxy ``gt_boxes`` against (N, 4) xyxy ``anchors`` (float32/float64, the
        inputs' dtype; torchvision ``BoxCoder.encode_single``, bitwise)."""
        return _coder.box_coder_encode(as_array(anchors, "anchors"), as_array(gt_boxes, "gt_boxes"), list(self.weights))

    encode_single = encode

    @tensor_io
    def decode(self, deltas: Array, anchors: Array) -> Array:
        """(N, 4k) xyxy boxes of (N, 4k) ``deltas`` on (N, 4) ``anchors`` (float32/float64; torchvision
        ``BoxCoder.decode_single``, bitwise)."""
        return _coder.box_coder_decode(as_array(deltas, "deltas"), as_array(anchors, "anchors"), list(self.weights),
                                       self.bbox_xform_clip)

    decode_single = decode


class Box2BoxTransform(BoxCoder):
    """detectron2 ``Box2BoxTransform(weights, scale_clamp)``: ``get_deltas(src_boxes, target_boxes)``
    and ``apply_deltas(deltas, boxes)`` (same arithmetic as torchvision's BoxCoder)."""

    def __init__(self, weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0), scale_clamp: float = DEFAULT_SCALE_CLAMP) -> None:
        super().__init__(weights, scale_clamp)

    @tensor_io
    def get_deltas(self, src_boxes: Array, target_boxes: Array) -> Array:
        return self.encode(target_boxes, src_boxes)

    @tensor_io
    def apply_deltas(self, deltas: Array, boxes: Array) -> Array:
        return self.decode(deltas, boxes)


def ssd_box_coder(center_variance: float = 0.1, size_variance: float = 0.2) -> BoxCoder:
    """SSD coder: variances (0.1, 0.2) are weights (10, 10, 5, 5), as torchvision's SSD."""
    if not (center_variance > 0 and size_variance > 0):
        raise ValueError("variances must be positive")
    return BoxCoder((1.0 / center_variance, 1.0 / center_variance, 1.0 / size_variance, 1.0 / size_variance))


class DeltaXYWHBBoxCoder:
    """mmdet ``DeltaXYWHBBoxCoder(target_means, target_stds, clip_border, add_ctr_clamp, ctr_clamp)``.

    ``encode(bboxes=anchors, gt_bboxes)``; ``decode(bboxes=anchors, pred_bboxes=deltas, max_shape=None,
    wh_ratio_clip=16/1000)``; ``max_shape`` = (h, w) clips when ``clip_border``.
    """

    def __init__(self, target_means: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
                 target_stds: Sequence[float] = (1.0, 1.0, 1.0, 1.0), clip_border: bool = True,
                 add_ctr_clamp: bool = False, ctr_clamp: float = 32) -> None:
        self.means = [float(v) for v in target_means]
        self.stds = [float(v) for v in target_stds]
        if len(self.means) != 4 or len(self.stds) != 4:
            raise ValueError("target_means and target_stds need 4 values each")
        self.clip_border = bool(clip_border)
        self.add_ctr_clamp = bool(add_ctr_clamp)
        self.ctr_clamp = float(ctr_clamp)

    @tensor_io
    def encode(self, bboxes: Array, gt_bboxes: Array) -> Array:
        return _coder.delta_xywh_encode(as_array(bboxes, "anchors"), as_array(gt_bboxes, "gt_boxes"),
                                        self.means, self.stds)

    @tensor_io
    def decode(self, bboxes: Array, pred_bboxes: Array, max_shape: Optional[Sequence[float]] = None,
               wh_ratio_clip: float = 16 / 1000) -> Array:
        shape = None
        if max_shape is not None and self.clip_border:
            shape = (float(max_shape[0]), float(max_shape[1]))
        return _coder.delta_xywh_decode(as_array(pred_bboxes, "deltas"), as_array(bboxes, "anchors"), self.means,
                                        self.stds, float(wh_ratio_clip), self.add_ctr_clamp, self.ctr_clamp, shape)


class DistancePointBBoxCoder:
    """mmdet ``DistancePointBBoxCoder``: (left, top, right, bottom) distances from points."""

    def __init__(self, clip_border: bool = True) -> None:
        self.clip_border = bool(clip_border)

    @tensor_io
    def encode(self, points: Array, gt_bboxes: Array, max_dis: Optional[float] = None, eps: float = 0.1) -> Array:
        return _coder.distance_encode(as_array(points, "points"), as_array(gt_bboxes, "gt_boxes"),
                                      None if max_dis is None else float(max_dis), float(eps))

    @tensor_io
    def decode(self, points: Array, pred_bboxes: Array, max_shape: Optional[Sequence[float]] = None) -> Array:
        shape = None
        if max_shape is not None and self.clip_border:
            shape = (float(max_shape[0]), float(max_shape[1]))
        return _coder.distance_decode(as_array(points, "points"), as_array(pred_bboxes, "distances"), shape)


class BoxLinearCoder:
    """torchvision ``BoxLinearCoder(normalize_by_size)`` (FCOS): ltrb from the anchor centre."""

    def __init__(self, normalize_by_size: bool = True) -> None:
        self.normalize_by_size = bool(normalize_by_size)

    @tensor_io
    def encode(self, reference_boxes: Array, proposals: Array) -> Array:
        """``reference_boxes`` are the anchors, ``proposals`` the gt boxes (torchvision's names)."""
        return _coder.linear_coder(as_array(proposals, "gt_boxes"), as_array(reference_boxes, "anchors"),
                                   self.normalize_by_size, True)

    @tensor_io
    def decode(self, rel_codes: Array, boxes: Array) -> Array:
        return _coder.linear_coder(as_array(rel_codes, "rel_codes"), as_array(boxes, "anchors"),
                                   self.normalize_by_size, False)


@tensor_io
def yolo_decode(raw: Array, anchors: Union[Array, Sequence[Sequence[float]]], stride: float,
                version: int = 5) -> Tuple[Array, Array, Array]:
    """Decodes one YOLO v3/v5 level. ``raw`` (B, A·(5+C), H, W) raw conv output; ``anchors`` (A, 2)
    pixel (w, h). Returns ``(boxes (B, A·H·W, 4) xyxy, scores (B, A·H·W, C) = σ(obj)·σ(cls),
    objectness (B, A·H·W))``, anchor-major rows. v3: ``(σ(t)+cell)·stride``, ``anchor·e^t``;
    v5: ``(2σ(t) + cell − 0.5)·stride``, ``(2σ(t))²·anchor``.

    float32/float64, ``raw``'s dtype.
    """
    return _coder.yolo_decode(as_array(raw, "raw"), np.asarray(anchors, dtype=np.float64), float(stride),
                              integer(version, "version", minimum=3, maximum=5))


@tensor_io
def yolov8_decode(raw: Array, stride: float, reg_max: int = 16) -> Tuple[Array, Array]:
    """Decodes one YOLOv8 level: ``raw`` (B, 4·reg_max + C, H, W). Distances are DFL expectations
    (softmax over reg_max bins), boxes ``(point ∓ ltrb)·stride`` with points at cell centres.
    Returns ``(boxes (B, H·W, 4) xyxy, scores (B, H·W, C) = σ(cls))``.

    ``raw`` (B, 4*reg_max + C, H, W) float32/float64; outputs in its dtype.
    """
    return _coder.yolov8_decode(as_array(raw, "raw"), integer(reg_max, "reg_max", minimum=1, maximum=4096), float(stride))


@tensor_io
def centernet_peaks(heat: Array) -> Array:
    """CenterNet ``_nms``: ``heat · (maxpool3×3(heat) == heat)`` on (B, C, H, W). float32/float64, the input's dtype."""
    return _coder.centernet_peaks(as_array(heat, "heat"))


@tensor_io
def centernet_decode(heat: Array, wh: Array, offset: Optional[Array] = None, k: int = 100,
                     down_ratio: float = 4.0) -> Tuple[Array, Array, Array]:
    """CenterNet ``ctdet_decode``: (B, C, H, W) heatmap scores (after sigmoid), (B, 2, H, W) sizes and
    offsets. Returns ``(boxes (B, K, 4) xyxy in input pixels (× down_ratio), scores (B, K), classes
    (B, K) int64)``, K = min(k, C·H·W), score descending (ties: flat index ascending)."""
    if k < 0:
        raise ValueError(f"k must be non-negative, got {k}")
    return _coder.centernet_decode(as_array(heat, "heat"), as_array(wh, "wh"),
                                   None if offset is None else as_array(offset, "offset"), integer(k, "k"),
                                   float(down_ratio))
