"""locuskit's ops as PyTorch custom operators: ``torch.ops.locuskit.<name>``.

Registered with ``torch.library.Library("locuskit", "DEF")`` (schema strings + Python kernels),
the registration torch 1.13 offers and newer releases still accept. Registration is what makes
``torch.jit.script`` of a function that calls ``torch.ops.locuskit.nms(...)`` compile, and
``torch.jit.trace`` record a ``locuskit::nms`` node instead of baking the result in as constants.

- Non-differentiable ops (NMS, area, clipping, ...) have a ``CPU`` kernel and the same kernel under
  ``CUDA``: ``nms`` and ``batched_nms`` run ``locuskit.cuda`` there, the others raise a ValueError
  that names the op.
- Differentiable ops (losses, pairwise and aligned IoU family, ``box_convert``,
  ``sigmoid_focal_loss``) are
  registered as ``CompositeImplicitAutograd``: the kernel runs above autograd and calls the
  ``torch.autograd.Function`` of locuskit._autograd, so ``backward()`` works through the op too.

- Shape-static CPU ops also have a ``Meta`` kernel (output shape and dtype only).

Checked with torch 1.13 (Debian 12). torch.compile (2.x) additionally wants fake kernels
(``torch.library.register_fake``, 2.4+) and ``register_autograd`` for the differentiable ops;
see docs/torch.md.
"""
from __future__ import annotations

_LIB = None

# name -> (schema, dispatch key, locuskit function, argument adapter)
_CPU = "CPU"
_AUTOGRAD = "CompositeImplicitAutograd"


def _ops():
    """name -> (schema, dispatch key, the locuskit function the kernel calls)."""
    from . import ops

    def size_adapter(boxes, size):
        return ops.clip_boxes_to_image(boxes, (size[0], size[1]))

    table = {
        "nms": ("nms(Tensor boxes, Tensor scores, float iou_threshold) -> Tensor", _CPU, ops.nms),
        "batched_nms": ("batched_nms(Tensor boxes, Tensor scores, Tensor idxs, float iou_threshold) -> Tensor",
                        _CPU, ops.batched_nms),
        "box_area": ("box_area(Tensor boxes) -> Tensor", _CPU, ops.box_area),
        "remove_small_boxes": ("remove_small_boxes(Tensor boxes, float min_size) -> Tensor", _CPU,
                               ops.remove_small_boxes),
        "clip_boxes_to_image": ("clip_boxes_to_image(Tensor boxes, int[] size) -> Tensor", _CPU, size_adapter),
        "masks_to_boxes": ("masks_to_boxes(Tensor masks) -> Tensor", _CPU, ops.masks_to_boxes),
        "box_convert": ("box_convert(Tensor boxes, str in_fmt, str out_fmt) -> Tensor", _AUTOGRAD, ops.box_convert),
        "sigmoid_focal_loss": (
            'sigmoid_focal_loss(Tensor inputs, Tensor targets, float alpha=0.25, float gamma=2, '
            'str reduction="none") -> Tensor', _AUTOGRAD, ops.sigmoid_focal_loss),
    }
    # The IoU family: pairwise, aligned and losses share one signature pattern per kind.
    for kind in ("box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"):
        eps = ", float eps=1e-07" if kind in ("distance_box_iou", "complete_box_iou") else ""
        for name, args in ((kind, eps), (kind + "_aligned", eps),
                           (kind + "_loss", ', str reduction="none", float eps=1e-07')):
            table[name] = (f"{name}(Tensor boxes1, Tensor boxes2{args}) -> Tensor", _AUTOGRAD, getattr(ops, name))
    return table


def _as_tensor_kernel(fn):
    """A kernel must return a tensor: reductions give 0-d tensors already; keep the dtype."""
    import torch

    def kernel(*args):
        r = fn(*args)
        return r if isinstance(r, torch.Tensor) else torch.as_tensor(r)

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    return kernel


def _meta_kernels():
    """Shape-only kernels for the ``Meta`` key (what fake-tensor shape propagation calls, e.g. in
    torch.compile's tracing): ops whose output shape follows from the input shapes. NMS and
    remove_small_boxes are data dependent and have none."""
    import torch

    # (CompositeImplicitAutograd ops, the differentiable ones, may not have one: torch refuses it.)
    return {
        "box_area": lambda boxes: boxes.new_empty((boxes.shape[0],)),
        "clip_boxes_to_image": lambda boxes, size: boxes.new_empty(boxes.shape),
        "masks_to_boxes": lambda masks: torch.empty((masks.shape[0] if masks.numel() else 0, 4),
                                                    dtype=torch.float32, device=masks.device),
    }


def register() -> bool:
    """Registers ``torch.ops.locuskit.*`` (idempotent; imports torch). Returns True the first time."""
    global _LIB
    if _LIB is not None:
        return False
    import torch

    lib = torch.library.Library("locuskit", "DEF")
    for name, (schema, key, fn) in _ops().items():
        lib.define(schema)
        lib.impl(name, _as_tensor_kernel(fn), key)
        if key == _CPU:
            # The same Python kernel serves CUDA tensors: ops with a GPU twin (nms, batched_nms) run
            # it in locuskit.cuda, the others raise locuskit's ValueError naming the op (rather than
            # the dispatcher's "Could not run ... with arguments from the 'CUDA' backend").
            lib.impl(name, _as_tensor_kernel(fn), "CUDA")
    for name, fn in _meta_kernels().items():
        # torch 1.13 has no autograd fallthrough for custom ops on meta tensors: the same
        # shape function serves the autograd key (these ops are not differentiable anyway).
        for key in ("Meta", "AutogradMeta"):
            lib.impl(name, fn, key)
    _LIB = lib
    return True


def registered_ops() -> list:
    """Names of the ops under ``torch.ops.locuskit``."""
    return sorted(_ops())
