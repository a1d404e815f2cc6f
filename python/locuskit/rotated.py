"""Rotated (oriented 2D) boxes: IoU/IoF, corners and polygons, mmrotate's box coder, rotated
anchors and DOTA task-1 evaluation.

A rotated box is a row ``(cx, cy, w, h, angle)``. ``convention`` says how the angle is read:

- ``"detectron2"``: degrees, a positive angle turns counter-clockwise on screen (image x right,
  y down), R(-a); detectron2's ``RotatedBoxes``.
- ``"mmrotate"``: radians, clockwise on screen, R(+a); the mmcv/mmrotate default and OpenPCDet's
  BEV heading; aliases ``"oc"``, ``"le90"``, ``"le135"``.
- ``"radians_ccw"``: radians, counter-clockwise, R(-a); mmcv with ``clockwise=False``.
- ``"opencv"``: degrees, clockwise, R(+a); OpenCV's ``RotatedRect``.

(The canonical names ``"degrees_ccw"``, ``"radians_cw"``, ``"radians_ccw"``, ``"degrees_cw"`` work
too.) mmrotate's ``oc``/``le90``/``le135`` only fix the angle *range*; overlaps do not depend on it.

Inputs are float32/float64 NumPy arrays or CPU torch tensors of any layout (C-contiguous ones are
used in place, others copied once); NumPy in, NumPy out; tensors in, tensors out. Non-finite
values raise ValueError naming the argument. Sizes enter overlaps by absolute value. See
docs/rotated.md.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from . import _core
from ._arrays import Array, as_array, tensor_io

_rot = _core.rotated

__all__ = [
    "box_iou_rotated",
    "box_iou_rotated_aligned",
    "box_iof_rotated",
    "rotated_boxes_to_polygons",
    "polygons_to_rotated_boxes",
    "polygon_iou",
    "norm_angle",
    "DeltaXYWHAOBBoxCoder",
    "DeltaXYWHAHBBoxCoder",
    "RotatedAnchorGenerator",
    "MMRotateAnchorGenerator",
    "DOTA_V1_CLASSES",
    "read_dota_labels",
    "read_dota_results",
    "dota_evaluate",
    "DotaResult",
]

_CONVENTIONS = {
    "detectron2": "degrees_ccw",
    "degrees_ccw": "degrees_ccw",
    "mmrotate": "radians_cw",
    "mmcv": "radians_cw",
    "oc": "radians_cw",
    "le90": "radians_cw",
    "le135": "radians_cw",
    "radians_cw": "radians_cw",
    "radians_ccw": "radians_ccw",
    "opencv": "degrees_cw",
    "degrees_cw": "degrees_cw",
}


def _convention(convention: str) -> str:
    try:
        return _CONVENTIONS[convention]
    except (KeyError, TypeError):
        raise ValueError(f"convention: expected one of {sorted(_CONVENTIONS)}, got {convention!r}") from None


@tensor_io
def box_iou_rotated(boxes1: Array, boxes2: Array, *, convention: str = "detectron2", mode: str = "iou",
                    aligned: bool = False, arithmetic: str = "exact", degenerate: str = "zero") -> Array:
    """IoU of every pair of rotated boxes: ``(N, M)`` (``(N,)`` with ``aligned=True``).

    ``boxes1`` (N, 5) and ``boxes2`` (M, 5), same float dtype. ``mode="iof"`` divides by the area
    of ``boxes1[i]`` (mmcv). ``arithmetic="exact"`` (default): float64 clipping, within 1e-12 of
    the exact IoU, never above 1; ``"detectron2"``: detectron2's ``pairwise_iou_rotated`` rounding,
    bit for bit in float32 (its convention only, IoU only) — including its known failures on tiny,
    thin and near-identical boxes. ``degenerate``: value of 0/0 (both areas 0): ``"zero"``,
    ``"nan"``, ``"one"``. Rows are split across ``set_num_threads`` threads."""
    a = as_array(boxes1, "boxes1")
    b = as_array(boxes2, "boxes2")
    return _rot.box_iou_rotated(a, b, _convention(convention), mode, arithmetic, degenerate, bool(aligned))


@tensor_io
def box_iou_rotated_aligned(boxes1: Array, boxes2: Array, *, convention: str = "detectron2", mode: str = "iou",
                            arithmetic: str = "exact", degenerate: str = "zero") -> Array:
    """IoU of ``boxes1[i]`` and ``boxes2[i]``: ``(N,)`` (mmcv's ``aligned=True``)."""
    return box_iou_rotated(boxes1, boxes2, convention=convention, mode=mode, aligned=True, arithmetic=arithmetic,
                           degenerate=degenerate)


@tensor_io
def box_iof_rotated(boxes1: Array, boxes2: Array, *, convention: str = "detectron2", aligned: bool = False,
                    degenerate: str = "zero") -> Array:
    """Intersection over the area of ``boxes1[i]`` (mmcv ``mode='iof'``): ``(N, M)`` or ``(N,)``."""
    return box_iou_rotated(boxes1, boxes2, convention=convention, mode="iof", aligned=aligned,
                           degenerate=degenerate)


@tensor_io
def rotated_boxes_to_polygons(boxes: Array, *, convention: str = "detectron2") -> Array:
    """``(N, 8)`` corners ``x0 y0 x1 y1 x2 y2 x3 y3`` of ``(N, 5)`` rotated boxes, for the local
    points (+w/2, +h/2), (+w/2, -h/2), (-w/2, -h/2), (-w/2, +h/2) (mmrotate's ``obb2poly`` order);
    computed in float64, rounded once."""
    return _rot.box_corners(as_array(boxes, "boxes"), _convention(convention))


@tensor_io
def polygons_to_rotated_boxes(polygons: Array, *, convention: str = "detectron2") -> Array:
    """``(N, 5)`` minimum-area rotated rectangles enclosing ``(N, 8)`` quadrilaterals (as
    ``cv2.minAreaRect``, which DOTA tools and mmrotate's ``poly2obb_np`` use): one side lies on
    an edge of the points' convex hull, so all 6 point-pair directions are tried and the smallest
    area wins (first on ties). ``w`` is the extent along the chosen side; the angle is brought into
    [-90, 90) degrees (``"detectron2"``, ``"opencv"``) or [-pi/2, pi/2) radians (mmrotate's
    ``le90`` range) — a rectangle has no heading. Float64 inside, the input's float dtype out. A
    rectangle's own corners give back the rectangle (up to rounding)."""
    conv = _convention(convention)
    p = as_array(polygons, "polygons")
    if p.ndim != 2 or p.shape[1] != 8:
        raise ValueError(f"polygons: expected shape (N, 8), got {p.shape}")
    if p.dtype not in (np.float32, np.float64):
        raise TypeError(f"polygons: expected float32 or float64, got {p.dtype}")
    if not np.isfinite(p).all():
        raise ValueError("polygons: values must be finite")
    pts = p.astype(np.float64).reshape(-1, 4, 2)
    pairs = np.array([(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (1, 3)])
    d = pts[:, pairs[:, 1]] - pts[:, pairs[:, 0]]  # (N, 6, 2)
    length = np.hypot(d[..., 0], d[..., 1])
    safe = np.where(length > 0, length, 1.0)
    u = d / safe[..., None]
    u[length == 0] = (1.0, 0.0)
    v = np.stack([-u[..., 1], u[..., 0]], axis=-1)
    pu = np.einsum("nkc,njc->nkj", u, pts)  # (N, 6, 4) projections
    pv = np.einsum("nkc,njc->nkj", v, pts)
    wu = pu.max(-1) - pu.min(-1)
    wv = pv.max(-1) - pv.min(-1)
    best = np.argmin(wu * wv, axis=1)
    n = np.arange(len(pts))
    ub, vb = u[n, best], v[n, best]
    cu = 0.5 * (pu.max(-1) + pu.min(-1))[n, best]
    cv = 0.5 * (pv.max(-1) + pv.min(-1))[n, best]
    cx = cu * ub[:, 0] + cv * vb[:, 0]
    cy = cu * ub[:, 1] + cv * vb[:, 1]
    w, h = wu[n, best], wv[n, best]
    theta = np.arctan2(ub[:, 1], ub[:, 0])  # direction of w on the image (x right, y down)
    if conv in ("degrees_ccw", "radians_ccw"):  # R(-a): w points along (cos a, -sin a)
        theta = -theta
    if conv in ("degrees_ccw", "degrees_cw"):
        a = np.rad2deg(theta)
        a = (a + 90.0) % 180.0 - 90.0
    else:
        a = (theta + np.pi / 2) % np.pi - np.pi / 2
    return np.stack([cx, cy, w, h, a], axis=1).astype(p.dtype)


@tensor_io
def polygon_iou(polygons1: Array, polygons2: Array) -> Array:
    """``(N, M)`` IoU of quadrilaterals ``(N, 8)`` / ``(M, 8)`` (``x1 y1 .. x4 y4``, either
    orientation), float64, as DOTA_devkit's ``polyiou.iou_poly``; 0 where both areas are 0 (polyiou:
    NaN). Exact clipping for convex quadrilaterals (see docs/rotated.md for non-convex ones)."""
    p = np.ascontiguousarray(as_array(polygons1, "polygons1"), dtype=np.float64)
    q = np.ascontiguousarray(as_array(polygons2, "polygons2"), dtype=np.float64)
    return _rot.polygon_iou(p, q)


# --- mmrotate's rotated-box coder ------------------------------------------------------------------


@tensor_io
def norm_angle(angle: Array, angle_range: str) -> Array:
    """mmrotate's ``norm_angle``: ``oc`` unchanged, ``le90`` into [-pi/2, pi/2), ``le135`` into
    [-pi/4, 3pi/4), with torch's float remainder (so ``norm_angle(float32(pi), "le90")`` is
    -1.19e-7, as mmrotate)."""
    a = as_array(angle, "angle")
    shape = a.shape
    flat = np.ascontiguousarray(a.reshape(-1))
    if flat.dtype not in (np.float32, np.float64):
        raise TypeError(f"angle: expected float32 or float64, got {flat.dtype}")
    boxes = np.zeros((flat.size, 5), flat.dtype)
    boxes[:, 2:4] = 1
    zero = np.zeros_like(boxes)
    zero[:, 4] = flat
    # decode of zero deltas on rois with angle a returns norm_angle(a + 0)
    out = _rot.delta_xywha_decode(zero, boxes * 0, angle_range, 0.0, False, False, [0.0] * 5, [1.0] * 5, None,
                                  16 / 1000, False, 32.0)
    return out[:, 4].reshape(shape)


class DeltaXYWHAOBBoxCoder:
    """mmrotate 0.3.4's ``DeltaXYWHAOBBoxCoder`` (same constructor arguments and defaults): encodes
    rotated ground truth against rotated proposals as ``(dx, dy, dw, dh, da)`` and decodes back.
    Boxes ``(cx, cy, w, h, a)`` in mmrotate's convention (radians, clockwise on screen). Works in the
    input's dtype (mmrotate casts to float32); float32 results agree with mmrotate to a few ulps
    (the C library's cos/sin/exp/log vs torch's)."""

    def __init__(self, angle_range: str = "oc", norm_factor=None, edge_swap: bool = False, proj_xy: bool = False,
                 target_means=(0.0, 0.0, 0.0, 0.0, 0.0), target_stds=(1.0, 1.0, 1.0, 1.0, 1.0),
                 add_ctr_clamp: bool = False, ctr_clamp: int = 32):
        if angle_range not in ("oc", "le90", "le135"):
            raise ValueError(f"angle_range: expected 'oc', 'le90' or 'le135', got {angle_range!r}")
        self.angle_range = angle_range
        self.norm_factor = norm_factor
        self.edge_swap = bool(edge_swap)
        self.proj_xy = bool(proj_xy)
        self.means = [float(v) for v in target_means]
        self.stds = [float(v) for v in target_stds]
        self.add_ctr_clamp = bool(add_ctr_clamp)
        self.ctr_clamp = float(ctr_clamp)

    def _nf(self) -> float:
        return float(self.norm_factor) if self.norm_factor else 0.0

    @tensor_io
    def encode(self, bboxes: Array, gt_bboxes: Array) -> Array:
        """(N, 5) deltas of ``gt_bboxes`` with respect to ``bboxes``."""
        return _rot.delta_xywha_encode(as_array(bboxes, "bboxes"), as_array(gt_bboxes, "gt_bboxes"), self.angle_range,
                                       self._nf(), self.edge_swap, self.proj_xy, self.means, self.stds)

    @tensor_io
    def decode(self, bboxes: Array, pred_bboxes: Array, max_shape=None, wh_ratio_clip: float = 16 / 1000) -> Array:
        """(N, 5) boxes from ``pred_bboxes`` deltas applied to ``bboxes``; ``max_shape`` (H, W[, C])
        clamps the centres to the image; ``dw``/``dh`` are clamped at ``|log(wh_ratio_clip)|``."""
        shape = None if max_shape is None else [float(v) for v in list(max_shape)[:2]]
        return _rot.delta_xywha_decode(as_array(bboxes, "bboxes"), as_array(pred_bboxes, "pred_bboxes"),
                                       self.angle_range, self._nf(), self.edge_swap, self.proj_xy, self.means,
                                       self.stds, shape, float(wh_ratio_clip), self.add_ctr_clamp, self.ctr_clamp)


class DeltaXYWHAHBBoxCoder:
    """mmrotate 0.3.4's ``DeltaXYWHAHBBoxCoder``: horizontal ``(x1, y1, x2, y2)`` rois, rotated
    targets. Its arithmetic is the oriented coder's with the roi as ``((x1 + x2)·0.5,
    (y1 + y2)·0.5, x2 - x1, y2 - y1, 0)`` and no projection (``0 + a`` is ``a``), so it runs on the
    same kernel: same constructor arguments (``clip_border`` is accepted and, as in mmrotate's
    ``delta2bbox``, unused)."""

    def __init__(self, target_means=(0.0, 0.0, 0.0, 0.0, 0.0), target_stds=(1.0, 1.0, 1.0, 1.0, 1.0),
                 angle_range: str = "oc", norm_factor=None, edge_swap: bool = False, clip_border: bool = True,
                 add_ctr_clamp: bool = False, ctr_clamp: int = 32):
        self._obb = DeltaXYWHAOBBoxCoder(angle_range=angle_range, norm_factor=norm_factor, edge_swap=edge_swap,
                                         proj_xy=False, target_means=target_means, target_stds=target_stds,
                                         add_ctr_clamp=add_ctr_clamp, ctr_clamp=ctr_clamp)
        self.clip_border = bool(clip_border)

    @staticmethod
    def _as_rotated(rois, name):
        r = as_array(rois, name)
        if r.ndim != 2 or r.shape[1] != 4:
            raise ValueError(f"{name}: expected shape (N, 4) xyxy, got {r.shape}")
        if r.dtype not in (np.float32, np.float64):
            raise TypeError(f"{name}: expected float32 or float64, got {r.dtype}")
        half = r.dtype.type(0.5)
        out = np.zeros((len(r), 5), r.dtype)
        out[:, 0] = (r[:, 0] + r[:, 2]) * half
        out[:, 1] = (r[:, 1] + r[:, 3]) * half
        out[:, 2] = r[:, 2] - r[:, 0]
        out[:, 3] = r[:, 3] - r[:, 1]
        return out

    @tensor_io
    def encode(self, bboxes: Array, gt_bboxes: Array) -> Array:
        """(N, 5) deltas of rotated ``gt_bboxes`` with respect to (N, 4) xyxy ``bboxes``."""
        return self._obb.encode(self._as_rotated(bboxes, "bboxes"), as_array(gt_bboxes, "gt_bboxes"))

    @tensor_io
    def decode(self, bboxes: Array, pred_bboxes: Array, max_shape=None, wh_ratio_clip: float = 16 / 1000) -> Array:
        """(N, 5) rotated boxes from deltas applied to (N, 4) xyxy ``bboxes`` (``max_shape`` is
        ignored, as mmrotate's hbb ``delta2bbox`` does)."""
        return self._obb.decode(self._as_rotated(bboxes, "bboxes"), as_array(pred_bboxes, "pred_bboxes"),
                                wh_ratio_clip=wh_ratio_clip)


# --- rotated anchors for oriented RPNs ------------------------------------------------------------


class RotatedAnchorGenerator:
    """detectron2 ``RotatedAnchorGenerator(sizes, aspect_ratios, angles, strides, offset)``: per
    level, at every location (row-major, column ``x`` centred at ``offset·stride + x·stride``) the
    cell anchors ``(0, 0, w, h, angle)`` size-major, then ratio, then angle, with
    ``w = sqrt(size²/ratio)``, ``h = ratio·w`` (degrees, detectron2's convention). Flat lists are
    used for every level, one-element lists of lists repeated (detectron2's broadcasting)."""

    def __init__(self, sizes, aspect_ratios, angles, strides, offset: float = 0.5):
        def broadcast(params, name):
            params = list(params)
            if len(params) == 0:
                raise ValueError(f"{name} has to have at least one element")
            if not isinstance(params[0], (list, tuple)):
                return [tuple(float(v) for v in params)] * len(strides)
            if len(params) == 1:
                return [tuple(float(v) for v in params[0])] * len(strides)
            return [tuple(float(v) for v in p) for p in params]

        self.strides = [float(s) for s in strides]
        self.sizes = broadcast(sizes, "sizes")
        self.aspect_ratios = broadcast(aspect_ratios, "aspect_ratios")
        self.angles = broadcast(angles, "angles")
        if not (len(self.sizes) == len(self.aspect_ratios) == len(self.angles) == len(self.strides)):
            raise ValueError("sizes, aspect_ratios, angles and strides must have one entry per level")
        if not (0.0 <= offset < 1.0):
            raise ValueError(f"offset must be in [0, 1), got {offset}")
        self.offset = float(offset)

    @property
    def num_anchors(self):
        return [len(s) * len(r) * len(a) for s, r, a in zip(self.sizes, self.aspect_ratios, self.angles)]

    def cell_anchors(self, dtype=np.float32):
        out = []
        for sizes, ratios, angles in zip(self.sizes, self.aspect_ratios, self.angles):
            rows = []
            for size in sizes:
                area = size ** 2.0
                for ratio in ratios:
                    w = math.sqrt(area / ratio)
                    rows.extend([0.0, 0.0, w, ratio * w, a] for a in angles)
            out.append(np.asarray(rows, np.float64).reshape(-1, 5).astype(dtype))
        return out

    def __call__(self, feature_shapes, dtype=np.float32):
        """Per-level anchors: a list of ``(H·W·A, 5)`` arrays."""
        shapes = [tuple(int(v) for v in s) for s in feature_shapes]
        if len(shapes) != len(self.strides):
            raise ValueError(f"feature_shapes: expected {len(self.strides)} levels, got {len(shapes)}")
        out = []
        for (gh, gw), cell, stride in zip(shapes, self.cell_anchors(dtype), self.strides):
            if gh < 0 or gw < 0:
                raise ValueError(f"feature_shapes: negative size {(gh, gw)}")
            # torch.arange(offset·stride, size·stride, stride) in float32: start + i·step, rounded once
            xs = (self.offset * stride + np.arange(gw, dtype=np.float64) * stride).astype(dtype)
            ys = (self.offset * stride + np.arange(gh, dtype=np.float64) * stride).astype(dtype)
            sy, sx = np.meshgrid(ys, xs, indexing="ij")
            shifts = np.zeros((gh * gw, 5), dtype)
            shifts[:, 0], shifts[:, 1] = sx.reshape(-1), sy.reshape(-1)
            out.append((shifts[:, None, :] + cell[None, :, :]).reshape(-1, 5))
        return out


class MMRotateAnchorGenerator:
    """mmrotate 0.x ``RotatedAnchorGenerator``: mmdet's horizontal anchors
    (:class:`locuskit.anchors.MMDetAnchorGenerator`, same arguments) as ``(cx, cy, w, h, 0)`` with
    mmrotate's arithmetic (``(x1y1 + x2y2) / 2``, ``x2y2 - x1y1`` in the anchors' dtype)."""

    def __init__(self, *args, **kwargs):
        from .anchors import MMDetAnchorGenerator

        self.horizontal = MMDetAnchorGenerator(*args, **kwargs)

    @property
    def num_base_priors(self):
        return self.horizontal.num_base_priors

    def grid_priors(self, featmap_sizes, dtype=np.float32):
        """Per-level anchors: a list of ``(H·W·A, 5)`` arrays."""
        out = []
        for xyxy in self.horizontal.grid_priors(featmap_sizes, dtype=dtype):
            xyxy = np.asarray(xyxy)
            xy = (xyxy[:, 2:] + xyxy[:, :2]) / xyxy.dtype.type(2)
            wh = xyxy[:, 2:] - xyxy[:, :2]
            out.append(np.concatenate([xy, wh, np.zeros((len(xyxy), 1), xyxy.dtype)], axis=1))
        return out


# --- DOTA task-1 evaluation -------------------------------------------------------------------------

#: The 15 DOTA v1.0 classes, in DOTA_devkit's order (the mAP is their mean).
DOTA_V1_CLASSES = (
    "plane", "baseball-diamond", "bridge", "ground-track-field", "small-vehicle", "large-vehicle", "ship",
    "tennis-court", "basketball-court", "storage-tank", "soccer-ball-field", "roundabout", "harbor",
    "swimming-pool", "helicopter",
)


def _float(token: str, path, line_no: int, what: str) -> float:
    try:
        v = float(token)
    except ValueError:
        raise ValueError(f"{path}:{line_no}: {what} {token!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{path}:{line_no}: {what} {token!r} is not finite")
    return v


def read_dota_labels(path) -> dict:
    """One DOTA ``labelTxt`` file: ``{"polygons": (G, 8) float64, "classes": [str] * G,
    "difficult": (G,) bool}``. As DOTA_devkit's ``parse_gt``: lines with fewer than 9 tokens (the
    ``imagesource:``/``gsd:`` headers, blank lines) are skipped; ``x1 y1 .. x4 y4 class`` is
    difficult 0; a 10th token is the difficult flag (an integer, nonzero = difficult). Tokens are
    split on any whitespace (the devkit splits on single spaces and fails on double ones). A
    malformed line raises ValueError naming the file and line."""
    polys: List[List[float]] = []
    classes: List[str] = []
    difficult: List[bool] = []
    with open(path, "r", encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            tok = line.split()
            if len(tok) < 9:
                continue
            polys.append([_float(t, path, line_no, "coordinate") for t in tok[:8]])
            classes.append(tok[8])
            if len(tok) >= 10:
                try:
                    difficult.append(int(tok[9]) != 0)
                except ValueError:
                    raise ValueError(f"{path}:{line_no}: difficult flag {tok[9]!r} is not an integer") from None
            else:
                difficult.append(False)
    return {"polygons": np.asarray(polys, np.float64).reshape(-1, 8), "classes": classes,
            "difficult": np.asarray(difficult, bool)}


def read_dota_results(path) -> dict:
    """One ``Task1_<class>.txt`` result file, lines ``image score x1 y1 .. x4 y4``:
    ``{"images": [str] * N, "scores": (N,) float64, "polygons": (N, 8) float64}``. Blank lines are
    skipped; any other line without exactly 10 tokens raises ValueError naming file and line."""
    images: List[str] = []
    scores: List[float] = []
    polys: List[List[float]] = []
    with open(path, "r", encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            tok = line.split()
            if not tok:
                continue
            if len(tok) != 10:
                raise ValueError(f"{path}:{line_no}: expected 'image score x1 y1 x2 y2 x3 y3 x4 y4', "
                                 f"got {len(tok)} tokens")
            images.append(tok[0])
            scores.append(_float(tok[1], path, line_no, "score"))
            polys.append([_float(t, path, line_no, "coordinate") for t in tok[2:]])
    return {"images": images, "scores": np.asarray(scores, np.float64),
            "polygons": np.asarray(polys, np.float64).reshape(-1, 8)}


@dataclass
class DotaResult:
    """DOTA task-1 evaluation. ``ap`` (VOC07 11-point, the official number) and ``ap_all_point``
    per class, in [0, 1] (NaN all-point AP for a class without GT, as the devkit); ``mAP`` /
    ``mAP_all_point`` their means over ``classes``; ``per_class[c]``: ``npos``, ``recall``,
    ``precision``, ``tp``, ``fp`` per detection in score order (as the devkit's ``voc_eval``)."""

    classes: List[str]
    ap: Dict[str, float]
    ap_all_point: Dict[str, float]
    mAP: float
    mAP_all_point: float
    per_class: Dict[str, dict] = field(repr=False, default_factory=dict)

    def summary(self) -> str:
        """The per-class table (AP in %) and the mAPs."""
        w = max([len(c) for c in self.classes] + [5])
        lines = [f"{'class':<{w}}  AP(VOC07)  AP(all-point)"]
        for c in self.classes:
            lines.append(f"{c:<{w}}  {100 * self.ap[c]:9.2f}  {100 * self.ap_all_point[c]:13.2f}")
        lines.append(f"{'mAP':<{w}}  {100 * self.mAP:9.2f}  {100 * self.mAP_all_point:13.2f}")
        return "\n".join(lines)


def dota_evaluate(label_dir, det_path, imageset=None, classes: Optional[Sequence[str]] = None,
                  iou_threshold: float = 0.5) -> DotaResult:
    """DOTA task-1 evaluation as DOTA_devkit's ``dota_evaluation_task1.py`` (commit 9938855).

    ``label_dir``: the ``labelTxt`` folder (``<image>.txt`` per image). ``det_path``: the folder
    holding ``Task1_<class>.txt`` or a pattern with ``{}`` / ``{:s}`` for the class name (the
    devkit's ``detpath``). ``imageset``: a file with one image name a line, or a list of names
    (default: every ``*.txt`` in ``label_dir``, sorted). ``classes``: default the 15 DOTA v1.0
    classes. Matches need polygon IoU > ``iou_threshold`` (strict, 0.5).

    Differences from the devkit (which crashes there): an empty result file is a class with no
    detections (AP 0) instead of IndexError; a detection on an image outside the image set raises
    ValueError naming file and line instead of KeyError; equal scores keep file order (stable sort;
    the devkit's ``np.argsort`` does so only up to 16 detections)."""
    classes = list(DOTA_V1_CLASSES if classes is None else classes)
    if imageset is None:
        names = sorted(f[:-4] for f in os.listdir(label_dir) if f.endswith(".txt"))
    elif isinstance(imageset, (str, os.PathLike)):
        with open(imageset, "r", encoding="utf-8") as f:
            names = [x.strip() for x in f if x.strip()]
    else:
        names = [str(x) for x in imageset]
    index = {n: i for i, n in enumerate(names)}
    labels = [read_dota_labels(os.path.join(label_dir, n + ".txt")) for n in names]
    det_pattern = str(det_path)
    if "{" not in det_pattern:
        det_pattern = os.path.join(det_pattern, "Task1_{}.txt")
    ap, ap_all, per_class = {}, {}, {}
    for c in classes:
        gt_img, gt_poly, gt_diff = [], [], []
        for i, lab in enumerate(labels):
            for k, name in enumerate(lab["classes"]):
                if name == c:
                    gt_img.append(i)
                    gt_poly.append(lab["polygons"][k])
                    gt_diff.append(lab["difficult"][k])
        det_file = det_pattern.format(c)
        dets = read_dota_results(det_file)
        det_img = np.empty(len(dets["images"]), np.int64)
        for k, name in enumerate(dets["images"]):
            if name not in index:
                raise ValueError(f"{det_file}: detection {k + 1} is on image {name!r}, which is not in the image set")
            det_img[k] = index[name]
        r = _rot.dota_evaluate_class(det_img, dets["scores"], dets["polygons"], np.asarray(gt_img, np.int64),
                                     np.asarray(gt_poly, np.float64).reshape(-1, 8),
                                     np.asarray(gt_diff, np.uint8), float(iou_threshold))
        ap[c] = r["ap_voc07"]
        ap_all[c] = r["ap_all_point"]
        per_class[c] = r
    n = len(classes)
    return DotaResult(classes=classes, ap=ap, ap_all_point=ap_all,
                      mAP=sum(ap.values()) / n if n else float("nan"),
                      mAP_all_point=sum(ap_all.values()) / n if n else float("nan"), per_class=per_class)
