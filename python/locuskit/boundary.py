"""Boundary IoU for instance masks (Cheng et al. 2021), equal to the boundary-iou-api
(bowenc0221/boundary-iou-api @37d2558, ``boundary_iou/utils/boundary_utils.py``).

A mask's boundary is the mask minus its erosion by a 3x3 square applied
``d = max(1, round(dilation_ratio * image diagonal))`` times (Python's round-half-even), with the
image border counting as background (the API pads one zero pixel before ``cv2.erode``), so objects
thinner than 2d are all boundary. Boundary IoU is pycocotools' mask IoU of the two boundaries.
The erosion is done here as one separable (2d+1) x (2d+1) square erosion with running sums, which
is the same set as d successive 3x3 erosions.
"""
from __future__ import annotations

import math

import numpy as np

from . import mask as _mask_api

__all__ = ["boundary_iou", "dilation_pixels", "mask_to_boundary"]


def dilation_pixels(height: int, width: int, dilation_ratio: float = 0.02) -> int:
    """The erosion depth in pixels the API uses for an image of this size."""
    return max(1, int(round(dilation_ratio * math.sqrt(height ** 2 + width ** 2))))


def _erode_axis(keep: np.ndarray, d: int, axis: int) -> np.ndarray:
    # A pixel survives when no zero lies within d along `axis`; outside the image counts as zero.
    zeros = (~keep).astype(np.int32)
    pad = [(0, 0), (0, 0)]
    pad[axis] = (d + 1, d)
    cs = np.cumsum(np.pad(zeros, pad, constant_values=1), axis=axis, dtype=np.int64)
    n = keep.shape[axis]
    hi = np.take(cs, np.arange(2 * d + 1, 2 * d + 1 + n), axis=axis)
    lo = np.take(cs, np.arange(0, n), axis=axis)
    return (hi - lo) == 0


def mask_to_boundary(mask, dilation_ratio: float = 0.02) -> np.ndarray:
    """(h, w) uint8 boundary of a binary mask (boundary-iou-api ``mask_to_boundary``)."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask: expected an (h, w) array, got shape {m.shape}")
    if m.dtype != np.bool_:
        if m.size and not np.isin(m, (0, 1)).all():
            raise ValueError("mask: not binary; pass 0/1 or bool")
        m = m.astype(bool)
    h, w = m.shape
    d = dilation_pixels(h, w, dilation_ratio)
    eroded = _erode_axis(_erode_axis(m, d, 1), d, 0)
    return (m & ~eroded).astype(np.uint8)


def boundary_iou(gt, dt, dilation_ratio: float = 0.02) -> float:
    """Boundary IoU of two (h, w) binary masks (argument order of the API: ground truth first)."""
    g, p = np.asarray(gt), np.asarray(dt)
    if g.shape != p.shape:
        raise ValueError(f"gt and dt have different shapes: {g.shape} vs {p.shape}")
    gb = _mask_api.encode(np.asfortranarray(mask_to_boundary(g, dilation_ratio)))
    db = _mask_api.encode(np.asfortranarray(mask_to_boundary(p, dilation_ratio)))
    return float(_mask_api.iou([db], [gb], [0])[0][0])
