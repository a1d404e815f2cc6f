"""Masks for the streaming CocoEvaluator (iou_type "segm" / "boundary"): every form a caller may
give (binary (N, H, W) arrays, compressed / uncompressed RLE dicts, polygons) turned into the
data model's RLE column exactly as the COCO loader turns a JSON segmentation into it
(pycocotools' annToRLE: polygons rasterised at the image size, parts merged by union)."""
from __future__ import annotations

import numpy as np

from .. import _arrays
from .. import mask as _mask
from .._core import mask as _core_mask


def _rle_of(obj, name: str, image_size):
    """(counts uint32, h, w) of one COCO segmentation."""
    if isinstance(obj, dict):
        if "counts" not in obj or "size" not in obj:
            raise ValueError(f"{name}: an RLE dict needs 'size' [h, w] and 'counts'")
        h, w = (int(v) for v in obj["size"])
        c = obj["counts"]
        if isinstance(c, (bytes, str)):
            try:
                counts = np.asarray(_core_mask.counts_from_string(c), np.uint32)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        else:
            counts = np.asarray(c).reshape(-1)
            if counts.size and (counts.min() < 0 or counts.max() > 0xFFFFFFFF):
                raise ValueError(f"{name}: uncompressed RLE counts must be non-negative 32-bit integers")
            counts = counts.astype(np.uint32)
        return counts, h, w
    if isinstance(obj, (list, tuple)):
        if not obj or not all(isinstance(p, (list, tuple, np.ndarray)) for p in obj):
            raise ValueError(f"{name}: a segmentation must be an RLE dict or polygons [[x0, y0, ...], ...]")
        if len(obj[0]) == 4:
            raise ValueError(f"{name}: a first polygon of 4 numbers is read as a box by pycocotools' frPyObjects")
        if any(len(p) < 6 or len(p) % 2 for p in obj):
            raise ValueError(f"{name}: a polygon needs an even number (>= 6) of coordinates")
        if image_size is None:
            raise ValueError(f"{name}: polygons need the target's 'image_size' (height, width)")
        h, w = (int(v) for v in np.asarray(_arrays.as_array(image_size, "targets['image_size']")).reshape(-1)[:2])
        merged = _mask.merge(_mask.frPyObjects([list(map(float, p)) for p in obj], h, w), 0)
        return np.asarray(_core_mask.counts_from_string(merged["counts"]), np.uint32), h, w
    raise ValueError(f"{name}: a segmentation must be an RLE dict or polygons, got {type(obj).__name__}")


def rles(masks, n: int, name: str, image_size=None) -> list:
    """N (counts, h, w) from an (N, H, W) binary array or a list of N COCO segmentations."""
    if masks is None:
        raise ValueError(f"{name}: required for iou_type 'segm' / 'boundary'")
    if isinstance(masks, (list, tuple)):
        out = [_rle_of(m, f"{name}[{i}]", image_size) for i, m in enumerate(masks)]
    else:
        a = np.asarray(_arrays.as_array(masks, name))
        if a.ndim == 2 and n == 1:
            a = a[None]
        if a.ndim != 3:
            raise ValueError(f"{name}: expected an (N, H, W) binary array or a list of segmentations, got shape {a.shape}")
        if a.dtype != np.bool_ and not (np.issubdtype(a.dtype, np.integer) and (a.size == 0 or (a.min() >= 0 and a.max() <= 1))):
            raise ValueError(f"{name}: masks must be binary (bool, or integers 0 / 1)")
        if a.shape[0] == 0:
            out = []
        else:
            enc = _mask.encode(np.asfortranarray(a.astype(np.uint8).transpose(1, 2, 0)))
            out = [(np.asarray(_core_mask.counts_from_string(r["counts"]), np.uint32), a.shape[1], a.shape[2])
                   for r in enc]
    if len(out) != n:
        raise ValueError(f"{name}: {len(out)} masks for {n} rows")
    for i, (c, h, w) in enumerate(out):
        if int(c.sum(dtype=np.uint64)) != h * w:
            raise ValueError(f"{name}[{i}]: RLE counts sum to {int(c.sum(dtype=np.uint64))}, not h*w = {h * w}")
    return out


def _as_dicts(rs: list) -> list:
    return [{"size": [h, w], "counts": _core_mask.string_from_counts(np.ascontiguousarray(c))} for c, h, w in rs]


def boxes(rs: list) -> np.ndarray:
    """(N, 4) xywh boxes of the masks (pycocotools' toBbox)."""
    return np.asarray(_mask.toBbox(_as_dicts(rs)), np.float64).reshape(-1, 4) if rs else np.zeros((0, 4))


def areas(rs: list) -> np.ndarray:
    """(N,) float64 mask areas (pycocotools' area)."""
    return np.asarray([float(c[1::2].sum(dtype=np.uint64)) for c, _, _ in rs], np.float64)


def concat(per_image: list) -> list:
    return [r for rs in per_image for r in rs]


def add_column(table: dict, per_image: list) -> None:
    """The segmentation column (segm_offset / counts / size / kind) of ``table``'s rows."""
    rs = concat(per_image)
    n = len(rs)
    off = np.zeros(n + 1, np.uint64)
    np.cumsum([len(c) for c, _, _ in rs], out=off[1:]) if n else None
    table["segm_offset"] = off
    table["segm_counts"] = np.ascontiguousarray(np.concatenate([c for c, _, _ in rs])) if n else np.zeros(0, np.uint32)
    table["segm_size"] = np.asarray([[h, w] for _, h, w in rs], np.uint32).reshape(n, 2)
    table["segm_kind"] = np.zeros(n, np.uint8)  # SegmKind::segm_rle
    table["segm_error"] = None
