"""COCO run-length encoded masks: a drop-in for ``pycocotools.mask``.

``from locuskit import mask as maskUtils`` gives ``encode``, ``decode``, ``merge``, ``area``,
``toBbox``, ``iou`` and ``frPyObjects`` with pycocotools 2.0.11's inputs, dispatch, output types
and values bit for bit: RLEs are dicts ``{"size": [h, w], "counts": bytes}``, masks are
Fortran-ordered ``uint8`` arrays of shape ``(h, w)`` or ``(h, w, n)``, areas ``uint32``, boxes
``float64`` ``[x, y, w, h]``. The work is done by locuskit's C++ core (``include/locuskit/mask/``);
``iou`` of many RLE pairs runs on several threads (``locuskit.set_num_threads``) without decoding.

Deliberate differences (docs/mask.md): a corrupt compressed string (a character outside
``'0'..'o'``, a value cut short) raises ValueError instead of being read as garbage; ``decode``
fills pixels its counts do not reach with 0 (pycocotools leaves them uninitialised) and raises
ValueError on an empty list; ``encode`` of a 1-D or 4-D array raises ValueError (pycocotools
returns None); non-contiguous box arrays are copied once instead of being read as if contiguous.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Union

import numpy as np

from ._core import mask as _mask

#: One COCO run-length encoding: ``{"size": [h, w], "counts": bytes}``.
Rle = Dict[str, Any]

__all__ = ["area", "decode", "encode", "frPyObjects", "iou", "merge", "toBbox"]


def encode(bimask: np.ndarray) -> Union[Rle, List[Rle]]:
    """RLE of a binary mask: ``(h, w)`` -> one dict, ``(h, w, n)`` -> a list of dicts.

    The array must be uint8 (or bool) and Fortran-contiguous, as in pycocotools: a C-ordered
    ``(h, w)`` array with h, w > 1 raises ``ValueError: ndarray is not Fortran contiguous``
    (use ``np.asfortranarray``). A run ends wherever the byte value changes, so masks should hold
    only 0 and one other value.
    """
    if not isinstance(bimask, np.ndarray):
        raise TypeError(f"encode: expected a numpy.ndarray, got {type(bimask).__name__}")
    if bimask.ndim == 3:
        return _mask.encode(bimask)
    if bimask.ndim == 2:
        h, w = bimask.shape
        return _mask.encode(bimask.reshape((h, w, 1), order="F"))[0]
    raise ValueError(f"encode: expected a (h, w) or (h, w, n) mask, got shape {bimask.shape}")


def decode(rleObjs: Union[Rle, List[Rle]]) -> np.ndarray:
    """Binary masks of RLE dicts: a list -> ``(h, w, n)``, one dict -> ``(h, w)`` (uint8, F-order).

    Raises ``ValueError("Invalid RLE mask representation")`` when the counts sum past h*w*n."""
    if isinstance(rleObjs, list):
        return _mask.decode(rleObjs)
    return _mask.decode([rleObjs])[:, :, 0]


def merge(rleObjs: List[Rle], intersect: Union[bool, int] = 0) -> Rle:
    """Union (``intersect=0``) or intersection of a list of RLE dicts, as one RLE dict. An empty
    list, or members of different sizes, give ``{"size": [0, 0], "counts": b""}``."""
    return _mask.merge(rleObjs, bool(intersect))


def area(rleObjs: Union[Rle, List[Rle]]) -> Union[np.ndarray, np.uint32]:
    """Foreground pixel counts: uint32 array for a list, a numpy.uint32 for one dict."""
    if isinstance(rleObjs, list):
        return _mask.area(rleObjs)
    return _mask.area([rleObjs])[0]


def toBbox(rleObjs: Union[Rle, List[Rle]]) -> np.ndarray:
    """Tight ``[x, y, w, h]`` float64 boxes: ``(n, 4)`` for a list, ``(4,)`` for one dict."""
    if isinstance(rleObjs, list):
        return _mask.to_bbox(rleObjs)
    return _mask.to_bbox([rleObjs])[0]


def _iou_operand(objs):
    # pycocotools _mask.iou._preproc: RLE dicts, or boxes as an (N, 4) array / list of 4-lists.
    if len(objs) == 0:
        return objs
    if type(objs) == np.ndarray:  # noqa: E721 - exact type, as the peer
        if objs.ndim == 1:
            objs = objs.reshape((objs[0], 1))
        if objs.ndim != 2 or objs.shape[1] != 4:
            raise Exception("numpy ndarray input is only for *bounding boxes* and should have Nx4 dimension")
        return np.ascontiguousarray(objs, dtype=np.float64)
    if type(objs) == list:  # noqa: E721
        isbox = all(len(o) == 4 and type(o) in (list, np.ndarray) for o in objs)
        isrle = all(type(o) == dict for o in objs)  # noqa: E721
        if isbox:
            boxes = np.array(objs, dtype=np.float64)
            if boxes.ndim == 1:
                boxes = boxes.reshape((1, boxes.shape[0]))
            return np.ascontiguousarray(boxes)
        if isrle:
            return _RleList(objs)
        raise Exception("list input can be bounding box (Nx4) or RLEs ([RLE])")
    raise Exception(
        "unrecognized type.  The following type: RLEs (rle), np.ndarray (box), and list (box) are supported."
    )


class _RleList(list):
    """Marks a list of RLE dicts inside iou (pycocotools converts it to its RLEs type)."""


def iou(dt: Union[List[Rle], List[Sequence[float]], np.ndarray], gt: Union[List[Rle], List[Sequence[float]], np.ndarray],
        pyiscrowd: Sequence[Union[bool, int]]) -> Union[np.ndarray, list]:
    """IoU matrix ``(len(dt), len(gt))`` float64 of RLE dicts or ``[x, y, w, h]`` boxes.

    ``pyiscrowd[g]`` true makes the denominator the area of the detection (COCO's crowd rule).
    Returns ``[]`` when either side is empty. RLE pairs whose boxes do not overlap are 0 without a
    sweep; pairs of different sizes whose boxes overlap are -1 (as pycocotools).
    """
    iscrowd = np.array(pyiscrowd, dtype=np.uint8)
    dt = _iou_operand(dt)
    gt = _iou_operand(gt)
    m = 0 if len(dt) == 0 else len(dt)
    n = 0 if len(gt) == 0 else len(gt)
    assert len(pyiscrowd) == n, "iou(iscrowd=) must have the same length as gt"
    if m == 0 or n == 0:
        return []
    if type(dt) != type(gt):  # noqa: E721
        raise Exception("The dt and gt should have the same data type, either RLEs, list or np.ndarray")
    iscrowd = np.ascontiguousarray(iscrowd.reshape(-1))
    dt_op: Any = dt  # an _RleList or a float64 array by now (_iou_operand)
    gt_op: Any = gt
    if isinstance(dt_op, _RleList):
        return _mask.rle_iou(dt_op, gt_op, iscrowd)
    return _mask.bbox_iou(dt_op, gt_op, iscrowd)


def _fr_bbox(bb, h, w):
    if type(bb) != np.ndarray:  # noqa: E721
        raise TypeError(f"Argument 'bb' has incorrect type (expected numpy.ndarray, got {type(bb).__name__})")
    if bb.dtype != np.float64:
        raise ValueError(f"Buffer dtype mismatch, expected 'double_t' but got {bb.dtype}")
    if bb.ndim != 2:
        raise ValueError(f"Buffer has wrong number of dimensions (expected 2, got {bb.ndim})")
    return _mask.fr_bbox(np.ascontiguousarray(bb), h, w)


def _fr_poly(polys, h, w):
    return _mask.fr_poly([np.ascontiguousarray(np.asarray(p, dtype=np.float64).reshape(-1)) for p in polys], h, w)


def _fr_uncompressed(uc_rles):
    out = []
    for r in uc_rles:
        counts = np.ascontiguousarray(np.array(r["counts"], dtype=np.uint32).reshape(-1))
        out.append({"size": [int(r["size"][0]), int(r["size"][1])], "counts": _mask.string_from_counts(counts)})
    return out


def frPyObjects(pyobj: Any, h: int, w: int) -> Union[Rle, List[Rle]]:
    """RLE dicts from polygons, boxes or uncompressed RLE, with pycocotools' dispatch:

    - ``ndarray`` (N, 4) float64 xywh boxes -> list of RLEs (boxes rasterised as polygons);
    - a list whose first element has length 4 -> the box path, which (as in pycocotools) raises
      ``TypeError`` for lists -- so a 2-point polygon ``[[x1, y1, x2, y2]]`` raises too;
    - a list whose first element is longer -> polygons ``[[x0, y0, x1, y1, ...], ...]``, one RLE
      each (merge them for a multi-part object);
    - a list of dicts with ``counts`` and ``size`` -> uncompressed RLEs (``h, w`` are ignored);
    - one such dict -> one RLE. A flat list of numbers raises ``TypeError``.
    """
    if type(pyobj) == np.ndarray:  # noqa: E721
        return _fr_bbox(pyobj, h, w)
    if type(pyobj) == list:  # noqa: E721
        first_len = len(pyobj[0])
        if first_len == 4:
            return _fr_bbox(pyobj, h, w)
        if first_len > 4:
            return _fr_poly(pyobj, h, w)
        if type(pyobj[0]) == dict and "counts" in pyobj[0] and "size" in pyobj[0]:  # noqa: E721
            return _fr_uncompressed(pyobj)
        if len(pyobj) == 4:
            return _fr_bbox([pyobj], h, w)[0]
        if len(pyobj) > 4:
            return _fr_poly([pyobj], h, w)[0]
    elif type(pyobj) == dict and "counts" in pyobj and "size" in pyobj:  # noqa: E721
        return _fr_uncompressed([pyobj])[0]
    raise Exception("input type is not supported.")
