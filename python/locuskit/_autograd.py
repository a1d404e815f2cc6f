"""Autograd for the torch layer: ``torch.autograd.Function``s whose backward is locuskit's analytic
gradient (the C++ loss kernel), for both arguments.

Only imported when a tensor that needs a gradient reaches a differentiable function, so
``import locuskit`` never imports torch.

Why the swap trick is exact: every box loss is symmetric in its two arguments (intersection,
union, enclosing box, centre distance and CIoU's ``v`` are; ``alpha`` is a constant for the
gradient, as in torchvision), so ``d L(p, g) / d g`` is the kernel's ``d L(x, p) / d x`` at
``x = g``, with the same tie convention (1/2 at min/max ties, as torch autograd).
"""
from __future__ import annotations

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from ._core import box as _box
from ._arrays import as_array

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction: expected 'none', 'mean' or 'sum', got {reduction!r}")


class _PairGradient(torch.autograd.Function):
    """Per-pair values ``f(boxes1[i], boxes2[i])`` (N,), reduced by ``reduction`` ("none" |
    "mean" | "sum", in torch, as torchvision reduces), with saved (N, 4) gradients.

    ``compute(a, b, need1, need2) -> (values, grad1 or None, grad2 or None)`` on NumPy arrays.
    The reduction lives inside the Function so that backward scales the saved gradients by one
    scalar instead of broadcasting an (N,) gradient (the mean's backward materialises one).
    """

    @staticmethod
    def forward(ctx, boxes1, boxes2, compute, reduction):
        need1, need2 = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        values, g1, g2 = compute(as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2"), need1, need2)
        # Gradients are intermediates (not inputs/outputs): kept on ctx, freed with the graph.
        ctx.grads = tuple(None if g is None else torch.from_numpy(g) for g in (g1, g2))
        ctx.reduction = reduction
        out = torch.from_numpy(values)
        ctx.n = out.numel()
        if reduction == "mean":
            return out.mean() if out.numel() > 0 else 0.0 * out.sum()
        if reduction == "sum":
            return out.sum()
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_values):
        g1, g2 = ctx.grads
        if ctx.reduction == "none":
            col = grad_values.unsqueeze(1)
        else:
            col = grad_values.item() / (max(ctx.n, 1) if ctx.reduction == "mean" else 1)
        return (None if g1 is None else g1 * col, None if g2 is None else g2 * col, None, None)


def _loss_compute(kind: str, eps: float, degenerate: str):
    def compute(a, b, need1, need2):
        loss, g1 = _box.box_loss(a, b, kind, "none", eps, degenerate, bool(need1))
        g2 = _box.box_loss(b, a, kind, "none", eps, degenerate, True)[1] if need2 else None
        return loss, g1, g2

    return compute


def _metric_compute(kind: str, eps: float, degenerate: str):
    """Aligned IoU-family metric values (the pairwise kernels' bits) with gradients from the loss
    kernel: metric = 1 - loss for the same formula (IoU, GIoU with eps = 0: no eps in the metrics;
    DIoU/CIoU with the metric's eps, which torchvision also adds to the IoU part's union in the
    losses only: a relative difference of eps / union in the gradient)."""
    loss_eps = 0.0 if kind in ("iou", "giou") else eps

    def compute(a, b, need1, need2):
        values = _box.box_iou_family_aligned(a, b, kind, degenerate, eps)
        g1 = g2 = None
        if need1:
            g1 = _box.box_loss(a, b, kind, "none", loss_eps, degenerate, True)[1]
            np.negative(g1, out=g1)
        if need2:
            g2 = _box.box_loss(b, a, kind, "none", loss_eps, degenerate, True)[1]
            np.negative(g2, out=g2)
        return values, g1, g2

    return compute


def _float_boxes(t, name):
    if not isinstance(t, torch.Tensor):
        t = torch.from_numpy(as_array(t, name))
    if t.dtype in (torch.float32, torch.float64):
        return t
    return t.float()  # half, bfloat16 and integer boxes are computed in float32 (torchvision upcasts)


def _flat_pairs(boxes1, boxes2):
    """(..., 4) tensors -> (N, 4) float32/float64 of one dtype, and the leading shape."""
    b1, b2 = _float_boxes(boxes1, "boxes1"), _float_boxes(boxes2, "boxes2")
    if b1.shape[-1:] != (4,) or b1.dim() == 0:
        raise ValueError(f"boxes1: expected shape (..., 4), got {tuple(b1.shape)}")
    if b2.shape != b1.shape:
        raise ValueError(f"boxes2: expected the shape of boxes1 {tuple(b1.shape)}, got {tuple(b2.shape)}")
    if b1.dtype != b2.dtype:
        common = torch.promote_types(b1.dtype, b2.dtype)
        b1, b2 = b1.to(common), b2.to(common)
    lead = b1.shape[:-1]
    return b1.reshape(-1, 4), b2.reshape(-1, 4), lead


def box_loss(boxes1, boxes2, kind: str, reduction: str, eps: float, degenerate: str):
    """Differentiable loss (torch in, torch out; dtype of the float input)."""
    _check_reduction(reduction)
    b1, b2, lead = _flat_pairs(boxes1, boxes2)
    loss = _PairGradient.apply(b1, b2, _loss_compute(kind, float(eps), degenerate), reduction)
    return loss if reduction != "none" else loss.reshape(lead)


def box_iou_aligned(boxes1, boxes2, kind: str, degenerate: str, eps: float):
    """Differentiable aligned IoU-family metric (N,)."""
    if kind == "ioa":
        raise TypeError("box_ioa_aligned: not differentiable in locuskit; call it on .detach()ed tensors")
    b1, b2, lead = _flat_pairs(boxes1, boxes2)
    return _PairGradient.apply(b1, b2, _metric_compute(kind, float(eps), degenerate), "none").reshape(lead)


_PAIR_CHUNK = 1 << 20  # pairs per backward chunk: bounds the O(N·M) scratch to ~50 MB (float32)


class _Pairwise(torch.autograd.Function):
    """Pairwise IoU-family matrix (N, M) with an analytic backward: for each row chunk the loss
    kernel gives d metric(i, j) / d box per pair, weighted by the incoming (N, M) gradient and
    summed over the other set's axis."""

    @staticmethod
    def forward(ctx, boxes1, boxes2, kind, degenerate, eps):
        a, b = as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2")
        ctx.arrays = (a, b, kind, degenerate, eps)
        return torch.from_numpy(_box.box_iou_family(a, b, kind, degenerate, eps))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        a, b, kind, degenerate, eps = ctx.arrays
        loss_eps = 0.0 if kind in ("iou", "giou") else eps
        n, m = len(a), len(b)
        g = grad.numpy().astype(a.dtype, copy=False)
        g1 = np.zeros_like(a) if ctx.needs_input_grad[0] else None
        g2 = np.zeros_like(b) if ctx.needs_input_grad[1] else None
        rows = max(1, _PAIR_CHUNK // max(m, 1))
        for r0 in range(0, n, rows):
            r1 = min(n, r0 + rows)
            pa = np.ascontiguousarray(np.repeat(a[r0:r1], m, axis=0))  # (rows·M, 4): box i per pair
            pb = np.ascontiguousarray(np.tile(b, (r1 - r0, 1)))      # (rows·M, 4): box j per pair
            w = g[r0:r1].reshape(-1, 1)
            if g1 is not None:
                d = _box.box_loss(pa, pb, kind, "none", loss_eps, degenerate, True)[1]
                g1[r0:r1] -= (w * d).reshape(r1 - r0, m, 4).sum(axis=1)
            if g2 is not None:
                d = _box.box_loss(pb, pa, kind, "none", loss_eps, degenerate, True)[1]
                g2 -= (w * d).reshape(r1 - r0, m, 4).sum(axis=0)
        wrap = lambda x: None if x is None else torch.from_numpy(x)  # noqa: E731
        return wrap(g1), wrap(g2), None, None, None


def box_iou_pairwise(boxes1, boxes2, kind: str, degenerate: str, eps: float):
    """Differentiable pairwise IoU-family matrix (N, M)."""
    if kind == "ioa":
        raise TypeError("box_ioa: not differentiable in locuskit; call it on .detach()ed tensors")
    b1, b2 = _float_boxes(boxes1, "boxes1"), _float_boxes(boxes2, "boxes2")
    if b1.dtype != b2.dtype:
        common = torch.promote_types(b1.dtype, b2.dtype)
        b1, b2 = b1.to(common), b2.to(common)
    return _Pairwise.apply(b1, b2, kind, degenerate, float(eps))


# box_convert is linear: out = in @ M.T, so grad_in = grad_out @ M (twice differentiable).
_TO_XYXY = {
    "xyxy": ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)),
    "xywh": ((1, 0, 0, 0), (0, 1, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)),
    "cxcywh": ((1, 0, -0.5, 0), (0, 1, 0, -0.5), (1, 0, 0.5, 0), (0, 1, 0, 0.5)),
}
_FROM_XYXY = {
    "xyxy": ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)),
    "xywh": ((1, 0, 0, 0), (0, 1, 0, 0), (-1, 0, 1, 0), (0, -1, 0, 1)),
    "cxcywh": ((0.5, 0, 0.5, 0), (0, 0.5, 0, 0.5), (-1, 0, 1, 0), (0, -1, 0, 1)),
}


def _convert_matrix(in_fmt: str, out_fmt: str, like: torch.Tensor) -> torch.Tensor:
    a = torch.tensor(_TO_XYXY[in_fmt], dtype=like.dtype)
    b = torch.tensor(_FROM_XYXY[out_fmt], dtype=like.dtype)
    return b @ a


class _BoxConvert(torch.autograd.Function):
    @staticmethod
    def forward(ctx, boxes, in_fmt, out_fmt):
        ctx.fmts = (in_fmt, out_fmt)
        return torch.from_numpy(_box.box_convert(as_array(boxes, "boxes"), in_fmt, out_fmt))

    @staticmethod
    def backward(ctx, grad_out):
        m = _convert_matrix(*ctx.fmts, grad_out)
        return grad_out @ m, None, None


def box_convert(boxes, in_fmt: str, out_fmt: str):
    """Differentiable box_convert for an (N, 4) tensor."""
    for name, f in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if f not in _TO_XYXY:
            raise ValueError(f"{name}: expected 'xyxy', 'xywh' or 'cxcywh', got {f!r}")
    return _BoxConvert.apply(_float_boxes(boxes, "boxes"), in_fmt, out_fmt)
