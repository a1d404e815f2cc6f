"""Non-maximum suppression family: hard, batched, soft, DIoU, matrix, fast, cluster, weighted NMS,
weighted boxes fusion, batched multi-class NMS, and rotated-box NMS (detectron2's ``nms_rotated``,
``batched_nms_rotated``, plus ``soft_nms_rotated``; boxes ``(N, 5)`` ``(cx, cy, w, h, angle)``).

Inputs are xyxy boxes ``(N, 4)`` and scores ``(N,)`` of the same dtype, float32 or float64 (NumPy,
or anything with DLPack / the buffer protocol such as CPU torch tensors), C-contiguous. NaN/Inf or
inverted boxes, NaN scores and thresholds outside [0, 1] raise ValueError. Indices are int64.

``rule`` picks the IoU-threshold comparison: ``"torchvision"`` (default, ``iou > thr`` exactly as
torchvision's CPU kernel: float32 IoUs compare against the largest float32 <= thr), ``"cuda"``
(``iou > float32(thr)``, torchvision/mmcv CUDA) or ``">="`` (TensorRT EfficientNMS).
"""
from __future__ import annotations

import sys
from typing import NamedTuple

import numpy as np

from .. import _arrays, _core
from .._arrays import _TORCH_OPS, as_array, as_ids, tensor_io
from .._args import INT32_MAX, integer

__all__ = [
    "MulticlassNMSResult",
    "nms",
    "batched_nms",
    "soft_nms",
    "diou_nms",
    "matrix_nms",
    "fast_nms",
    "cluster_nms",
    "weighted_nms",
    "weighted_boxes_fusion",
    "multiclass_nms",
    "nms_rotated",
    "batched_nms_rotated",
    "soft_nms_rotated",
]


def nms(boxes, scores, iou_threshold: float, *, rule: str = "torchvision", max_output=None) -> np.ndarray:
    """Greedy NMS; kept indices (int64) by decreasing score. Identical to ``torchvision.ops.nms``.

    Ties in score keep the lower index first (stable sort). ``max_output`` keeps only the first
    that many (the result's prefix). O(N) memory, SIMD; see docs/nms.md.
    """
    # The training-loop call (issue 16) goes straight to the kernel: two contiguous CPU tensors of
    # one float dtype, (N, 4) and (N,), once torch.ops.locuskit is registered; their buffers are
    # passed by address (tensor.numpy() costs ~1 us each). Every other call takes the general
    # path, with the same result and the same errors.
    if max_output is None and _TORCH_OPS[0]:
        torch = sys.modules["torch"]
        tensor = torch.Tensor
        if (type(boxes) is tensor and type(scores) is tensor and boxes.is_cpu and scores.is_cpu
                and not _arrays._is_cuda(boxes)  # the one device check of tensor_io (tests mock it)
                and boxes.layout is torch.strided and scores.layout is torch.strided
                and boxes.dim() == 2 and scores.dim() == 1 and boxes.is_contiguous() and scores.is_contiguous()
                and not boxes.is_neg() and not scores.is_neg()):
            dtype = boxes.dtype
            n, columns = boxes.shape
            if (dtype is scores.dtype and (dtype is torch.float32 or dtype is torch.float64) and columns == 4
                    and scores.shape[0] == n):
                return torch.from_numpy(_core.nms.nms_buffers(boxes.data_ptr(), scores.data_ptr(), n,
                                                              dtype is torch.float64, float(iou_threshold), rule))
    return _nms_general(boxes, scores, iou_threshold, rule=rule, max_output=max_output)


def _nms_general(boxes, scores, iou_threshold: float, *, rule: str = "torchvision", max_output=None) -> np.ndarray:
    return _core.nms.nms(as_array(boxes, "boxes"), as_array(scores, "scores"), float(iou_threshold), rule,
                     integer(max_output, "max_output", allow_none=True))


# Named "nms" for tensor_io (CUDA tensors go to locuskit.cuda.nms by this name; messages name it).
_nms_general.__name__ = _nms_general.__qualname__ = "nms"
_nms_general = tensor_io(_nms_general)


@tensor_io
def batched_nms(boxes, scores, idxs, iou_threshold: float, *, rule: str = "torchvision", max_output=None) -> np.ndarray:
    """Per-class NMS (``idxs`` int64 class ids): exactly torchvision's per-class loop, for any
    coordinates (never the coordinate-offset trick). Kept indices by decreasing score, ties by index."""
    return _core.nms.batched_nms(as_array(boxes, "boxes"), as_array(scores, "scores"), as_ids(idxs, "idxs"),
                             float(iou_threshold), rule, integer(max_output, "max_output", allow_none=True))


@tensor_io
def soft_nms(boxes, scores, *, method: str = "gaussian", iou_threshold: float = 0.3, sigma: float = 0.5,
             score_threshold: float = 0.0, rule: str = "torchvision", max_output=None):
    """Soft-NMS (``cv2.dnn.softNMSBoxes`` semantics). Returns ``(keep, updated_scores)``.

    Repeatedly selects the highest remaining score (ties: lower index), stopping when it is below
    ``score_threshold``; decays the others by ``exp(-iou**2 / sigma)`` (gaussian) or ``1 - iou``
    where ``iou > iou_threshold`` (linear; ``rule=">="`` for mmcv). ``updated_scores`` are the
    scores at selection. ``rule="opencv"`` reproduces ``cv2.dnn.softNMSBoxes`` bit for bit on
    integer boxes (its overlap in double rounded to float32, compared with a float32 threshold;
    scalar); the default computes the IoU in the input dtype (SIMD), which differs from OpenCV in
    the last bits and so, at a threshold the IoU hits exactly, in which boxes decay (docs/nms.md).
    """
    return _core.nms.soft_nms(as_array(boxes, "boxes"), as_array(scores, "scores"), method, float(iou_threshold),
                          float(sigma), float(score_threshold), rule,
                          integer(max_output, "max_output", allow_none=True))


@tensor_io
def diou_nms(boxes, scores, iou_threshold: float, *, beta: float = 1.0, rule: str = "torchvision") -> np.ndarray:
    """DIoU-NMS (YOLOv4): greedy, suppressing when ``IoU - (rho^2/c^2)**beta > iou_threshold``.
    ``beta=1`` is the paper, darknet uses 0.6."""
    return _core.nms.diou_nms(as_array(boxes, "boxes"), as_array(scores, "scores"), float(iou_threshold), float(beta), rule)


@tensor_io
def matrix_nms(boxes, scores, labels=None, *, kernel: str = "gaussian", sigma: float = 2.0,
               filter_threshold: float = -1.0, pre_top_k=None, max_output=None):
    """Matrix NMS (SOLOv2 / mmdet ``mask_matrix_nms``) on boxes. Returns ``(keep, decayed_scores)``
    sorted by decayed score; keeps decayed scores >= ``filter_threshold``."""
    lab = None if labels is None else as_ids(labels, "labels")
    return _core.nms.matrix_nms(as_array(boxes, "boxes"), as_array(scores, "scores"), lab, kernel, float(sigma),
                            float(filter_threshold), integer(pre_top_k, "pre_top_k", allow_none=True),
                            integer(max_output, "max_output", allow_none=True))


@tensor_io
def fast_nms(boxes, scores, iou_threshold: float, *, top_k=None, rule: str = "torchvision") -> np.ndarray:
    """Fast NMS (YOLACT): keep a box iff no higher-scored box overlaps it by more than the threshold."""
    return _core.nms.fast_nms(as_array(boxes, "boxes"), as_array(scores, "scores"), float(iou_threshold),
                          integer(top_k, "top_k", allow_none=True), rule)


@tensor_io
def cluster_nms(boxes, scores, iou_threshold: float, *, top_k=None, rule: str = "torchvision") -> np.ndarray:
    """Cluster-NMS: iterated Fast NMS; converges to exactly ``nms`` (same indices, same order)."""
    return _core.nms.cluster_nms(as_array(boxes, "boxes"), as_array(scores, "scores"), float(iou_threshold),
                             integer(top_k, "top_k", allow_none=True), rule)


@tensor_io
def weighted_nms(boxes, scores, iou_threshold: float, *, rule: str = "torchvision"):
    """Weighted NMS: the ``nms`` result, each kept box replaced by the score-weighted mean of itself
    and the boxes it suppresses. Returns ``(keep, fused_boxes)``."""
    return _core.nms.weighted_nms(as_array(boxes, "boxes"), as_array(scores, "scores"), float(iou_threshold), rule)


@tensor_io
def weighted_boxes_fusion(boxes_list, scores_list, labels_list, weights=None, iou_thr: float = 0.55,
                          skip_box_thr: float = 0.0, conf_type: str = "avg", allows_overflow: bool = False):
    """Weighted Boxes Fusion with ``ensemble_boxes.weighted_boxes_fusion`` semantics.

    ``boxes_list[m]`` (N_m, 4) normalised xyxy, ``scores_list[m]`` (N_m,), ``labels_list[m]`` (N_m,)
    for each model m; ``weights`` one per model (default 1). Returns ``(boxes, scores, labels)``
    sorted by fused confidence (labels int64).
    """
    if not (len(boxes_list) == len(scores_list) == len(labels_list)):
        raise ValueError("boxes_list, scores_list and labels_list must have one entry per model")
    num_models = len(boxes_list)
    b = [as_array(x, f"boxes_list[{i}]") for i, x in enumerate(boxes_list)]
    dtype = b[0].dtype if b else np.dtype(np.float32)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"boxes_list[0]: dtype {dtype} is not supported; use float32 or float64")
    for i, x in enumerate(b):
        if x.dtype != dtype:
            raise TypeError(f"boxes_list[{i}]: dtype {x.dtype} differs from boxes_list[0] ({dtype})")
    s = [as_array(x, f"scores_list[{i}]") for i, x in enumerate(scores_list)]
    lab = [np.asarray(as_array(x, f"labels_list[{i}]")) for i, x in enumerate(labels_list)]
    for i in range(num_models):
        if b[i].ndim != 2 or b[i].shape[1] != 4:
            if b[i].size == 0:
                b[i] = b[i].reshape(0, 4)
            else:
                raise ValueError(f"boxes_list[{i}]: expected shape (N, 4), got {b[i].shape}")
        if s[i].shape != (len(b[i]),) or lab[i].shape != (len(b[i]),):
            raise ValueError(f"scores_list[{i}] / labels_list[{i}]: expected shape ({len(b[i])},)")
        if lab[i].size and not np.all(np.isfinite(lab[i].astype(np.float64))):
            raise ValueError(f"labels_list[{i}]: non-finite label")
    if weights is None:
        weights = np.ones(num_models, dtype)
    w = np.ascontiguousarray(as_array(weights, "weights"), dtype=dtype)
    if w.shape != (num_models,):
        raise ValueError(f"weights: expected shape ({num_models},), got {w.shape}")
    boxes = np.ascontiguousarray(np.concatenate(b, 0) if b else np.zeros((0, 4), dtype), dtype=dtype)
    scores = np.ascontiguousarray(np.concatenate(s) if s else np.zeros(0, dtype), dtype=dtype)
    labels = np.ascontiguousarray(np.concatenate(lab).astype(np.int64) if lab else np.zeros(0, np.int64))
    models = np.repeat(np.arange(num_models, dtype=np.int64), [len(x) for x in b])
    return _core.nms.weighted_boxes_fusion(boxes, scores, labels, models, w, float(iou_thr), float(skip_box_thr),
                                       conf_type, bool(allows_overflow))


class MulticlassNMSResult(NamedTuple):
    """Padded per-image detections of :func:`multiclass_nms` (K = ``max_total``); unpacks as a tuple.

    Shared with ``locuskit.cuda.multiclass_nms``, which returns the same fields on the device.
    """

    boxes: object    #: (B, K, 4) xyxy, zeros past counts[b]
    scores: object   #: (B, K), zeros past counts[b]
    classes: object  #: (B, K) int32 class index, -1 past counts[b]
    indices: object  #: (B, K) int64 box index n into the input, -1 past counts[b]
    counts: object   #: (B,) int32 number of valid detections per image


@tensor_io
def multiclass_nms(boxes, scores, *, score_threshold: float = 0.0, iou_threshold: float = 0.5,
                   max_output_per_class=None, max_total: int = 100, max_candidates: int = 0,
                   class_agnostic: bool = False, rule: str = "torchvision"):
    """Batched multi-class NMS in the TensorRT EfficientNMS / TF ``combined_non_max_suppression`` layout.

    ``boxes`` (B, N, 4) shared by classes or (B, N, C, 4) per class, ``scores`` (B, N, C). Returns
    ``(boxes (B, K, 4), scores (B, K), classes (B, K) int32, indices (B, K) int64, counts (B,) int32)``
    with K = ``max_total``; rows past ``counts[b]`` are zero (boxes, scores) or -1 (classes, indices).
    Candidates need ``score > score_threshold``; order is score descending, ties by box index then
    class. ``max_candidates`` caps candidates per image before NMS (EfficientNMS uses 4096).
    """
    # counts are int32 (the EfficientNMS layout), so K fits int32.
    max_total = integer(max_total, "max_total", maximum=INT32_MAX)
    max_candidates = integer(max_candidates, "max_candidates")
    max_output_per_class = integer(max_output_per_class, "max_output_per_class", allow_none=True)
    return MulticlassNMSResult(*_core.nms.multiclass_nms(as_array(boxes, "boxes"), as_array(scores, "scores"), float(score_threshold),
                                float(iou_threshold), max_output_per_class, max_total, max_candidates,
                                bool(class_agnostic), rule))


@tensor_io
def nms_rotated(boxes, scores, iou_threshold: float, *, rule: str = ">=", angle_convention: str = "degrees_ccw",
                iou: str = "exact", max_output=None) -> np.ndarray:
    """Greedy NMS of rotated boxes ``(N, 5)`` ``(cx, cy, w, h, angle)`` (detectron2 ``nms_rotated``).

    Kept indices (int64) by decreasing score, ties by lower index. Suppresses on ``IoU >=
    iou_threshold`` (detectron2's CPU kernel; ``rule=">"`` for its CUDA kernel). ``iou="exact"``
    (default) clips exactly; ``iou="detectron2"`` reproduces detectron2's float arithmetic, and
    with it its kept indices bit for bit. ``angle_convention``: ``"degrees_ccw"`` (detectron2),
    ``"radians_cw"`` (mmcv/mmrotate), ``"radians_ccw"``, ``"degrees_cw"`` (OpenCV). Zero-area
    pairs have IoU 0. See docs/nms.md.
    """
    return _core.nms.nms_rotated(as_array(boxes, "boxes"), as_array(scores, "scores"), None, float(iou_threshold), rule,
                             angle_convention, iou, integer(max_output, "max_output", allow_none=True))


@tensor_io
def batched_nms_rotated(boxes, scores, idxs, iou_threshold: float, *, rule: str = ">=",
                        angle_convention: str = "degrees_ccw", iou: str = "exact", max_output=None) -> np.ndarray:
    """Per-class rotated NMS (``idxs`` int64 class ids), detectron2 ``batched_nms_rotated``: classes
    never interact (exactly, without detectron2's float32 coordinate offsets). Kept indices by
    decreasing score, ties by index. Options as :func:`nms_rotated`."""
    return _core.nms.nms_rotated(as_array(boxes, "boxes"), as_array(scores, "scores"), as_ids(idxs, "idxs"),
                             float(iou_threshold), rule, angle_convention, iou,
                             integer(max_output, "max_output", allow_none=True))


@tensor_io
def soft_nms_rotated(boxes, scores, *, method: str = "gaussian", iou_threshold: float = 0.3, sigma: float = 0.5,
                     score_threshold: float = 0.0, rule: str = "torchvision", angle_convention: str = "degrees_ccw",
                     iou: str = "exact", max_output=None):
    """Soft-NMS of rotated boxes ``(N, 5)``: :func:`soft_nms`'s rules with the rotated IoU.
    Returns ``(keep, updated_scores)``."""
    return _core.nms.soft_nms_rotated(as_array(boxes, "boxes"), as_array(scores, "scores"), method,
                                  float(iou_threshold), float(sigma), float(score_threshold), rule,
                                  angle_convention, iou, integer(max_output, "max_output", allow_none=True))
