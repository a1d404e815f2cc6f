"""Box geometry: formats, areas, the IoU family, losses and fused reductions.

Names follow torchvision where it has one (``box_iou``, ``generalized_box_iou``, ...). Inputs are
(N, 4) float32 or float64 arrays (NumPy, or anything with DLPack / the buffer protocol, e.g. CPU
torch tensors), C-contiguous; the dtype is kept. Boxes are xyxy with x1 <= x2, y1 <= y2 and finite
coordinates unless a function says otherwise; violations raise ValueError.
"""
from __future__ import annotations

import numpy as np

from .. import _core
from .._arrays import as_array

__all__ = ["box_iou", "box_iou_max"]


def box_iou(boxes1, boxes2, *, degenerate: str = "zero") -> np.ndarray:
    """Pairwise IoU, (N, M). Equals ``torchvision.ops.box_iou`` bitwise for ordinary boxes.

    ``degenerate`` is what a pair with union 0 (two zero-area boxes) gets: ``"zero"`` (default,
    as detectron2), ``"nan"`` (torchvision) or ``"one"`` (OpenCV).
    """
    return _core.box_iou(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), degenerate)


def box_iou_max(boxes1, boxes2, *, degenerate: str = "zero"):
    """Best IoU per box of each set without building the (N, M) matrix.

    Returns ``(max1, argmax1, max2, argmax2)``: ``max1[i] = max_j IoU(boxes1[i], boxes2[j])`` and
    its first arg-max (int64), and the same per box of ``boxes2``. An empty other set gives
    ``-inf`` and ``-1``.
    """
    return _core.box_iou_max(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), degenerate)
