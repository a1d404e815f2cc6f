"""Box geometry: formats, areas, the IoU family, losses and fused reductions.

Names follow torchvision where it has one (``box_iou``, ``generalized_box_iou``, ...). Inputs are
(N, 4) float32 or float64 arrays (NumPy, or anything with DLPack / the buffer protocol, e.g. CPU
torch tensors), C-contiguous; the dtype is kept. Boxes are xyxy with x1 <= x2, y1 <= y2 and finite
coordinates unless a function says otherwise; violations raise ValueError.

``degenerate`` is what a 0/0 ratio yields (see docs/box.md): ``"zero"`` (default, as detectron2),
``"nan"`` (torchvision's arithmetic) or ``"one"`` (OpenCV). It applies to the IoU/IoA term when the
union (IoA: the first box's area) is 0; GIoU's penalty with an empty enclosing box and CIoU's
``atan(0/0)`` of a zero-size box become 0 (NaN under ``"nan"``).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from .. import _core
from .._arrays import as_array

__all__ = [
    "box_convert",
    "box_area",
    "clip_boxes_to_image",
    "remove_small_boxes",
    "box_iou",
    "generalized_box_iou",
    "distance_box_iou",
    "complete_box_iou",
    "box_ioa",
    "box_iou_aligned",
    "generalized_box_iou_aligned",
    "distance_box_iou_aligned",
    "complete_box_iou_aligned",
    "box_ioa_aligned",
    "box_iou_loss",
    "generalized_box_iou_loss",
    "distance_box_iou_loss",
    "complete_box_iou_loss",
    "box_iou_max",
]


def box_convert(boxes, in_fmt: str, out_fmt: str) -> np.ndarray:
    """Converts (N, 4) boxes between ``"xyxy"``, ``"xywh"`` and ``"cxcywh"``.

    ``torchvision.ops.box_convert``'s formulas and order, bitwise. Always returns a new array.
    """
    return _core.box_convert(as_array(boxes, "boxes"), in_fmt, out_fmt)


def box_area(boxes) -> np.ndarray:
    """Areas ``(x2 - x1) * (y2 - y1)`` of (N, 4) xyxy boxes, (N,). ``torchvision.ops.box_area``, bitwise."""
    return _core.box_area(as_array(boxes, "boxes"))


def clip_boxes_to_image(boxes, size: Tuple[float, float]) -> np.ndarray:
    """Clips (N, 4) xyxy boxes to an image of ``size = (height, width)``: x to [0, width], y to
    [0, height]. ``torchvision.ops.clip_boxes_to_image``, bitwise. Returns a new array."""
    try:
        height, width = size
    except (TypeError, ValueError) as exc:
        raise TypeError(f"size: expected (height, width), got {size!r}") from exc
    return _core.clip_boxes_to_image(as_array(boxes, "boxes"), float(height), float(width))


def remove_small_boxes(boxes, min_size: float) -> np.ndarray:
    """int64 indices (ascending) of the xyxy boxes with width and height ``>= min_size``
    (``torchvision.ops.remove_small_boxes``)."""
    return _core.remove_small_boxes(as_array(boxes, "boxes"), float(min_size))


def box_iou(boxes1, boxes2, *, degenerate: str = "zero") -> np.ndarray:
    """Pairwise IoU, (N, M). Equals ``torchvision.ops.box_iou`` bitwise for ordinary boxes.

    ``degenerate`` is what a pair with union 0 (two zero-area boxes) gets: ``"zero"`` (default,
    as detectron2), ``"nan"`` (torchvision) or ``"one"`` (OpenCV).
    """
    return _core.box_iou(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), degenerate)


def _family(boxes1, boxes2, kind, degenerate, eps):
    return _core.box_iou_family(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), kind, degenerate, eps)


def _aligned(boxes1, boxes2, kind, degenerate, eps):
    return _core.box_iou_family_aligned(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), kind,
                                        degenerate, eps)


def generalized_box_iou(boxes1, boxes2, *, degenerate: str = "zero") -> np.ndarray:
    """Pairwise GIoU, (N, M): ``torchvision.ops.generalized_box_iou``, bitwise for ordinary boxes."""
    return _family(boxes1, boxes2, "giou", degenerate, 1e-7)


def distance_box_iou(boxes1, boxes2, eps: float = 1e-7, *, degenerate: str = "zero") -> np.ndarray:
    """Pairwise DIoU, (N, M): ``torchvision.ops.distance_box_iou(eps)``, bitwise for ordinary boxes."""
    return _family(boxes1, boxes2, "diou", degenerate, eps)


def complete_box_iou(boxes1, boxes2, eps: float = 1e-7, *, degenerate: str = "zero") -> np.ndarray:
    """Pairwise CIoU, (N, M): ``torchvision.ops.complete_box_iou(eps)`` within a few ulp
    (torchvision's atan is SLEEF's vectorised one; locuskit uses the C library's, once per box)."""
    return _family(boxes1, boxes2, "ciou", degenerate, eps)


def box_ioa(boxes1, boxes2, *, degenerate: str = "zero") -> np.ndarray:
    """Pairwise intersection over the area of the FIRST box, (N, M): ``inter / area(boxes1[i])``
    (mmdet's ``iof``; detectron2's ``pairwise_ioa(b1, b2)`` divides by ``area(b2)``, i.e. equals
    ``box_ioa(b2, b1).T``). A zero-area first box gives ``degenerate``."""
    return _family(boxes1, boxes2, "ioa", degenerate, 1e-7)


def box_iou_aligned(boxes1, boxes2, *, degenerate: str = "zero") -> np.ndarray:
    """IoU of aligned pairs, (N,): the diagonal of ``box_iou`` (same bits)."""
    return _aligned(boxes1, boxes2, "iou", degenerate, 1e-7)


def generalized_box_iou_aligned(boxes1, boxes2, *, degenerate: str = "zero") -> np.ndarray:
    """GIoU of aligned pairs, (N,): the diagonal of ``generalized_box_iou`` (same bits)."""
    return _aligned(boxes1, boxes2, "giou", degenerate, 1e-7)


def distance_box_iou_aligned(boxes1, boxes2, eps: float = 1e-7, *, degenerate: str = "zero") -> np.ndarray:
    """DIoU of aligned pairs, (N,): the diagonal of ``distance_box_iou`` (same bits)."""
    return _aligned(boxes1, boxes2, "diou", degenerate, eps)


def complete_box_iou_aligned(boxes1, boxes2, eps: float = 1e-7, *, degenerate: str = "zero") -> np.ndarray:
    """CIoU of aligned pairs, (N,): the diagonal of ``complete_box_iou`` (same bits)."""
    return _aligned(boxes1, boxes2, "ciou", degenerate, eps)


def box_ioa_aligned(boxes1, boxes2, *, degenerate: str = "zero") -> np.ndarray:
    """Intersection over the area of ``boxes1[i]`` for aligned pairs, (N,)."""
    return _aligned(boxes1, boxes2, "ioa", degenerate, 1e-7)


def _loss(boxes1, boxes2, kind, reduction, eps, degenerate, return_grad):
    loss, grad = _core.box_loss(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), kind, reduction, eps,
                                degenerate, bool(return_grad))
    if reduction != "none":
        loss = loss[0]
    return (loss, grad) if return_grad else loss


_LOSS_DOC = """

    ``boxes1`` are the predictions, ``boxes2`` the targets, both (N, 4) xyxy of one dtype.
    ``reduction``: ``"none"`` -> (N,) array, ``"mean"`` / ``"sum"`` -> a NumPy scalar (summed in
    float64; the mean of nothing is 0). With ``return_grad=True`` returns ``(loss, grad)`` where
    ``grad`` (N, 4) is the analytic gradient of the (reduced; for ``"none"`` summed) loss with
    respect to ``boxes1``, as torch autograd would give it (ties of min/max split 1/2).
    """


def box_iou_loss(boxes1, boxes2, reduction: str = "none", eps: float = 1e-7, *, degenerate: str = "zero",
                 return_grad: bool = False):
    """IoU loss ``1 - inter / (union + eps)`` (torchvision has none; same intersection as its losses)."""
    return _loss(boxes1, boxes2, "iou", reduction, eps, degenerate, return_grad)


def generalized_box_iou_loss(boxes1, boxes2, reduction: str = "none", eps: float = 1e-7, *,
                             degenerate: str = "zero", return_grad: bool = False):
    """GIoU loss: ``torchvision.ops.generalized_box_iou_loss``."""
    return _loss(boxes1, boxes2, "giou", reduction, eps, degenerate, return_grad)


def distance_box_iou_loss(boxes1, boxes2, reduction: str = "none", eps: float = 1e-7, *,
                          degenerate: str = "zero", return_grad: bool = False):
    """DIoU loss: ``torchvision.ops.distance_box_iou_loss``."""
    return _loss(boxes1, boxes2, "diou", reduction, eps, degenerate, return_grad)


def complete_box_iou_loss(boxes1, boxes2, reduction: str = "none", eps: float = 1e-7, *,
                          degenerate: str = "zero", return_grad: bool = False):
    """CIoU loss: ``torchvision.ops.complete_box_iou_loss``, including its quirk: the IoU/DIoU part
    always uses eps = 1e-7, ``eps`` only enters ``alpha``. A zero-size box's ``atan(0/0)`` is 0
    (torchvision: NaN) unless ``degenerate="nan"``."""
    return _loss(boxes1, boxes2, "ciou", reduction, eps, degenerate, return_grad)


for _f in (box_iou_loss, generalized_box_iou_loss, distance_box_iou_loss, complete_box_iou_loss):
    if _f.__doc__:
        _f.__doc__ += _LOSS_DOC
del _f


def box_iou_max(boxes1, boxes2, *, degenerate: str = "zero"):
    """Best IoU per box of each set without building the (N, M) matrix.

    Returns ``(max1, argmax1, max2, argmax2)``: ``max1[i] = max_j IoU(boxes1[i], boxes2[j])`` and
    its first arg-max (int64), and the same per box of ``boxes2``. An empty other set gives
    ``-inf`` and ``-1``.
    """
    return _core.box_iou_max(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), degenerate)
