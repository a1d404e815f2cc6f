"""RoI feature extraction and the IoU-Net operators.

- ``roi_align``, ``roi_pool``, ``MultiScaleRoIAlign``: torchvision's names, arguments and results
  (``torchvision.ops``, 0.14 CPU kernels), bitwise in float32 and float64.
- ``prroi_pool``: Precise RoI Pooling (IoU-Net), differentiable in the features *and* the boxes,
  exact closed-form integration (conventions of vacancy/PreciseRoIPooling).
- ``iou_guided_nms``: IoU-Net's Algorithm 1; ``iou_aware_scores``: IoU^alpha * score^(1-alpha).
- ``refine_boxes``: IoU-Net's Algorithm 2, gradient ascent of a differentiable IoU predictor.

Features are ``(N, C, H, W)`` float32/float64, rois ``(K, 5)`` rows ``(batch_index, x1, y1, x2,
y2)`` in image coordinates, or (as torchvision) a list of ``(L_i, 4)`` boxes, one per image. NumPy
arrays in give NumPy arrays out; CPU torch tensors give torch tensors and support autograd. A
non-contiguous input is copied once (contiguous inputs never are); rois of another float dtype are
cast to the features' dtype (they are small). Non-finite rois or batch indices outside [0, N) raise
ValueError. See docs/roi.md.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._arrays import Array, as_array

if TYPE_CHECKING:  # torch is optional at run time
    import torch

_roi = _core.roi

__all__ = [
    "roi_align",
    "roi_pool",
    "prroi_pool",
    "prroi_pool_backward",
    "MultiScaleRoIAlign",
    "fpn_levels",
    "iou_guided_nms",
    "iou_guided_nms_pairwise",
    "iou_aware_scores",
    "refine_boxes",
]


def _torch():
    """torch, imported on first use (``import locuskit`` stays light; NumPy use never needs it)."""
    import torch

    return torch


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "requires_grad")


def _pair(output_size):
    if isinstance(output_size, int):
        return int(output_size), int(output_size)
    h, w = output_size
    return int(h), int(w)


def _rois_from(boxes, like):
    """(K, 5) rois from a (K, 5) array/tensor or a list of (L_i, 4) boxes (torchvision's format)."""
    if isinstance(boxes, (list, tuple)):
        if _is_torch(like):
            torch = _torch()
            parts = [torch.cat([torch.full_like(b[:, :1], i), b], dim=1) for i, b in enumerate(boxes)]
            return torch.cat(parts, dim=0) if parts else torch.zeros((0, 5), dtype=like.dtype)
        parts = []
        for i, b in enumerate(boxes):
            b = np.asarray(as_array(b, "boxes"))
            if b.ndim != 2 or b.shape[1] != 4:
                raise ValueError(f"boxes[{i}]: expected shape (L, 4), got {b.shape}")
            parts.append(np.concatenate([np.full((b.shape[0], 1), i, dtype=b.dtype), b], axis=1))
        return np.concatenate(parts, axis=0) if parts else np.zeros((0, 5), dtype=np.asarray(like).dtype)
    return boxes


def _np_in(x, name, dtype=None):
    a = as_array(x, name)
    if dtype is not None and a.dtype != dtype and a.dtype.kind == "f":
        a = a.astype(dtype)
    return np.ascontiguousarray(a)


def _to_numpy(t, dtype=None):
    """CPU tensor -> contiguous NumPy array sharing memory where possible."""
    if t.device.type != "cpu":
        raise ValueError(f"locuskit.roi: tensors on {t.device} cannot be mixed with CPU ones; move them to one "
                         "device (roi_align and prroi_pool run CUDA tensors on the GPU through locuskit.cuda)")
    t = t.detach()
    if dtype is not None and t.dtype != dtype and t.is_floating_point():
        t = t.to(dtype)
    return t.contiguous().numpy()


# --------------------------------------------------------------------------------------------- RoIAlign
_functions = None


def _autograd():
    """The torch.autograd.Functions (created on first use)."""
    global _functions
    if _functions is not None:
        return _functions
    torch = _torch()

    class _RoIAlign(torch.autograd.Function):
        @staticmethod
        def forward(ctx, features, rois, pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned):
            f = _to_numpy(features)
            r = _to_numpy(rois, features.dtype)
            out = _roi.roi_align_forward(f, r, pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned)
            ctx.save_for_backward(torch.from_numpy(r))
            ctx.args = (tuple(features.shape), spatial_scale, sampling_ratio, aligned)
            return torch.from_numpy(out)

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad_output):
            (rois,) = ctx.saved_tensors
            shape, scale, sr, aligned = ctx.args
            g = _to_numpy(grad_output, rois.dtype)
            gf = _roi.roi_align_backward(g, rois.numpy(), list(shape), scale, sr, aligned)
            return torch.from_numpy(gf), None, None, None, None, None, None

    class _RoIPool(torch.autograd.Function):
        @staticmethod
        def forward(ctx, features, rois, pooled_h, pooled_w, spatial_scale):
            f = _to_numpy(features)
            r = _to_numpy(rois, features.dtype)
            out, argmax = _roi.roi_pool_forward(f, r, pooled_h, pooled_w, spatial_scale)
            ctx.save_for_backward(torch.from_numpy(r), torch.from_numpy(argmax))
            ctx.args = (tuple(features.shape), spatial_scale)
            return torch.from_numpy(out)

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad_output):
            rois, argmax = ctx.saved_tensors
            shape, scale = ctx.args
            g = _to_numpy(grad_output, rois.dtype)
            gf = _roi.roi_pool_backward(g, argmax.numpy(), rois.numpy(), list(shape), scale)
            return torch.from_numpy(gf), None, None, None, None

    class _PrRoIPool(torch.autograd.Function):
        @staticmethod
        def forward(ctx, features, rois, pooled_h, pooled_w, spatial_scale):
            f = _to_numpy(features)
            r = _to_numpy(rois, features.dtype)
            out = _roi.prroi_pool_forward(f, r, pooled_h, pooled_w, spatial_scale)
            ctx.save_for_backward(torch.from_numpy(f), torch.from_numpy(r))
            ctx.spatial_scale = spatial_scale
            ctx.rois_dtype = rois.dtype
            return torch.from_numpy(out)

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad_output):
            f, r = ctx.saved_tensors
            need_f, need_r = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
            if not (need_f or need_r):
                return None, None, None, None, None
            g = _to_numpy(grad_output, f.dtype)
            gf, gr = _roi.prroi_pool_backward(f.numpy(), g, r.numpy(), ctx.spatial_scale, need_f, need_r)
            gf = torch.from_numpy(gf) if gf is not None else None
            gr = torch.from_numpy(gr).to(ctx.rois_dtype) if gr is not None else None
            return gf, gr, None, None, None

    # CUDA tensors: the GPU twins in locuskit.cuda (same host-device code; gradients by atomic adds).
    class _RoIAlignCUDA(torch.autograd.Function):
        @staticmethod
        def forward(ctx, features, rois, pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned):
            from . import cuda

            r = rois.detach().to(features.dtype).contiguous()
            ctx.save_for_backward(r)
            ctx.args = (tuple(features.shape), spatial_scale, sampling_ratio, aligned)
            return cuda.roi_align(features.detach().contiguous(), r, (pooled_h, pooled_w), spatial_scale,
                                  sampling_ratio, aligned)

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad_output):
            from . import cuda

            (rois,) = ctx.saved_tensors
            shape, scale, sr, aligned = ctx.args
            gf = cuda.roi_align_backward(grad_output.to(rois.dtype).contiguous(), rois, shape, scale, sr, aligned,
                                         validate=False)
            return gf, None, None, None, None, None, None

    class _PrRoIPoolCUDA(torch.autograd.Function):
        @staticmethod
        def forward(ctx, features, rois, pooled_h, pooled_w, spatial_scale):
            from . import cuda

            f = features.detach().contiguous()
            r = rois.detach().to(features.dtype).contiguous()
            ctx.save_for_backward(f, r)
            ctx.spatial_scale = spatial_scale
            ctx.rois_dtype = rois.dtype
            return cuda.prroi_pool(f, r, (pooled_h, pooled_w), spatial_scale)

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad_output):
            from . import cuda

            f, r = ctx.saved_tensors
            need_f, need_r = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
            if not (need_f or need_r):
                return None, None, None, None, None
            gf, gr = cuda.prroi_pool_backward(f, r, grad_output.to(f.dtype).contiguous(), ctx.spatial_scale,
                                              validate=False)
            return (gf if need_f else None), (gr.to(ctx.rois_dtype) if need_r else None), None, None, None

    _functions = {"roi_align": _RoIAlign, "roi_pool": _RoIPool, "prroi_pool": _PrRoIPool,
                  "roi_align_cuda": _RoIAlignCUDA, "prroi_pool_cuda": _PrRoIPoolCUDA}
    return _functions


def _pool(op, input, boxes, output_size, *args):
    """Shared front of roi_align / roi_pool / prroi_pool: rois from either format, then the autograd
    Function (torch) or the compiled forward (NumPy)."""
    ph, pw = _pair(output_size)
    rois = _rois_from(boxes, input)
    if _is_torch(input):
        if not _is_torch(rois):
            rois = _torch().as_tensor(np.asarray(rois))
        if input.device.type == "cuda":
            if op + "_cuda" not in _autograd():
                raise ValueError(f"input: {op} has no CUDA kernel; move the tensors to the CPU")
            return _autograd()[op + "_cuda"].apply(input, rois.to(input.device), ph, pw, *args)
        return _autograd()[op].apply(input, rois, ph, pw, *args)
    f = _np_in(input, "input")
    return getattr(_roi, op + "_forward")(f, _np_in(rois, "rois", f.dtype), ph, pw, *args)


def roi_align(input: Array, boxes: Union[Array, List[Array]], output_size: Union[int, Tuple[int, int]],
              spatial_scale: float = 1.0, sampling_ratio: int = -1, aligned: bool = False) -> Array:
    """RoIAlign, ``torchvision.ops.roi_align``: (K, C, PH, PW) averages of bilinear samples.

    ``sampling_ratio <= 0`` samples ``ceil(roi size / output size)`` points per bin and axis;
    ``aligned=True`` shifts the rois by -0.5 pixel. Bitwise equal to torchvision's CPU kernel, forward
    and backward (gradient to ``input`` only, as torchvision). Threads over rois (forward) and
    channels (backward, so sums keep torchvision's order).

    ``input`` (N, C, H, W) float32/float64; ``boxes`` (K, 5) [batch, x1, y1, x2, y2] or a list of (K_i, 4).
    """
    return _pool("roi_align", input, boxes, output_size, float(spatial_scale), int(sampling_ratio), bool(aligned))


def roi_pool(input: Array, boxes: Union[Array, List[Array]], output_size: Union[int, Tuple[int, int]],
             spatial_scale: float = 1.0) -> Array:
    """RoIPool, ``torchvision.ops.roi_pool``: max over quantized bins (rounded corners, inclusive
    end), empty bins 0. Bitwise equal to torchvision's CPU kernel, forward and backward.
    NumPy input returns the pooled array only (``roi_pool_with_argmax`` semantics are internal).

    ``input`` (N, C, H, W) float32/float64, ``boxes`` (K, 5) or a list of (K_i, 4); returns (K, C, PH, PW).
    """
    out = _pool("roi_pool", input, boxes, output_size, float(spatial_scale))
    return out if _is_torch(input) else out[0]  # NumPy: the compiled forward also returns argmax


def prroi_pool(input: Array, rois: Union[Array, List[Array]], output_size: Union[int, Tuple[int, int]],
               spatial_scale: float = 1.0) -> Array:
    """Precise RoI Pooling: each bin's exact mean of the zero-padded bilinear interpolation of
    ``input`` (pixel centres at integer coordinates, no half-pixel offset), (K, C, PH, PW).

    Differentiable in ``input`` and in the roi coordinates (the batch-index column gets 0); a roi
    whose bins have zero area (empty or inverted) pools 0 with zero gradients, as the reference CUDA
    kernel. float64 agrees with exact rational integration to a few ulps.

    ``input`` (N, C, H, W) float32/float64, ``rois`` (K, 5). Peer: the PrRoIPool reference (IoU-Net, Jiang et al. 2018).
    """
    return _pool("prroi_pool", input, rois, output_size, float(spatial_scale))


def prroi_pool_backward(input: Array, rois: Array, grad_output: Array,
                        spatial_scale: float = 1.0) -> Tuple[np.ndarray, np.ndarray]:
    """NumPy PrRoIPool backward: ``(grad_input (N, C, H, W), grad_rois (K, 5))``. float32/float64, ``input``'s dtype."""
    f = _np_in(input, "input")
    return _roi.prroi_pool_backward(f, _np_in(grad_output, "grad_output", f.dtype), _np_in(rois, "rois", f.dtype),
                                    float(spatial_scale), True, True)


# --------------------------------------------------------------------------------- MultiScaleRoIAlign
def fpn_levels(boxes: Array, k_min: float, k_max: float, canonical_scale: float = 224.0, canonical_level: int = 4,
               eps: float = 1e-6) -> np.ndarray:
    """torchvision's FPN ``LevelMapper``: ``floor(canonical_level + log2(sqrt(area) / canonical_scale)
    + eps)`` clamped to [k_min, k_max], minus k_min (int64), computed in the boxes' dtype.
    ``boxes`` (K, 4) xyxy."""
    if _is_torch(boxes):
        torch = _torch()
        s = torch.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
        lv = torch.floor(canonical_level + torch.log2(s / canonical_scale) + torch.tensor(eps, dtype=s.dtype))
        lv = torch.clamp(lv, min=k_min, max=k_max)
        return (lv.to(torch.int64) - k_min).to(torch.int64).numpy()
    b = np.asarray(as_array(boxes, "boxes"))
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes: expected shape (K, 4), got {b.shape}")
    dt = b.dtype.type
    with np.errstate(divide="ignore"):
        s = np.sqrt((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
        lv = np.floor(dt(canonical_level) + np.log2(s / dt(canonical_scale)) + dt(eps))
    lv = np.clip(lv, k_min, k_max)
    return lv.astype(np.int64) - int(k_min)


def _infer_scale(feature_hw, image_hw) -> float:
    # torchvision: 2 ** round(log2(feature / image)) in float32, from the first (height) dimension.
    approx = np.float32(float(feature_hw[0]) / float(image_hw[0]))
    return float(2.0 ** float(np.round(np.log2(approx))))


class _MultiScaleRoIAlignBase:
    """``torchvision.ops.MultiScaleRoIAlign``: RoIAlign on the FPN level that fits each box.

    ``forward(x, boxes, image_shapes)``: ``x`` a dict of (N, C, H_l, W_l) maps (the
    ``featmap_names`` are used, in order), ``boxes`` a list of (L_i, 4) xyxy per image,
    ``image_shapes`` a list of (h, w). Scales are 2^round(log2(map height / max image height));
    levels from ``fpn_levels`` (canonical 224 px at level 4); aligned=False as torchvision. Output
    (sum L_i, C, PH, PW) in the boxes' order. Works with torch tensors (autograd) or NumPy arrays.
    """

    def __init__(self, featmap_names: Sequence[str], output_size: Union[int, Tuple[int, int]], sampling_ratio: int, *,
                 canonical_scale: int = 224, canonical_level: int = 4) -> None:
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = list(featmap_names)
        self.output_size: Tuple[int, int] = (int(output_size[0]), int(output_size[1]))
        self.sampling_ratio = int(sampling_ratio)
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x: Dict[str, Array], boxes: List[Array], image_shapes: List[Tuple[int, int]]) -> Array:
        maps = [x[k] for k in self.featmap_names]
        if not maps:
            raise ValueError("x: none of featmap_names is present")
        image_hw = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
        scales = [_infer_scale(m.shape[-2:], image_hw) for m in maps]
        rois = _rois_from(list(boxes), maps[0])
        if len(maps) == 1:
            return roi_align(maps[0], rois, self.output_size, scales[0], self.sampling_ratio)
        k_min, k_max = -math.log2(scales[0]), -math.log2(scales[-1])
        torch = _torch() if _is_torch(maps[0]) else None
        if torch is not None:
            box_cat = torch.cat(list(boxes), dim=0) if len(boxes) else torch.zeros((0, 4))
        else:
            box_cat = np.concatenate([np.asarray(as_array(b, "boxes")) for b in boxes], axis=0)
        levels = fpn_levels(box_cat, k_min, k_max, self.canonical_scale, self.canonical_level)
        k, c = rois.shape[0], maps[0].shape[1]
        if torch is not None:
            result = torch.zeros((k, c) + self.output_size, dtype=maps[0].dtype)
        else:
            result = np.zeros((k, c) + self.output_size, dtype=np.asarray(maps[0]).dtype)
        for level, (m, scale) in enumerate(zip(maps, scales)):
            idx = np.nonzero(levels == level)[0]
            if torch is not None:
                idx_t = torch.from_numpy(idx)
                pooled: Any = roi_align(m, rois[idx_t], self.output_size, scale, self.sampling_ratio)
                result[idx_t] = pooled.to(result.dtype)
            else:
                result[idx] = roi_align(m, np.ascontiguousarray(rois[idx]), self.output_size, scale, self.sampling_ratio)
        return result

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(featmap_names={self.featmap_names}, "
                f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio})")


_multiscale_class = None


def __getattr__(name):
    # MultiScaleRoIAlign is a torch.nn.Module when torch is installed (as torchvision's), a plain
    # callable otherwise; created on first access so that importing locuskit never imports torch.
    global _multiscale_class
    if name != "MultiScaleRoIAlign":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _multiscale_class is None:
        try:
            base = _torch().nn.Module
        except ImportError:  # pragma: no cover - torch absent
            base = object
        ns = {"__doc__": _MultiScaleRoIAlignBase.__doc__, "__module__": __name__}
        if base is object:
            ns["__call__"] = _MultiScaleRoIAlignBase.forward
        _multiscale_class = type("MultiScaleRoIAlign", (_MultiScaleRoIAlignBase, base), ns)
    return _multiscale_class


# ------------------------------------------------------------------------------------ IoU-guided NMS
def _out_like(ref, *arrays):
    if _is_torch(ref):
        return tuple(_torch().from_numpy(a) for a in arrays)
    return arrays


def iou_guided_nms(boxes: Array, cls_scores: Array, loc_scores: Array, iou_threshold: float, *,
                   labels: Optional[Array] = None, suppress_equal: bool = False,
                   max_output: Optional[int] = None) -> Tuple[Array, Array]:
    """IoU-guided NMS (IoU-Net Algorithm 1). Returns ``(keep, scores)``.

    Boxes (N, 4) xyxy are ranked by ``loc_scores`` (the predicted IoU), ties by lower index; the best
    is kept and suppresses every remaining box with IoU > ``iou_threshold`` (>= with
    ``suppress_equal``); its classification score becomes the maximum of ``cls_scores`` over itself
    and the boxes it suppresses in that step. ``keep`` (int64) is in selection order, ``scores`` are
    the updated classification scores. With ``labels`` (int64), each label separately, merged by
    descending loc score, then label, then selection order. IoU as torchvision (float32 IoUs
    compared with the double threshold).
    """
    b = as_array(boxes, "boxes")
    out = _roi.iou_guided_nms(b, as_array(cls_scores, "cls_scores"), as_array(loc_scores, "loc_scores"),
                              None if labels is None else as_array(labels, "labels"), float(iou_threshold),
                              bool(suppress_equal), max_output)
    return _out_like(boxes, *out)


def iou_guided_nms_pairwise(iou_matrix: Array, cls_scores: Array, loc_scores: Array, iou_threshold: float, *,
                            suppress_equal: bool = False, max_output: Optional[int] = None) -> Tuple[Array, Array]:
    """IoU-guided NMS over any overlap (rotated, 3D, masks): ``iou_matrix`` (N, N) float64 with the
    IoU of boxes i, j at [i, j] (only the entries the algorithm visits are read). Same rule and
    outputs as ``iou_guided_nms``; scores float64.

    Peer: IoU-Net's Algorithm 1, as ``iou_guided_nms``.
    """
    m = np.ascontiguousarray(as_array(iou_matrix, "iou_matrix"))
    c = np.ascontiguousarray(as_array(cls_scores, "cls_scores"), dtype=np.float64)
    lo = np.ascontiguousarray(as_array(loc_scores, "loc_scores"), dtype=np.float64)
    out = _roi.iou_guided_nms_pairwise(m, c, lo, float(iou_threshold), bool(suppress_equal), max_output)
    return _out_like(iou_matrix, *out)


def iou_aware_scores(cls_scores: Array, loc_scores: Array, alpha: float = 0.5) -> Array:
    """IoU-aware score fusion ``loc^alpha * cls^(1 - alpha)`` (IoU-aware RetinaNet; VarifocalNet
    ranks by the IoU-aware score), both in [0, 1]; alpha in [0, 1]. Feed the result to ``nms`` or
    use it as ``loc_scores`` of ``iou_guided_nms``.

    ``cls_scores``, ``loc_scores`` (N,) float32/float64; returns (N,) in their dtype. Peer: IoU-aware RetinaNet.
    """
    out = _roi.iou_aware_scores(as_array(cls_scores, "cls_scores"), as_array(loc_scores, "loc_scores"), float(alpha))
    return _out_like(cls_scores, out)[0]


# ----------------------------------------------------------------------- optimization-based refinement
def refine_boxes(boxes: "torch.Tensor", iou_predictor: Callable[["torch.Tensor"], "torch.Tensor"], *, steps: int = 5,
                 step_size: float = 1.0, early_stop: float = 1e-3,
                 degeneration_tolerance: float = -1e-2) -> "torch.Tensor":
    """IoU-Net Algorithm 2: refine (K, 4) xyxy ``boxes`` (torch tensor) by normalized gradient ascent
    on a differentiable IoU predictor.

    ``iou_predictor(boxes) -> (K,)`` predicted IoUs, differentiable in ``boxes`` (a callable or a
    torch module, typically PrRoIPool features of the boxes through an IoU head). Per step, each box
    not yet frozen moves by ``step_size * grad * size`` (each coordinate's gradient times the box's
    width or height: ascent in size-normalized coordinates); it is frozen when the predicted IoU
    changes by less than ``early_stop`` or drops by more than ``-degeneration_tolerance`` (the step
    is kept, as in the algorithm). Returns the refined boxes (a new tensor, no grad). The predictor is
    evaluated twice per step. The paper's constants could not be checked here; these defaults are
    the restated algorithm's (see docs/roi.md).
    """
    torch = _torch()
    b = boxes.detach().clone()
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes: expected shape (K, 4), got {tuple(b.shape)}")
    active = torch.ones(b.shape[0], dtype=torch.bool)
    for _ in range(int(steps)):
        if not bool(active.any()):
            break
        x = b.clone().requires_grad_(True)
        prev = iou_predictor(x)
        (grad,) = torch.autograd.grad(prev.sum(), x)
        wh = torch.stack([b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], dim=1).repeat(1, 2)
        moved = b + step_size * grad * wh
        with torch.no_grad():
            new = iou_predictor(moved)
            prev = prev.detach()
        b = torch.where(active[:, None], moved, b)
        stop = ((prev - new).abs() < early_stop) | ((new - prev) < degeneration_tolerance)
        active = active & ~stop
    return b
