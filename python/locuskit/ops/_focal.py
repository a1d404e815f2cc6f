"""Sigmoid focal loss (RetinaNet) with torchvision's name and semantics and an analytic gradient."""
from __future__ import annotations

import numpy as np

from .._arrays import Array, as_array, is_tensor, tensor_io

__all__ = ["sigmoid_focal_loss"]


def _focal_terms(x: np.ndarray, t: np.ndarray, alpha: float, gamma: float):
    """Per-element loss and the pieces the gradient needs (float64 or float32, x's dtype)."""
    # Numerically stable BCE with logits, the form torch uses: (1 - t) x + m + log(e^-m + e^(-x - m)),
    # m = max(-x, 0).
    m = np.maximum(-x, 0)
    ce = (1 - t) * x + m + np.log(np.exp(-m) + np.exp(-x - m))
    p = 1 / (1 + np.exp(-x))
    p_t = p * t + (1 - p) * (1 - t)
    q = 1 - p_t
    mod = q ** gamma
    loss = ce * mod
    alpha_t = None
    if alpha >= 0:
        alpha_t = alpha * t + (1 - alpha) * (1 - t)
        loss = alpha_t * loss
    return loss, ce, p, q, mod, alpha_t


def _focal_grads(x, t, alpha, gamma, need_x, need_t):
    """d loss / d inputs and d loss / d targets, element-wise (the chain rule of the forward)."""
    _, ce, p, q, mod, alpha_t = _focal_terms(x, t, alpha, gamma)
    # d q^gamma / d q: gamma q^(gamma-1), 0 where gamma == 0 (no 0 * inf at q == 0).
    dmod = np.zeros_like(q) if gamma == 0 else gamma * q ** (gamma - 1)
    scale = 1 if alpha_t is None else alpha_t
    gx = gt = None
    if need_x:
        dq_dx = -(p * (1 - p)) * (2 * t - 1)
        gx = scale * ((p - t) * mod + ce * dmod * dq_dx)
    if need_t:
        dq_dt = -(2 * p - 1)
        gt = scale * (-x * mod + ce * dmod * dq_dt)
        if alpha_t is not None:
            gt = gt + (2 * alpha - 1) * ce * mod
    return gx, gt


def _check(alpha, gamma, reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction: expected 'none', 'mean' or 'sum', got {reduction!r}")
    if not np.isfinite(alpha) or not np.isfinite(gamma) or gamma < 0:
        raise ValueError(f"alpha, gamma: must be finite and gamma >= 0, got {alpha}, {gamma}")


def _inputs(inputs, targets):
    x, t = as_array(inputs, "inputs"), as_array(targets, "targets")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"inputs: dtype {x.dtype} is not supported; use a float dtype")
    if x.shape != t.shape:
        raise ValueError(f"targets: expected the shape of inputs {x.shape}, got {t.shape}")
    return x, t.astype(x.dtype, copy=False)


@tensor_io(differentiable=True)
def sigmoid_focal_loss(inputs: Array, targets: Array, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> Array:
    """Focal loss ``alpha_t * BCE(sigmoid(x), t) * (1 - p_t) ** gamma`` of logits ``inputs`` and
    binary ``targets`` of the same (any) shape: ``torchvision.ops.sigmoid_focal_loss``'s formula
    (``alpha < 0`` disables the weighting; ``reduction`` "none" | "mean" | "sum"). float32/float64
    (half: computed in float32). Tensors: differentiable with respect to both arguments through an
    analytic gradient (once differentiable); values within a few ulps of torchvision (its exp/log
    are SLEEF's, ours NumPy's). O(numel).

    ``inputs``, ``targets``: float32/float64 (or half), one shape for both, e.g. (N, C).
    """
    _check(alpha, gamma, reduction)
    if any(is_tensor(v) and v.requires_grad for v in (inputs, targets)):  # type: ignore[union-attr]
        import torch

        if torch.is_grad_enabled():
            return _focal_autograd(inputs, targets, float(alpha), float(gamma), reduction)
    x, t = _inputs(inputs, targets)
    loss = _focal_terms(x, t, float(alpha), float(gamma))[0]
    if reduction == "mean":
        return loss.mean(dtype=x.dtype) if loss.size else x.dtype.type("nan")  # torchvision: mean of nothing
    if reduction == "sum":
        return loss.sum(dtype=x.dtype)
    return loss


_Focal = None  # the autograd.Function, defined on first use (torch imported lazily)


def _focal_autograd(inputs, targets, alpha, gamma, reduction):
    import torch

    global _Focal
    if _Focal is None:
        class _FocalFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, xi, ti, alpha_, gamma_):
                x, t = _inputs(xi, ti)
                ctx.arrays = (x, t, alpha_, gamma_)
                return torch.from_numpy(_focal_terms(x, t, alpha_, gamma_)[0])

            @staticmethod
            @torch.autograd.function.once_differentiable
            def backward(ctx, grad):
                x, t, alpha_, gamma_ = ctx.arrays
                gx, gt = _focal_grads(x, t, alpha_, gamma_, ctx.needs_input_grad[0], ctx.needs_input_grad[1])
                to = lambda g: None if g is None else grad * torch.from_numpy(g)  # noqa: E731
                return to(gx), to(gt), None, None

        _Focal = _FocalFunction

    x_in = inputs if is_tensor(inputs) else torch.from_numpy(as_array(inputs, "inputs"))
    t_in = targets if is_tensor(targets) else torch.from_numpy(as_array(targets, "targets"))
    if x_in.dtype not in (torch.float32, torch.float64):
        x_in = x_in.float()
    if t_in.dtype != x_in.dtype:
        t_in = t_in.to(x_in.dtype)
    loss = _Focal.apply(x_in, t_in, alpha, gamma)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
