"""Box geometry: formats, areas, the IoU family, losses and fused reductions.

Names follow torchvision where it has one (``box_iou``, ``generalized_box_iou``, ...). Inputs are
(N, 4) float32 or float64 NumPy arrays or CPU torch tensors of any layout (C-contiguous ones are
used in place, others copied once; float16/bfloat16 computed in float32 and returned in their
dtype); the dtype is kept. NumPy in -> NumPy out, tensors in -> tensors out (see docs/torch.md).
Boxes are xyxy with x1 <= x2, y1 <= y2 and finite coordinates unless a function says otherwise
(the losses accept inverted boxes, as torchvision); violations raise ValueError.

Differentiable for torch tensors (``torch.autograd.Function`` with locuskit's analytic
gradients, both arguments): ``box_convert``, the pairwise and ``*_aligned`` IoU/GIoU/DIoU/CIoU,
and the four losses. ``box_ioa`` / ``box_ioa_aligned``, areas, clipping and filtering are not:
given a tensor that requires grad under grad mode they raise TypeError instead of detaching.

``degenerate`` is what a 0/0 ratio yields (see docs/box.md): ``"zero"`` (default, as detectron2),
``"nan"`` (torchvision's arithmetic) or ``"one"`` (OpenCV). It applies to the IoU/IoA term when the
union (IoA: the first box's area) is 0; GIoU's penalty with an empty enclosing box and CIoU's
``atan(0/0)`` of a zero-size box become 0 (NaN under ``"nan"``).
"""
from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np

from .._core import box as _box
from .._arrays import Array, as_array, is_tensor, tensor_io

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
    "masks_to_boxes",
]


def _needs_autograd(*xs) -> bool:
    """True when a tensor argument requires grad under grad mode (the autograd path)."""
    if not any(is_tensor(x) and x.requires_grad for x in xs):
        return False
    import torch

    return torch.is_grad_enabled()


def _any_tensor(*xs) -> bool:
    return any(is_tensor(x) for x in xs)


def _out_array(out):
    """``out=`` as the NumPy view the kernel writes into (a tensor's storage, never a copy)."""
    if out is None:
        return None
    if is_tensor(out):
        if out.device.type != "cpu" or not out.is_contiguous():
            raise ValueError("out: must be a contiguous CPU tensor (it is written in place)")
        if out.requires_grad:
            raise ValueError("out: must not require grad")
        return out.numpy()
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out: expected a NumPy array or a torch tensor, got {type(out).__name__}")
    return out


@tensor_io(differentiable=True)
def box_convert(boxes: Array, in_fmt: str, out_fmt: str) -> Array:
    """Converts (N, 4) boxes between ``"xyxy"``, ``"xywh"`` and ``"cxcywh"``.

    ``torchvision.ops.box_convert``'s formulas and order, bitwise. Always returns a new array
    (float32/float64, the input's dtype). Differentiable for tensors (the conversion is linear; its
    backward is too, so double backward works).
    """
    if _needs_autograd(boxes):
        from .. import _autograd

        return _autograd.box_convert(boxes, in_fmt, out_fmt)
    return _box.box_convert(as_array(boxes, "boxes"), in_fmt, out_fmt)


@tensor_io
def box_area(boxes: Array) -> Array:
    """Areas ``(x2 - x1) * (y2 - y1)`` of (N, 4) xyxy boxes, (N,). ``torchvision.ops.box_area``, bitwise. float32/float64 in, same dtype out."""
    return _box.box_area(as_array(boxes, "boxes"))


@tensor_io
def clip_boxes_to_image(boxes: Array, size: Tuple[float, float]) -> Array:
    """Clips (N, 4) xyxy boxes to an image of ``size = (height, width)``: x to [0, width], y to
    [0, height]. ``torchvision.ops.clip_boxes_to_image``, bitwise. Returns a new array.

    float32/float64, the input's dtype.
    """
    try:
        height, width = size
    except (TypeError, ValueError) as exc:
        raise TypeError(f"size: expected (height, width), got {size!r}") from exc
    return _box.clip_boxes_to_image(as_array(boxes, "boxes"), float(height), float(width))


@tensor_io
def remove_small_boxes(boxes: Array, min_size: float) -> Array:
    """int64 indices (ascending) of the xyxy boxes with width and height ``>= min_size``
    (``torchvision.ops.remove_small_boxes``).

    ``boxes`` (N, 4) float32/float64; returns (K,) int64.
    """
    return _box.remove_small_boxes(as_array(boxes, "boxes"), float(min_size))


_OUT_DOC = """

    ``out``: an optional C-contiguous (N, M) array or CPU tensor of the boxes' dtype that receives
    the result in place and is returned (a training loop reuses one buffer instead of allocating a
    fresh matrix per call)."""


@tensor_io(differentiable=True)
def box_iou(boxes1: Array, boxes2: Array, *, degenerate: str = "zero", out: Optional[Array] = None) -> Array:
    """Pairwise IoU, (N, M). Equals ``torchvision.ops.box_iou`` bitwise for ordinary boxes.

    ``degenerate`` is what a pair with union 0 (two zero-area boxes) gets: ``"zero"`` (default,
    as detectron2), ``"nan"`` (torchvision) or ``"one"`` (OpenCV).
    """
    if _needs_autograd(boxes1, boxes2):
        return _family(boxes1, boxes2, "iou", degenerate, 1e-7, out)
    r = _box.box_iou(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), degenerate, _out_array(out))
    return r if out is None else out


def _family(boxes1, boxes2, kind, degenerate, eps, out=None):
    if _needs_autograd(boxes1, boxes2):
        if out is not None:
            raise ValueError("out: not with autograd (the result is a new tensor of the graph)")
        from .. import _autograd

        return _autograd.box_iou_pairwise(boxes1, boxes2, kind, degenerate, eps)
    r = _box.box_iou_family(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), kind, degenerate, eps,
                             _out_array(out))
    return r if out is None else out


def _aligned(boxes1, boxes2, kind, degenerate, eps):
    if _needs_autograd(boxes1, boxes2):
        from .. import _autograd

        return _autograd.box_iou_aligned(boxes1, boxes2, kind, degenerate, eps)
    return _box.box_iou_family_aligned(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), kind,
                                        degenerate, eps)


@tensor_io(differentiable=True)
def generalized_box_iou(boxes1: Array, boxes2: Array, *,
                        degenerate: str = "zero", out: Optional[Array] = None) -> Array:
    """Pairwise GIoU, (N, M): ``torchvision.ops.generalized_box_iou``, bitwise for ordinary boxes."""
    return _family(boxes1, boxes2, "giou", degenerate, 1e-7, out)


@tensor_io(differentiable=True)
def distance_box_iou(boxes1: Array, boxes2: Array, eps: float = 1e-7, *,
                     degenerate: str = "zero", out: Optional[Array] = None) -> Array:
    """Pairwise DIoU, (N, M): ``torchvision.ops.distance_box_iou(eps)``, bitwise for ordinary boxes."""
    return _family(boxes1, boxes2, "diou", degenerate, eps, out)


@tensor_io(differentiable=True)
def complete_box_iou(boxes1: Array, boxes2: Array, eps: float = 1e-7, *,
                     degenerate: str = "zero", out: Optional[Array] = None) -> Array:
    """Pairwise CIoU, (N, M): ``torchvision.ops.complete_box_iou(eps)`` within a few ulp
    (torchvision's atan is SLEEF's vectorised one; locuskit uses the C library's, once per box)."""
    return _family(boxes1, boxes2, "ciou", degenerate, eps, out)


@tensor_io(differentiable=True)
def box_ioa(boxes1: Array, boxes2: Array, *, degenerate: str = "zero", out: Optional[Array] = None) -> Array:
    """Pairwise intersection over the area of the FIRST box, (N, M): ``inter / area(boxes1[i])``
    (mmdet's ``iof``; detectron2's ``pairwise_ioa(b1, b2)`` divides by ``area(b2)``, i.e. equals
    ``box_ioa(b2, b1).T``). A zero-area first box gives ``degenerate``."""
    return _family(boxes1, boxes2, "ioa", degenerate, 1e-7, out)


@tensor_io(differentiable=True)
def box_iou_aligned(boxes1: Array, boxes2: Array, *, degenerate: str = "zero") -> Array:
    """IoU of aligned pairs, (N,): the diagonal of ``box_iou`` (same bits). ``boxes1``, ``boxes2`` (N, 4) xyxy float32/float64; peer: the diagonal of ``torchvision.ops.box_iou``."""
    return _aligned(boxes1, boxes2, "iou", degenerate, 1e-7)


@tensor_io(differentiable=True)
def generalized_box_iou_aligned(boxes1: Array, boxes2: Array, *, degenerate: str = "zero") -> Array:
    """GIoU of aligned pairs, (N,): the diagonal of ``generalized_box_iou`` (same bits). ``boxes1``, ``boxes2`` (N, 4) xyxy float32/float64; peer: the diagonal of ``torchvision.ops.generalized_box_iou``."""
    return _aligned(boxes1, boxes2, "giou", degenerate, 1e-7)


@tensor_io(differentiable=True)
def distance_box_iou_aligned(boxes1: Array, boxes2: Array, eps: float = 1e-7, *, degenerate: str = "zero") -> Array:
    """DIoU of aligned pairs, (N,): the diagonal of ``distance_box_iou`` (same bits). ``boxes1``, ``boxes2`` (N, 4) xyxy float32/float64; peer: the diagonal of ``torchvision.ops.distance_box_iou``."""
    return _aligned(boxes1, boxes2, "diou", degenerate, eps)


@tensor_io(differentiable=True)
def complete_box_iou_aligned(boxes1: Array, boxes2: Array, eps: float = 1e-7, *, degenerate: str = "zero") -> Array:
    """CIoU of aligned pairs, (N,): the diagonal of ``complete_box_iou`` (same bits). ``boxes1``, ``boxes2`` (N, 4) xyxy float32/float64; peer: the diagonal of ``torchvision.ops.complete_box_iou``."""
    return _aligned(boxes1, boxes2, "ciou", degenerate, eps)


@tensor_io(differentiable=True)
def box_ioa_aligned(boxes1: Array, boxes2: Array, *, degenerate: str = "zero") -> Array:
    """Intersection over the area of ``boxes1[i]`` for aligned pairs, (N,). ``boxes1``, ``boxes2`` (N, 4) xyxy float32/float64; peer: detectron2's ``pairwise_ioa`` diagonal."""
    return _aligned(boxes1, boxes2, "ioa", degenerate, 1e-7)


def _loss(boxes1, boxes2, kind, reduction, eps, degenerate, return_grad):
    if not return_grad and _any_tensor(boxes1, boxes2):
        # Tensors: the autograd path (also without grad, so values do not depend on grad mode);
        # the reduction is torchvision's, in torch.
        from .. import _autograd

        return _autograd.box_loss(boxes1, boxes2, kind, reduction, eps, degenerate)
    loss, grad = _box.box_loss(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), kind, reduction, eps,
                                degenerate, bool(return_grad))
    if reduction != "none":
        loss = loss[0]
    return (loss, grad) if return_grad else loss


_LOSS_DOC = """

    ``boxes1`` are the predictions, ``boxes2`` the targets, both (N, 4) xyxy of one dtype (tensors:
    any (..., 4) shape, as torchvision). Inverted or zero-size boxes give torchvision's value, not
    an error; non-finite coordinates raise ValueError.
    NumPy: ``reduction`` ``"none"`` -> (N,) array, ``"mean"`` / ``"sum"`` -> a NumPy scalar (summed
    in float64; the mean of nothing is 0). With ``return_grad=True`` returns ``(loss, grad)`` where
    ``grad`` (N, 4) is the analytic gradient of the (reduced; for ``"none"`` summed) loss with
    respect to ``boxes1``, as torch autograd would give it (ties of min/max split 1/2).
    Tensors: a tensor, reduced in torch as torchvision does, differentiable with respect to both
    arguments (``torch.autograd.Function`` whose backward is the analytic gradient; once
    differentiable). Values equal torchvision's losses; gradients within a few ulps (docs/torch.md).
    """


@tensor_io(differentiable=True)
def box_iou_loss(boxes1: Array, boxes2: Array, reduction: str = "none", eps: float = 1e-7, *, degenerate: str = "zero",
                 return_grad: bool = False) -> Union[Array, Tuple[Array, Array]]:
    """IoU loss ``1 - inter / (union + eps)`` (torchvision has none; same intersection as its losses)."""
    return _loss(boxes1, boxes2, "iou", reduction, eps, degenerate, return_grad)


@tensor_io(differentiable=True)
def generalized_box_iou_loss(boxes1: Array, boxes2: Array, reduction: str = "none", eps: float = 1e-7, *,
                             degenerate: str = "zero", return_grad: bool = False) -> Union[Array, Tuple[Array, Array]]:
    """GIoU loss: ``torchvision.ops.generalized_box_iou_loss``."""
    return _loss(boxes1, boxes2, "giou", reduction, eps, degenerate, return_grad)


@tensor_io(differentiable=True)
def distance_box_iou_loss(boxes1: Array, boxes2: Array, reduction: str = "none", eps: float = 1e-7, *,
                          degenerate: str = "zero", return_grad: bool = False) -> Union[Array, Tuple[Array, Array]]:
    """DIoU loss: ``torchvision.ops.distance_box_iou_loss``."""
    return _loss(boxes1, boxes2, "diou", reduction, eps, degenerate, return_grad)


@tensor_io(differentiable=True)
def complete_box_iou_loss(boxes1: Array, boxes2: Array, reduction: str = "none", eps: float = 1e-7, *,
                          degenerate: str = "zero", return_grad: bool = False) -> Union[Array, Tuple[Array, Array]]:
    """CIoU loss: ``torchvision.ops.complete_box_iou_loss``, including its quirk: the IoU/DIoU part
    always uses eps = 1e-7, ``eps`` only enters ``alpha``. A zero-size box's ``atan(0/0)`` is 0
    (torchvision: NaN) unless ``degenerate="nan"``."""
    return _loss(boxes1, boxes2, "ciou", reduction, eps, degenerate, return_grad)


for _f in (box_iou, generalized_box_iou, distance_box_iou, complete_box_iou, box_ioa):
    if _f.__doc__:
        _f.__doc__ += _OUT_DOC

for _f in (box_iou_loss, generalized_box_iou_loss, distance_box_iou_loss, complete_box_iou_loss):
    if _f.__doc__:
        _f.__doc__ += _LOSS_DOC
del _f


@tensor_io
def box_iou_max(boxes1: Array, boxes2: Array, *, degenerate: str = "zero") -> Tuple[Array, Array, Array, Array]:
    """Best IoU per box of each set without building the (N, M) matrix.

    Returns ``(max1, argmax1, max2, argmax2)``: ``max1[i] = max_j IoU(boxes1[i], boxes2[j])`` and
    its first arg-max (int64), and the same per box of ``boxes2``. An empty other set gives
    ``-inf`` and ``-1``.

    No peer computes it fused; it equals torchvision's ``box_iou(...).max(dim)`` (first index on ties).
    """
    return _box.box_iou_max(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), degenerate)


def masks_to_boxes(masks: Array) -> Array:
    """Bounding boxes (N, 4) float32 xyxy of (N, H, W) masks (any dtype; nonzero = inside), with
    ``torchvision.ops.masks_to_boxes``'s semantics: ``x2``/``y2`` are the last nonzero column/row
    (inclusive pixel indices, not +1), an input with no elements gives (0, 4). An empty mask has no
    box: ValueError naming it (torchvision fails inside ``torch.min``). O(N H W).
    """
    if is_tensor(masks):  # float32 whatever the mask dtype (half masks too), as torchvision
        import torch

        t: Any = masks
        if t.device.type != "cpu":
            raise ValueError(f"masks: tensor lives on {t.device}; move it to the CPU")
        return torch.from_numpy(masks_to_boxes(t.detach().bool().numpy()))
    m = as_array(masks, "masks")
    if m.ndim != 3:
        raise ValueError(f"masks: expected shape (N, H, W), got {m.shape}")
    if m.size == 0:
        return np.zeros((0, 4), np.float32)
    inside = m != 0
    rows, cols = inside.any(axis=2), inside.any(axis=1)  # (N, H), (N, W)
    empty = ~rows.any(axis=1)
    if empty.any():
        raise ValueError(f"masks[{int(np.argmax(empty))}]: empty mask (no nonzero pixel) has no bounding box")
    h, w = rows.shape[1], cols.shape[1]
    y1, y2 = rows.argmax(axis=1), h - 1 - rows[:, ::-1].argmax(axis=1)
    x1, x2 = cols.argmax(axis=1), w - 1 - cols[:, ::-1].argmax(axis=1)
    return np.stack([x1, y1, x2, y2], axis=1).astype(np.float32)
