"""NMS, IoU and the RoI operators (RoIAlign, PrRoIPool) on the GPU: the CPU semantics of locuskit, on torch CUDA tensors or CuPy arrays.

Available when locuskit was built with CUDA (``LOCUSKIT_WITH_CUDA``, on by default when ``nvcc``
is found) and a CUDA device is present: check :func:`available`. Arrays are used in place
(zero-copy, through ``__cuda_array_interface__``; other DLPack producers on a CUDA device are
wrapped with ``torch.from_dlpack`` / ``cupy.from_dlpack``). Results are arrays of the caller's
library on the same device. Work is queued on the caller's *current stream* (PyTorch's
``torch.cuda.current_stream()``, CuPy's ``cupy.cuda.get_current_stream()``) unless ``stream=`` is
given (a raw ``cudaStream_t`` as int, or an object with ``cuda_stream`` / ``ptr``); temporaries
come from the library's caching allocator.

Semantics equal the CPU path (``locuskit.nms`` etc., and torchvision's CPU ``nms``): scores sorted
descending with ties by lower index, ``IoU > iou_threshold`` suppresses (float32 IoU compared with
the largest float32 <= threshold), degenerate pairs have IoU 0, batched NMS exact per class.

Host synchronisation: ``nms`` / ``batched_nms`` read back one int64 (the kept count) to size the
result, like torchvision; ``multiclass_nms`` has fixed-size outputs and never synchronises.
``validate=True`` (default) checks boxes for NaN/Inf/inverted corners and scores for NaN on the
device and reads the results back at once (one synchronisation), raising ValueError like the CPU
functions; pass ``validate=False`` for a fully asynchronous call on trusted input.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from .ops._nms import MulticlassNMSResult

try:  # the extension exists only in CUDA builds
    from . import _cuda  # type: ignore[attr-defined]
except ImportError as _exc:  # pragma: no cover - depends on the build
    _cuda = None
    _IMPORT_ERROR: "ImportError | None" = _exc
else:
    _IMPORT_ERROR = None

__all__ = ["available", "box_iou", "nms", "batched_nms", "nms_rotated", "batched_nms_rotated", "multiclass_nms",
           "MulticlassNMSResult", "roi_align",
           "roi_align_backward", "prroi_pool", "prroi_pool_backward"]

_DEGENERATE = {"zero": 0, "nan": 1, "one": 2}


def available() -> bool:
    """True when locuskit was built with CUDA and at least one CUDA device is usable."""
    return _cuda is not None and _cuda.device_count() > 0


def _require_built() -> None:
    if _cuda is None:
        raise RuntimeError(
            "locuskit.cuda: locuskit was built without CUDA (LOCUSKIT_WITH_CUDA=OFF or no nvcc at build "
            f"time: {_IMPORT_ERROR}); rebuild with -DLOCUSKIT_WITH_CUDA=ON or use the CPU functions"
        )


class _Array:
    """A C-contiguous CUDA array seen through its library (torch or cupy)."""

    __slots__ = ("obj", "lib", "ptr", "shape", "dtype", "device")

    def __init__(self, obj, lib, ptr, shape, dtype, device):
        self.obj, self.lib, self.ptr, self.shape, self.dtype, self.device = obj, lib, ptr, shape, dtype, device


def _torch():
    import torch

    return torch


def _wrap(x, name: str) -> _Array:
    mod = type(x).__module__ or ""
    if mod.startswith("torch"):
        torch = _torch()
        if isinstance(x, torch.Tensor):
            if x.device.type != "cuda":
                raise ValueError(
                    f"{name}: tensor is on the {x.device} device; locuskit.cuda takes CUDA tensors "
                    "(use the CPU functions, e.g. locuskit.ops, for host arrays)"
                )
            if x.requires_grad:
                x = x.detach()
            if not x.is_contiguous():
                raise ValueError(f"{name}: tensor is not contiguous; pass x.contiguous() "
                                 "(locuskit does not copy inputs implicitly)")
            dtype = str(x.dtype).replace("torch.", "")
            return _Array(x, "torch", x.data_ptr(), tuple(x.shape), dtype, x.device.index)
    if mod.startswith("cupy"):
        import cupy

        if isinstance(x, cupy.ndarray):
            if not x.flags.c_contiguous:
                raise ValueError(f"{name}: array is not C-contiguous; pass cupy.ascontiguousarray(x) "
                                 "(locuskit does not copy inputs implicitly)")
            return _Array(x, "cupy", x.data.ptr, tuple(x.shape), str(x.dtype), x.device.id)
    if hasattr(x, "__dlpack__") and hasattr(x, "__dlpack_device__"):
        device_type, _ = x.__dlpack_device__()
        if device_type in (2, 13):  # kDLCUDA, kDLCUDAManaged
            try:
                return _wrap(_torch().from_dlpack(x), name)
            except ImportError:
                import cupy

                return _wrap(cupy.from_dlpack(x), name)
    if hasattr(x, "__cuda_array_interface__"):
        try:
            import cupy
        except ImportError:
            return _wrap(_torch().as_tensor(x, device="cuda"), name)
        return _wrap(cupy.asarray(x), name)  # zero-copy view of the interface
    raise ValueError(
        f"{name}: expected a CUDA array (torch CUDA tensor, CuPy array, or a DLPack / "
        f"__cuda_array_interface__ object on a CUDA device), got {type(x).__name__} on the host; "
        "use the CPU functions (e.g. locuskit.ops) for host arrays"
    )


def _float_dtype(a: _Array, name: str) -> bool:
    if a.dtype not in ("float32", "float64"):
        raise TypeError(f"{name}: dtype {a.dtype} is not supported; use float32 or float64")
    return a.dtype == "float64"


def _require(a: _Array, name: str, dtype: str, relative_to: str | None = None) -> None:
    if a.dtype != dtype:
        msg = f"{name}: dtype {a.dtype} is not supported; expected {dtype}"
        if relative_to:
            msg += f" (the dtype of {relative_to})"
        raise TypeError(msg)


def _shape_str(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _same_device(first: _Array, *others) -> None:
    for a, name in others:
        if a.device != first.device:
            raise ValueError(f"{name}: array is on CUDA device {a.device}, the other inputs on device {first.device}")


def _threshold(value, name: str) -> float:
    v = float(value)
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"{name}: must lie in [0, 1], got {value}")
    return v


class _Lib:
    """Allocation, stream and read-back in the caller's library."""

    def __init__(self, like: _Array, stream):
        self.kind, self.device = like.lib, like.device
        if self.kind == "torch":
            torch = _torch()
            self.dev = torch.device("cuda", self.device)
            self._stream = torch.cuda.current_stream(self.dev).cuda_stream
        else:
            import cupy

            self.cupy = cupy
            with cupy.cuda.Device(self.device):
                self._stream = cupy.cuda.get_current_stream().ptr
        if stream is not None:
            self._stream = int(getattr(stream, "cuda_stream", getattr(stream, "ptr", stream)))

    @property
    def stream(self) -> int:
        return self._stream

    def empty(self, shape, dtype: str):
        if self.kind == "torch":
            torch = _torch()
            return torch.empty(tuple(shape), dtype=getattr(torch, dtype), device=self.dev)
        with self.cupy.cuda.Device(self.device):
            return self.cupy.empty(tuple(shape), dtype=dtype)

    def to_int32(self, arr):
        """Device-side cast on our stream (the CPU API's int32 classes and counts), no sync."""
        if self.kind == "torch":
            torch = _torch()
            with torch.cuda.stream(torch.cuda.ExternalStream(self._stream, device=self.dev)) if self._stream else _null():
                return arr.to(torch.int32)
        with self.cupy.cuda.Device(self.device), (self.cupy.cuda.ExternalStream(self._stream) if self._stream else _null()):
            return arr.astype("int32")

    def ptr(self, arr) -> int:
        return arr.data_ptr() if self.kind == "torch" else arr.data.ptr

    def read_all(self, arr) -> list:
        """Reads a small int64 device array (a copy ordered on our stream, then a sync of it)."""
        if self.kind == "torch":
            torch = _torch()
            with torch.cuda.stream(torch.cuda.ExternalStream(self._stream, device=self.dev)) if self._stream else _null():
                return [int(v) for v in arr.cpu().tolist()]
        with self.cupy.cuda.Device(self.device):
            host = self.cupy.asnumpy(arr, stream=self.cupy.cuda.ExternalStream(self._stream) if self._stream else None)
            return [int(v) for v in host.reshape(-1)]

    def read_int(self, arr) -> int:
        return self.read_all(arr)[0]


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _check_valid(lib: _Lib, checks) -> None:
    """Runs the device checks of every (array, rows, cols, is_boxes, name) and reads all the results
    back at once (one synchronisation); raises ValueError for the first failing argument."""
    checks = [c for c in checks if c[1] > 0]
    if not checks:
        return
    first = lib.empty((len(checks),), "int64")
    base = lib.ptr(first)
    for i, (a, rows, cols, is_boxes, _) in enumerate(checks):
        _cuda.first_invalid(a.dtype == "float64", a.ptr, rows, cols, is_boxes, base + 8 * i, lib.stream)
    rows_bad = lib.read_all(first)
    for (_, _, _, is_boxes, name), row in zip(checks, rows_bad):
        if row != -1:
            what = ("has a non-finite coordinate or is inverted (x2 < x1 or y2 < y1); boxes must be xyxy with "
                    "finite x1 <= x2 and y1 <= y2") if is_boxes else "is NaN"
            raise ValueError(f"{name}: {'box' if is_boxes else 'element'} {row} {what}")


def box_iou(boxes1: Any, boxes2: Any, *, degenerate: str = "zero", stream: Any = None, validate: bool = True) -> Any:
    """Pairwise IoU (N, M) of (N, 4) and (M, 4) xyxy CUDA arrays, same dtype; bitwise equal to
    ``locuskit.box_iou`` on the CPU. ``degenerate``: value of a pair with union 0 ("zero", "nan", "one")."""
    _require_built()
    a, b = _wrap(boxes1, "boxes1"), _wrap(boxes2, "boxes2")
    f64 = _float_dtype(a, "boxes1")
    _require(b, "boxes2", a.dtype, "boxes1")
    for arr, name in ((a, "boxes1"), (b, "boxes2")):
        if len(arr.shape) != 2 or arr.shape[1] != 4:
            raise ValueError(f"{name}: expected shape (N, 4), got {_shape_str(arr.shape)}")
    _same_device(a, (b, "boxes2"))
    if degenerate not in _DEGENERATE:
        raise ValueError(f"degenerate: expected 'zero', 'nan' or 'one', got '{degenerate}'")
    lib = _Lib(a, stream)
    if validate:
        _check_valid(lib, [(a, a.shape[0], 4, True, "boxes1"), (b, b.shape[0], 4, True, "boxes2")])
    out = lib.empty((a.shape[0], b.shape[0]), a.dtype)
    _cuda.box_iou(f64, a.ptr, a.shape[0], b.ptr, b.shape[0], lib.ptr(out), _DEGENERATE[degenerate], lib.stream)
    return out


def _boxes_scores(boxes, scores):
    bx, sc = _wrap(boxes, "boxes"), _wrap(scores, "scores")
    _float_dtype(bx, "boxes")
    if len(bx.shape) != 2 or bx.shape[1] != 4:
        raise ValueError(f"boxes: expected shape (N, 4), got {_shape_str(bx.shape)}")
    _require(sc, "scores", bx.dtype, "boxes")
    if len(sc.shape) != 1 or sc.shape[0] != bx.shape[0]:
        raise ValueError(f"scores: expected shape ({bx.shape[0]},), got {_shape_str(sc.shape)}")
    _same_device(bx, (sc, "scores"))
    return bx, sc


def _kept_indices(bx, sc, iou_threshold, stream, validate, workspace_bytes, run):
    """The shared tail of nms and batched_nms: threshold, optional device validation, outputs and
    workspace on the caller's library, the extension call, and the one read-back of the kept count."""
    thr = _threshold(iou_threshold, "iou_threshold")
    lib = _Lib(bx, stream)
    n = bx.shape[0]
    f64 = bx.dtype == "float64"
    if validate:
        _check_valid(lib, [(bx, n, 4, True, "boxes"), (sc, n, 1, False, "scores")])
    keep = lib.empty((max(n, 1),), "int64")
    count = lib.empty((1,), "int64")
    ws = lib.empty((workspace_bytes(lib.device, n, f64),), "uint8")
    run(f64, thr, lib.ptr(keep), lib.ptr(count), lib.ptr(ws), ws.shape[0], lib.stream)
    return keep[: lib.read_int(count)]


def nms(boxes: Any, scores: Any, iou_threshold: float, *, stream: Any = None, validate: bool = True) -> Any:
    """Greedy NMS: int64 indices of the kept boxes, sorted by score descending (ties: lower index).

    ``boxes`` (N, 4) xyxy and ``scores`` (N,) CUDA arrays of the same float dtype. Same kept indices
    as the CPU ``nms`` and torchvision's CPU ``nms``. Device memory O(N) (no N x N mask).
    """
    _require_built()
    bx, sc = _boxes_scores(boxes, scores)
    return _kept_indices(bx, sc, iou_threshold, stream, validate, _cuda.nms_workspace,
                         lambda f64, thr, keep, count, ws, ws_bytes, st:
                         _cuda.nms(f64, bx.ptr, sc.ptr, bx.shape[0], thr, keep, count, ws, ws_bytes, st))


def batched_nms(boxes: Any, scores: Any, idxs: Any, iou_threshold: float, *, stream: Any = None,
                validate: bool = True) -> Any:
    """Class-aware NMS (torchvision's ``batched_nms`` signature): boxes with different ``idxs``
    (int64, (N,)) never suppress each other; exact per class (no coordinate-offset trick). Returns
    the kept int64 indices sorted by score descending (ties: lower index). For a batch of images,
    give each (image, class) pair its own id."""
    _require_built()
    bx, sc = _boxes_scores(boxes, scores)
    ids = _wrap(idxs, "idxs")
    _require(ids, "idxs", "int64")
    if len(ids.shape) != 1 or ids.shape[0] != bx.shape[0]:
        raise ValueError(f"idxs: expected shape ({bx.shape[0]},), got {_shape_str(ids.shape)}")
    _same_device(bx, (sc, "scores"), (ids, "idxs"))
    return _kept_indices(bx, sc, iou_threshold, stream, validate, _cuda.batched_nms_workspace,
                         lambda f64, thr, keep, count, ws, ws_bytes, st:
                         _cuda.batched_nms(f64, bx.ptr, sc.ptr, ids.ptr, bx.shape[0], thr, keep, count, ws,
                                           ws_bytes, st))


def multiclass_nms(boxes: Any, scores: Any, *, score_threshold: float = 0.0, iou_threshold: float = 0.5,
                   max_output_per_class: Optional[int] = None, max_total: int = 100, class_agnostic: bool = False,
                   stream: Any = None, validate: bool = True) -> MulticlassNMSResult:
    """Batched multi-class NMS with padded outputs (EfficientNMS / TF ``combined_non_max_suppression``
    layout), exact and deterministic: the GPU twin of :func:`locuskit.multiclass_nms`, with the same
    arguments and the same :class:`MulticlassNMSResult` (classes and counts int32, indices int64).

    ``boxes`` (B, N, 4) shared by all classes or (B, N, C, 4) per class, xyxy; ``scores`` (B, N, C).
    Per image and class, the candidates with score > ``score_threshold`` go through greedy NMS
    (``IoU > iou_threshold`` suppresses) keeping at most ``max_output_per_class``; with
    ``class_agnostic`` all classes of an image form one candidate list (the cap then applies to it).
    Each image's kept detections are ordered by score descending, ties by (box index, class), and
    the first ``max_total`` are returned. No host synchronisation (fixed-size outputs) when
    ``validate=False``.
    """
    _require_built()
    bx, sc = _wrap(boxes, "boxes"), _wrap(scores, "scores")
    f64 = _float_dtype(bx, "boxes")
    _require(sc, "scores", bx.dtype, "boxes")
    if len(sc.shape) != 3:
        raise ValueError(f"scores: expected shape (B, N, C), got {_shape_str(sc.shape)}")
    B, N, C = sc.shape
    if tuple(bx.shape) == (B, N, 4):
        per_class = False
    elif tuple(bx.shape) == (B, N, C, 4):
        per_class = True
    else:
        raise ValueError(f"boxes: expected shape ({B}, {N}, 4) or ({B}, {N}, {C}, 4) to match scores "
                         f"{_shape_str(sc.shape)}, got {_shape_str(bx.shape)}")
    _same_device(bx, (sc, "scores"))
    thr = _threshold(iou_threshold, "iou_threshold")
    sthr = float(score_threshold)
    if sthr != sthr:
        raise ValueError("score_threshold: is NaN")
    if max_output_per_class is None:  # unlimited, as on the CPU
        max_output_per_class = max(N, 1) * (C if class_agnostic else 1)
    if int(max_output_per_class) < 0 or int(max_total) < 0:
        raise ValueError(f"max_output_per_class and max_total must be >= 0, got {max_output_per_class}, {max_total}")
    if B * N * C >= 2**31:
        raise ValueError(f"scores: {B}*{N}*{C} elements exceed the 2^31 limit of one call; split the batch")
    K = int(max_total)
    lib = _Lib(bx, stream)
    if validate:
        _check_valid(lib, [(bx, B * N * (C if per_class else 1), 4, True, "boxes"),
                           (sc, B * N * C, 1, False, "scores")])
    out_boxes = lib.empty((B, K, 4), bx.dtype)
    out_scores = lib.empty((B, K), bx.dtype)
    out_classes = lib.empty((B, K), "int64")
    out_indices = lib.empty((B, K), "int64")
    counts = lib.empty((B,), "int64")
    args = (B, N, C, per_class, int(max_output_per_class), K, bool(class_agnostic))
    ws = lib.empty((_cuda.multiclass_nms_workspace(lib.device, *args, f64),), "uint8")
    _cuda.multiclass_nms(f64, bx.ptr, sc.ptr, *args, sthr, thr, lib.ptr(out_boxes), lib.ptr(out_scores),
                         lib.ptr(out_classes), lib.ptr(out_indices), lib.ptr(counts), lib.ptr(ws), ws.shape[0],
                         lib.stream)
    return MulticlassNMSResult(out_boxes, out_scores, lib.to_int32(out_classes), out_indices, lib.to_int32(counts))


# ----------------------------------------------------------------------------------- RoI operators
# IouRule, rotated::AngleConvention and RotatedIouMode as the C++ enums number them.
_ROTATED_RULES = {"torchvision": 0, ">": 0, "cuda": 1, ">=": 2, "greater_equal": 2}
_ANGLE_CONVENTIONS = {"degrees_ccw": 0, "radians_cw": 1, "radians_ccw": 2, "degrees_cw": 3}
_ROTATED_IOU = {"exact": 0, "detectron2": 1}


def _rotated_kept(boxes, scores, idxs, iou_threshold, rule, angle_convention, iou, max_output, stream, validate):
    """nms_rotated / batched_nms_rotated on the device: the arguments of the CPU functions, checked
    the same way, then gpu::nms_rotated or gpu::batched_nms_rotated and one read-back of the count."""
    bx, sc = _wrap(boxes, "boxes"), _wrap(scores, "scores")
    f64 = _float_dtype(bx, "boxes")
    if len(bx.shape) != 2 or bx.shape[1] != 5:
        raise ValueError(f"boxes: expected shape (N, 5) (cx, cy, w, h, angle), got {_shape_str(bx.shape)}")
    n = bx.shape[0]
    _require(sc, "scores", bx.dtype, "boxes")
    if len(sc.shape) != 1 or sc.shape[0] != n:
        raise ValueError(f"scores: expected shape ({n},), got {_shape_str(sc.shape)}")
    _same_device(bx, (sc, "scores"))
    ids = None
    if idxs is not None:
        ids = _wrap(idxs, "idxs")
        _require(ids, "idxs", "int64")
        if len(ids.shape) != 1 or ids.shape[0] != n:
            raise ValueError(f"idxs: expected shape ({n},), got {_shape_str(ids.shape)}")
        _same_device(bx, (ids, "idxs"))
    thr = _threshold(iou_threshold, "iou_threshold")
    if rule not in _ROTATED_RULES:
        raise ValueError(f"rule: expected 'torchvision' (or '>'), 'cuda' or '>=', got '{rule}'")
    if angle_convention not in _ANGLE_CONVENTIONS:
        raise ValueError("angle_convention: expected 'degrees_ccw', 'radians_cw', 'radians_ccw' or 'degrees_cw', "
                         f"got '{angle_convention}'")
    if iou not in _ROTATED_IOU:
        raise ValueError(f"iou: expected 'exact' or 'detectron2', got '{iou}'")
    if iou == "detectron2" and angle_convention != "degrees_ccw":
        raise ValueError("iou: 'detectron2' needs angle_convention 'degrees_ccw' (detectron2's)")
    if max_output is None:
        cap = 2**64 - 1
    else:
        if isinstance(max_output, bool) or not isinstance(max_output, int):
            raise TypeError(f"max_output: expected an int or None, got {type(max_output).__name__}")
        if max_output < 0:
            raise ValueError(f"max_output: must be >= 0, got {max_output}")
        cap = max_output
    lib = _Lib(bx, stream)
    if validate:  # NaN coordinates and scores (the device check; the CPU path also rejects Inf boxes)
        _check_valid(lib, [(bx, n, 5, False, "boxes"), (sc, n, 1, False, "scores")])
    keep = lib.empty((max(n, 1),), "int64")
    count = lib.empty((1,), "int64")
    ws = lib.empty((_cuda.nms_rotated_workspace(lib.device, n, ids is not None, f64),), "uint8")
    _cuda.nms_rotated(f64, bx.ptr, sc.ptr, ids.ptr if ids is not None else 0, n, thr, _ROTATED_RULES[rule],
                      _ANGLE_CONVENTIONS[angle_convention], _ROTATED_IOU[iou], cap, lib.ptr(keep), lib.ptr(count),
                      lib.ptr(ws), ws.shape[0], lib.stream)
    return keep[: lib.read_int(count)]


def nms_rotated(boxes: Any, scores: Any, iou_threshold: float, *, rule: str = ">=",
                angle_convention: str = "degrees_ccw", iou: str = "exact", max_output: Optional[int] = None,
                stream: Any = None, validate: bool = True) -> Any:
    """Greedy NMS of rotated boxes on the GPU (``gpu::nms_rotated``): the twin of
    :func:`locuskit.ops.nms_rotated`, same arguments, same kept int64 indices (score order, ties by
    lower index). ``boxes`` (N, 5) ``(cx, cy, w, h, angle)`` and ``scores`` (N,) CUDA arrays of the
    same float dtype. The pairwise IoU is the CPU's host-device code (exact clipping, or
    detectron2's float arithmetic with ``iou="detectron2"``). Device memory O(N)."""
    _require_built()
    return _rotated_kept(boxes, scores, None, iou_threshold, rule, angle_convention, iou, max_output, stream, validate)


def batched_nms_rotated(boxes: Any, scores: Any, idxs: Any, iou_threshold: float, *, rule: str = ">=",
                        angle_convention: str = "degrees_ccw", iou: str = "exact", max_output: Optional[int] = None,
                        stream: Any = None, validate: bool = True) -> Any:
    """Class-aware rotated NMS on the GPU (``gpu::batched_nms_rotated``): the twin of
    :func:`locuskit.ops.batched_nms_rotated`; boxes with different ``idxs`` (int64, (N,)) never
    suppress each other, exactly (no coordinate offset). Options as :func:`nms_rotated`."""
    _require_built()
    return _rotated_kept(boxes, scores, idxs, iou_threshold, rule, angle_convention, iou, max_output, stream, validate)


def _roi_inputs(input: Any, rois: Any, name_in: str = "input") -> tuple[_Array, _Array, bool]:
    """(N, C, H, W) features and (K, 5) rois on one CUDA device, same float dtype; the rois are
    validated on a host copy (K x 5 values: one small read-back) as the CPU operators do."""
    f, r = _wrap(input, name_in), _wrap(rois, "rois")
    f64 = _float_dtype(f, name_in)
    if len(f.shape) != 4:
        raise ValueError(f"{name_in}: expected shape (N, C, H, W), got {_shape_str(f.shape)}")
    _require(r, "rois", f.dtype, name_in)
    if len(r.shape) != 2 or r.shape[1] != 5:
        raise ValueError(f"rois: expected shape (K, 5) rows (batch_index, x1, y1, x2, y2), got {_shape_str(r.shape)}")
    _same_device(f, (r, "rois"))
    return f, r, f64


def _validate_rois(lib: _Lib, r: _Array, batch: int, spatial_scale: float) -> None:
    if r.shape[0] == 0:
        return
    if lib.kind == "torch":
        torch = _torch()
        with torch.cuda.stream(torch.cuda.ExternalStream(lib.stream, device=lib.dev)) if lib.stream else _null():
            host = r.obj.detach().to("cpu", torch.float64).numpy()
    else:
        with lib.cupy.cuda.Device(lib.device):
            host = lib.cupy.asnumpy(r.obj, stream=lib.cupy.cuda.ExternalStream(lib.stream) if lib.stream else None)
    _cuda.check_rois(host, batch, float(spatial_scale))


def _pooled(output_size: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    ph, pw = (int(v) for v in output_size)
    if ph <= 0 or pw <= 0:
        raise ValueError(f"output_size: must be positive, got {output_size}")
    return ph, pw


def _pooled_forward(kernel: str, input: Any, rois: Any, output_size: int | tuple[int, int], spatial_scale: float,
                    stream: Any, validate: bool, *options: Any) -> Any:
    """The shared front of roi_align and prroi_pool: checks, roi validation, the (K, C, PH, PW)
    output, then `_cuda.<kernel>(f64, features, N, C, H, W, rois, K, PH, PW, spatial_scale, *options, out, stream)`."""
    _require_built()
    f, r, f64 = _roi_inputs(input, rois)
    ph, pw = _pooled(output_size)
    lib = _Lib(f, stream)
    N, C, H, W = f.shape
    if validate:
        _validate_rois(lib, r, N, spatial_scale)
    out = lib.empty((r.shape[0], C, ph, pw), f.dtype)
    getattr(_cuda, kernel)(f64, f.ptr, N, C, H, W, r.ptr, r.shape[0], ph, pw, float(spatial_scale), *options,
                           lib.ptr(out), lib.stream)
    return out


def roi_align(input: Any, rois: Any, output_size: int | tuple[int, int], spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False, *, stream: Any = None, validate: bool = True) -> Any:
    """RoIAlign on the GPU (``torchvision.ops.roi_align`` semantics): ``input`` (N, C, H, W),
    ``rois`` (K, 5) ``(batch_index, x1, y1, x2, y2)`` CUDA arrays of one float dtype; returns
    (K, C, PH, PW). Bitwise equal to ``locuskit.roi.roi_align`` on the CPU (built from the same
    host-device code, ``-fmad=false``). No autograd here: ``locuskit.roi.roi_align`` routes CUDA
    tensors to this function and its backward."""
    return _pooled_forward("roi_align_forward", input, rois, output_size, spatial_scale,
                           stream, validate, int(sampling_ratio), bool(aligned))


def roi_align_backward(grad_output: Any, rois: Any, input_shape: Sequence[int], spatial_scale: float = 1.0,
                       sampling_ratio: int = -1, aligned: bool = False, *, stream: Any = None,
                       validate: bool = True) -> Any:
    """Gradient of :func:`roi_align` with respect to its input, shape ``input_shape`` (N, C, H, W):
    atomic adds as torchvision's CUDA kernel, so equal to the CPU gradient up to summation order."""
    _require_built()
    g, r = _wrap(grad_output, "grad_output"), _wrap(rois, "rois")
    f64 = _float_dtype(g, "grad_output")
    _require(r, "rois", g.dtype, "grad_output")
    N, C, H, W = (int(v) for v in input_shape)
    if len(g.shape) != 4 or g.shape[0] != r.shape[0] or g.shape[1] != C:
        raise ValueError(f"grad_output: expected shape ({r.shape[0]}, {C}, PH, PW), got {_shape_str(g.shape)}")
    _same_device(g, (r, "rois"))
    lib = _Lib(g, stream)
    if validate:
        _validate_rois(lib, r, N, spatial_scale)
    grad = lib.empty((N, C, H, W), g.dtype)
    _cuda.roi_align_backward(f64, g.ptr, N, C, H, W, r.ptr, r.shape[0], g.shape[2], g.shape[3], float(spatial_scale),
                             int(sampling_ratio), bool(aligned), lib.ptr(grad), lib.stream)
    return grad


def prroi_pool(input: Any, rois: Any, output_size: int | tuple[int, int], spatial_scale: float = 1.0, *,
               stream: Any = None, validate: bool = True) -> Any:
    """Precise RoI Pooling on the GPU (``locuskit.roi.prroi_pool`` semantics), (K, C, PH, PW);
    bitwise equal to the CPU forward."""
    return _pooled_forward("prroi_pool_forward", input, rois, output_size, spatial_scale,
                           stream, validate)


def prroi_pool_backward(input: Any, rois: Any, grad_output: Any, spatial_scale: float = 1.0, *, stream: Any = None,
                        validate: bool = True) -> tuple[Any, Any]:
    """Gradients of :func:`prroi_pool`: ``(grad_input (N, C, H, W), grad_rois (K, 5))`` (batch-index
    column 0); equal to the CPU backward up to summation order (atomic adds)."""
    _require_built()
    f, r, f64 = _roi_inputs(input, rois)
    g = _wrap(grad_output, "grad_output")
    _require(g, "grad_output", f.dtype, "input")
    N, C, H, W = f.shape
    if len(g.shape) != 4 or g.shape[0] != r.shape[0] or g.shape[1] != C:
        raise ValueError(f"grad_output: expected shape ({r.shape[0]}, {C}, PH, PW), got {_shape_str(g.shape)}")
    _same_device(f, (g, "grad_output"))
    lib = _Lib(f, stream)
    if validate:
        _validate_rois(lib, r, N, spatial_scale)
    grad_f = lib.empty((N, C, H, W), f.dtype)
    grad_r = lib.empty((r.shape[0], 5), f.dtype)
    ws = lib.empty((max(1, _cuda.prroi_pool_backward_workspace(r.shape[0])),), "uint8")
    _cuda.prroi_pool_backward(f64, f.ptr, g.ptr, N, C, H, W, r.ptr, r.shape[0], g.shape[2], g.shape[3],
                              float(spatial_scale), lib.ptr(grad_f), lib.ptr(grad_r), lib.ptr(ws), ws.shape[0],
                              lib.stream)
    return grad_f, grad_r
