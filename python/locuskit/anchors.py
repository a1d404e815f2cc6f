"""Anchor and point generators, SSD priors, inside flags and k-means anchor selection.

Class names follow the peers: :class:`AnchorGenerator` and :class:`DefaultBoxGenerator`
(torchvision), :class:`DefaultAnchorGenerator` (detectron2), :class:`MMDetAnchorGenerator`,
:class:`YOLOAnchorGenerator` and :class:`MlvlPointGenerator` (mmdet). Everything returns NumPy
arrays of xyxy boxes, float32 by default (``dtype=np.float64`` for double). Anchors of a level are
location-major (row y, column x, then that location's cell anchors), as in all three peers.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple, Union, cast

import numpy as np
from numpy.typing import DTypeLike

from ._core import anchor as _anchor
from ._arrays import Array, as_array, tensor_io
from ._args import UINT64_MAX, integer

__all__ = [
    "AnchorGenerator",
    "DefaultAnchorGenerator",
    "DefaultBoxGenerator",
    "MMDetAnchorGenerator",
    "MlvlPointGenerator",
    "SSDAnchorGenerator",
    "YOLOAnchorGenerator",
    "anchor_fit",
    "anchor_inside_flags",
    "grid_anchors",
    "kmeans_anchors",
    "octave_scales",
    "ssd_anchor_sizes",
]


def _dtype_name(dtype) -> str:
    dt = np.dtype(dtype)
    if dt == np.float32:
        return "float32"
    if dt == np.float64:
        return "float64"
    raise TypeError(f"dtype: {dt} is not supported; use float32 or float64")


def _shape2(shape, name: str):
    try:
        h, w = (integer(v, "feature_shapes") for v in shape)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"{name}: expected (height, width), got {shape!r}") from exc
    if h < 0 or w < 0:
        raise ValueError(f"{name}: sizes must be non-negative, got {shape!r}")
    return h, w


def _stride_pair(s) -> Tuple[float, float]:
    """A stride given as a number or (stride_w, stride_h) as a float pair."""
    return (float(cast(float, s)),) * 2 if np.isscalar(s) else (float(s[0]), float(s[1]))


def _levels(feature_shapes, n_levels: int, what: str):
    shapes = [_shape2(s, "feature_shapes") for s in feature_shapes]
    if len(shapes) != n_levels:
        raise ValueError(f"feature_shapes: {len(shapes)} levels given but the generator has {n_levels} {what}")
    return shapes


@tensor_io
def grid_anchors(cell_anchors: Array, grid_size: Sequence[int], stride: Union[float, Sequence[float]],
                 offset: float = 0.0) -> Array:
    """Tiles (A, 4) cell anchors over a (grid_h, grid_w) map: (grid_h*grid_w*A, 4), location-major.

    ``stride`` is a number or (stride_h, stride_w); the shift of column x is
    ``offset*stride + x*stride``.

    float32/float64, the cell anchors' dtype; peer: torchvision ``AnchorGenerator.grid_anchors`` (one level).
    """
    h, w = _shape2(grid_size, "grid_size")
    sh, sw = (stride, stride) if np.isscalar(stride) else tuple(cast(Sequence[float], stride))
    return _anchor.grid_anchors(as_array(cell_anchors, "cell_anchors"), h, w, float(cast(float, sh)), float(cast(float, sw)),
                                float(offset))


class AnchorGenerator:
    """torchvision ``AnchorGenerator(sizes, aspect_ratios)`` (aspect ratio = h/w).

    Cell anchors are ratio-major and rounded half to even; a level's stride is
    ``image_size // feature_shape`` per axis; shifts are integers (offset 0).
    ``sizes`` may be ``((32,), (64,), ...)`` or ``(32, 64, ...)`` (one size per level), as torchvision.
    """

    def __init__(self, sizes: Sequence = ((128, 256, 512),), aspect_ratios: Sequence = ((0.5, 1.0, 2.0),)) -> None:
        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        if len(sizes) != len(aspect_ratios):
            raise ValueError(f"sizes ({len(sizes)} levels) and aspect_ratios ({len(aspect_ratios)}) differ in length")
        self.sizes = tuple(tuple(float(v) for v in s) for s in sizes)
        self.aspect_ratios = tuple(tuple(float(v) for v in a) for a in aspect_ratios)
        self._cell_cache: Dict[str, List[np.ndarray]] = {}
        for s, a in zip(self.sizes, self.aspect_ratios):  # validate eagerly
            _anchor.cell_anchors("torchvision", list(s), list(a), "float32")

    def num_anchors_per_location(self) -> List[int]:
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def cell_anchors(self, dtype: DTypeLike = np.float32) -> List[np.ndarray]:
        return [_anchor.cell_anchors("torchvision", list(s), list(a), _dtype_name(dtype))
                for s, a in zip(self.sizes, self.aspect_ratios)]

    def _levels(self, image_size, feature_shapes):
        ih, iw = _shape2(image_size, "image_size")
        grids, strides = [], []
        for gh, gw in _levels(feature_shapes, len(self.sizes), "levels"):
            if gh == 0 or gw == 0:
                raise ValueError(f"feature_shapes: zero-sized feature map ({gh}, {gw})")
            sh, sw = ih // gh, iw // gw
            if sh <= 0 or sw <= 0:
                raise ValueError(f"stride image_size // feature_shape is 0 for feature map ({gh}, {gw}) "
                                 f"and image ({ih}, {iw})")
            grids.append((gh, gw))
            strides.append((float(sh), float(sw)))
        return grids, strides

    def _cells(self, dtype):
        key = _dtype_name(dtype)
        if key not in self._cell_cache:
            self._cell_cache[key] = self.cell_anchors(dtype)
        return self._cell_cache[key]

    @tensor_io
    def grid_anchors(self, image_size: Sequence[int], feature_shapes: Sequence[Sequence[int]],
                     dtype: DTypeLike = np.float32) -> List[Array]:
        """Per-level anchors (list of (H*W*A, 4))."""
        grids, strides = self._levels(image_size, feature_shapes)
        return [_anchor.grid_anchors(cell, gh, gw, sh, sw, 0.0)
                for (gh, gw), (sh, sw), cell in zip(grids, strides, self._cells(dtype))]

    def __call__(self, image_size: Sequence[int], feature_shapes: Sequence[Sequence[int]],
                 dtype: DTypeLike = np.float32) -> np.ndarray:
        """All anchors of one image, levels concatenated: (N, 4) xyxy (torchvision ``forward``)."""
        grids, strides = self._levels(image_size, feature_shapes)
        return _anchor.grid_anchors_multi(self._cells(dtype), grids, strides, 0.0)


class DefaultAnchorGenerator:
    """detectron2 ``DefaultAnchorGenerator(sizes, aspect_ratios, strides, offset)``.

    ``sizes`` / ``aspect_ratios`` broadcast as detectron2's: a flat list is used for every level,
    a one-element list of lists is repeated.

    Cell anchors are size-major and unrounded (``w = sqrt(size²/ar)``, ``h = ar·w``); the shift of
    column x is ``(x + offset)·stride``. The constructor default ``offset=0.5`` is detectron2's
    class default; its config default ``MODEL.ANCHOR_GENERATOR.OFFSET`` is 0.0.
    """

    def __init__(self, sizes: Sequence, aspect_ratios: Sequence, strides: Sequence[float], offset: float = 0.5) -> None:
        # detectron2 _broadcast_params: a flat list is every level's list; a single list is repeated.
        def broadcast(params, name):
            if len(params) == 0:
                raise ValueError(f"{name} has to have at least one element")
            if not isinstance(params[0], (list, tuple)):
                return (tuple(params),) * len(strides)
            if len(params) == 1:
                return tuple(params) * len(strides)
            return tuple(params)
        sizes = broadcast(sizes, "sizes")
        aspect_ratios = broadcast(aspect_ratios, "aspect_ratios")
        if not (len(sizes) == len(aspect_ratios) == len(strides)):
            raise ValueError("sizes, aspect_ratios and strides must have one entry per level")
        if not (0.0 <= offset < 1.0):
            raise ValueError(f"offset must be in [0, 1), got {offset}")
        self.sizes = tuple(tuple(float(v) for v in s) for s in sizes)
        self.aspect_ratios = tuple(tuple(float(v) for v in a) for a in aspect_ratios)
        self.strides = tuple(float(s) for s in strides)
        self.offset = float(offset)
        for s, a in zip(self.sizes, self.aspect_ratios):
            _anchor.cell_anchors("detectron2", list(s), list(a), "float32")

    @property
    def num_anchors(self) -> List[int]:
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def cell_anchors(self, dtype: DTypeLike = np.float32) -> List[np.ndarray]:
        return [_anchor.cell_anchors("detectron2", list(s), list(a), _dtype_name(dtype))
                for s, a in zip(self.sizes, self.aspect_ratios)]

    def __call__(self, feature_shapes: Sequence[Sequence[int]], dtype: DTypeLike = np.float32) -> List[np.ndarray]:
        """Per-level anchors (list of (H*W*A, 4)), as detectron2's forward."""
        return [_anchor.grid_anchors(cell, gh, gw, st, st, self.offset)
                for (gh, gw), cell, st in zip(_levels(feature_shapes, len(self.strides), "strides"),
                                              self.cell_anchors(dtype), self.strides)]


def octave_scales(octave_base_scale: float = 4.0, scales_per_octave: int = 3) -> List[float]:
    """RetinaNet scales ``octave_base_scale · 2^(i/scales_per_octave)``."""
    if scales_per_octave <= 0 or not (octave_base_scale > 0):
        raise ValueError("octave_base_scale and scales_per_octave must be positive")
    return [octave_base_scale * 2.0 ** (i / scales_per_octave) for i in range(scales_per_octave)]


class MMDetAnchorGenerator:
    """mmdet ``AnchorGenerator`` (unrounded, ``center_offset`` 0, ``base_size`` = stride).

    Give ``scales`` or RetinaNet's ``octave_base_scale`` + ``scales_per_octave``. With
    ``scale_major=True`` (mmdet default) cell rows are ratio-major.
    """

    def __init__(self, strides: Sequence, ratios: Sequence[float], scales: Optional[Sequence[float]] = None,
                 base_sizes: Optional[Sequence[float]] = None, scale_major: bool = True,
                 octave_base_scale: Optional[float] = None, scales_per_octave: Optional[int] = None,
                 center_offset: float = 0.0) -> None:
        self.strides = [_stride_pair(s) for s in strides]
        if (scales is None) == (octave_base_scale is None):
            raise ValueError("give either scales or octave_base_scale (with scales_per_octave)")
        if scales is None:
            assert octave_base_scale is not None  # checked just above; for type checkers
            scales = octave_scales(octave_base_scale, integer(scales_per_octave, "scales_per_octave", minimum=1))
        self.scales = [float(s) for s in scales]
        self.ratios = [float(r) for r in ratios]
        self.base_sizes = ([min(s) for s in self.strides] if base_sizes is None else [float(b) for b in base_sizes])
        if len(self.base_sizes) != len(self.strides):
            raise ValueError("base_sizes must have one entry per stride")
        self.scale_major = bool(scale_major)
        self.center_offset = float(center_offset)

    @property
    def num_base_priors(self) -> List[int]:
        return [len(self.scales) * len(self.ratios)] * len(self.strides)

    def base_anchors(self, dtype: DTypeLike = np.float32) -> List[np.ndarray]:
        return [_anchor.cell_anchors_mmdet(b, self.scales, self.ratios, self.scale_major, self.center_offset * b,
                                          self.center_offset * b, _dtype_name(dtype)) for b in self.base_sizes]

    def grid_priors(self, featmap_sizes: Sequence[Sequence[int]], dtype: DTypeLike = np.float32) -> List[Array]:
        """Per-level anchors (list of (H*W*A, 4))."""
        return [_anchor.grid_anchors(base, gh, gw, st[1], st[0], 0.0)
                for (gh, gw), base, st in zip(_levels(featmap_sizes, len(self.strides), "strides"),
                                              self.base_anchors(dtype), self.strides)]


def ssd_anchor_sizes(input_size: int = 300, basesize_ratio_range: Tuple[float, float] = (0.15, 0.9),
                     num_levels: int = 6) -> Tuple[List[int], List[int]]:
    """mmdet ``SSDAnchorGenerator``'s (min_sizes, max_sizes) in pixels: integer percent steps
    ``int(floor(max% − min%) / (L − 2))`` from the range, then the extra first level (SSD300: 7%–15%
    for COCO's 0.15 start, 10%–20% for VOC's 0.2; SSD512: 4%–10% / 7%–15%); sizes truncated to int."""
    lo, hi = int(basesize_ratio_range[0] * 100), int(basesize_ratio_range[1] * 100)
    if num_levels < 3:
        raise ValueError("SSD anchor sizes need at least 3 levels")
    step = int(math.floor(hi - lo) / (num_levels - 2))
    mins = [int(input_size * r / 100) for r in range(lo, hi + 1, step)]
    maxs = [int(input_size * (r + step) / 100) for r in range(lo, hi + 1, step)]
    first = {(300, 0.15): (7, 15), (300, 0.2): (10, 20), (512, 0.1): (4, 10), (512, 0.15): (7, 15)}
    key = (int(input_size), float(basesize_ratio_range[0]))
    if key not in first:
        raise ValueError("input_size must be 300 (range starting at 0.15 or 0.2) or 512 (0.1 or 0.15), "
                         f"got {input_size} with {basesize_ratio_range[0]}")
    mins.insert(0, int(input_size * first[key][0] / 100))
    maxs.insert(0, int(input_size * first[key][1] / 100))
    return mins, maxs


class SSDAnchorGenerator:
    """mmdet ``SSDAnchorGenerator(strides, ratios, basesize_ratio_range, input_size, scale_major)``.

    Per level: base size = min size, scales ``[1, sqrt(max/min)]``, ratios ``[1, 1/r, r, ...]`` (the
    "flip"), centre stride/2, rows reordered to ``[min, sqrt(min·max), 1/r, r, ...]``. mmdet's SSD
    configs use ``scale_major=False``. Pixel xyxy anchors, location-major.
    """

    def __init__(self, strides: Sequence[float], ratios: Sequence[Sequence[float]],
                 basesize_ratio_range: Tuple[float, float] = (0.15, 0.9), input_size: int = 300,
                 scale_major: bool = False, min_sizes: Optional[Sequence[float]] = None,
                 max_sizes: Optional[Sequence[float]] = None) -> None:
        if len(strides) != len(ratios):
            raise ValueError("strides and ratios must have one entry per level")
        self.strides = [float(s) for s in strides]
        if min_sizes is None:
            min_sizes, max_sizes = ssd_anchor_sizes(input_size, basesize_ratio_range, len(strides))
        if max_sizes is None:
            raise ValueError("max_sizes: give it with min_sizes")
        if len(min_sizes) != len(strides) or len(max_sizes) != len(strides):
            raise ValueError("min_sizes and max_sizes must have one entry per level")
        self.min_sizes, self.max_sizes = list(min_sizes), list(max_sizes)
        self.ratios = [[1.0] + [v for r in level for v in (1.0 / r, float(r))] for level in ratios]
        self.scale_major = bool(scale_major)

    @property
    def num_base_anchors(self) -> List[int]:
        return [len(r) + 1 for r in self.ratios]

    def base_anchors(self, dtype: DTypeLike = np.float32) -> List[np.ndarray]:
        out = []
        for s, lo, hi, ratios in zip(self.strides, self.min_sizes, self.max_sizes, self.ratios):
            if not (lo > 0 and hi > 0):
                raise ValueError(f"SSD sizes must be positive, got min {lo}, max {hi}")
            base = _anchor.cell_anchors_mmdet(float(lo), [1.0, math.sqrt(hi / lo)], ratios, self.scale_major,
                                             s / 2.0, s / 2.0, _dtype_name(dtype))
            n = len(ratios)
            # mmdet: index_select([0, n, 1, ..., n-1]) on the 2n rows whatever scale_major is (with
            # the usual scale_major=False that is [min, sqrt(min*max), 1/r, r, ...]).
            order = [0, n] + list(range(1, n))
            out.append(np.ascontiguousarray(base[order]))
        return out

    def grid_priors(self, featmap_sizes: Sequence[Sequence[int]], dtype: DTypeLike = np.float32) -> List[Array]:
        return [_anchor.grid_anchors(base, gh, gw, s, s, 0.0)
                for (gh, gw), base, s in zip(_levels(featmap_sizes, len(self.strides), "strides"),
                                             self.base_anchors(dtype), self.strides)]


class YOLOAnchorGenerator:
    """Per-level YOLO anchors from explicit (w, h) shapes (mmdet ``YOLOAnchorGenerator``).

    ``base_sizes[level]`` is a list of (w, h) in pixels; each anchor is centred at stride/2 of its cell.
    """

    def __init__(self, strides: Sequence, base_sizes: Sequence[Sequence[Sequence[float]]]) -> None:
        if len(strides) != len(base_sizes):
            raise ValueError("strides and base_sizes must have one entry per level")
        self.strides = [float(s) for s in strides]
        self.base_sizes = [[(float(w), float(h)) for w, h in level] for level in base_sizes]

    def base_anchors(self, dtype: DTypeLike = np.float32) -> List[np.ndarray]:
        return [_anchor.cell_anchors_wh(wh, s / 2.0, s / 2.0, _dtype_name(dtype))
                for s, wh in zip(self.strides, self.base_sizes)]

    def grid_priors(self, featmap_sizes: Sequence[Sequence[int]], dtype: DTypeLike = np.float32) -> List[Array]:
        return [_anchor.grid_anchors(base, gh, gw, s, s, 0.0)
                for (gh, gw), base, s in zip(_levels(featmap_sizes, len(self.strides), "strides"),
                                             self.base_anchors(dtype), self.strides)]


class MlvlPointGenerator:
    """Anchor-free points (mmdet ``MlvlPointGenerator``; FCOS/CenterNet): ``((x+offset)·s, (y+offset)·s)``."""

    def __init__(self, strides: Sequence, offset: float = 0.5) -> None:
        self.strides = [_stride_pair(s) for s in strides]
        self.offset = float(offset)

    def grid_priors(self, featmap_sizes: Sequence[Sequence[int]], dtype: DTypeLike = np.float32) -> List[Array]:
        """Per-level (H*W, 2) points, location-major."""
        return [_anchor.grid_points(gh, gw, st[1], st[0], self.offset, _dtype_name(dtype))
                for (gh, gw), st in zip(_levels(featmap_sizes, len(self.strides), "strides"), self.strides)]


class DefaultBoxGenerator:
    """torchvision ``DefaultBoxGenerator`` (SSD priors) with the same arguments.

    Returns xyxy pixel boxes for one image, levels concatenated, as torchvision's ``forward``.
    """

    def __init__(self, aspect_ratios: Sequence[Sequence[float]], min_ratio: float = 0.15, max_ratio: float = 0.9,
                 scales: Optional[Sequence[float]] = None, steps: Optional[Sequence[int]] = None,
                 clip: bool = True) -> None:
        if steps is not None and len(aspect_ratios) != len(steps):
            raise ValueError("aspect_ratios and steps should have the same length")
        self.aspect_ratios = [[float(a) for a in r] for r in aspect_ratios]
        self.steps = steps
        self.clip = bool(clip)
        n = len(aspect_ratios)
        if scales is None:
            if n > 1:
                rng = max_ratio - min_ratio
                self.scales = [min_ratio + rng * k / (n - 1.0) for k in range(n)] + [1.0]
            else:
                self.scales = [min_ratio, max_ratio]
        else:
            self.scales = [float(s) for s in scales]
        if len(self.scales) < n + 1:
            raise ValueError(f"scales: need {n + 1} values for {n} levels, got {len(self.scales)}")

    def num_anchors_per_location(self) -> List[int]:
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def __call__(self, image_size: Sequence[int], feature_shapes: Sequence[Sequence[int]],
                 dtype: DTypeLike = np.float32) -> np.ndarray:
        ih, iw = _shape2(image_size, "image_size")
        levels = _levels(feature_shapes, len(self.aspect_ratios), "levels")
        out = [_anchor.ssd_priors_level(self.scales, k, self.aspect_ratios[k], gh, gw, float(ih), float(iw),
                                       float(self.steps[k]) if self.steps is not None else 0.0, self.clip,
                                       _dtype_name(dtype))
               for k, (gh, gw) in enumerate(levels)]
        return np.concatenate(out, axis=0)


@tensor_io
def anchor_inside_flags(anchors: Array, image_size: Sequence[int], allowed_border: float = 0.0) -> Array:
    """Bool (N,): ``x1 >= -b and y1 >= -b and x2 < W + b and y2 < H + b`` (mmdet
    ``anchor_inside_flags``, detectron2 ``inside_box``); a negative border keeps all."""
    ih, iw = _shape2(image_size, "image_size")
    return _anchor.anchor_inside_flags(as_array(anchors, "anchors"), float(ih), float(iw), float(allowed_border))


@tensor_io
def kmeans_anchors(wh: Array, k: int, *, seed: int = 0, max_iter: int = 300, ratio_threshold: float = 4.0,
                   n_init: int = 10) -> Tuple[Array, dict]:
    """k-means on (N, 2) box shapes with distance ``1 − IoU`` (YOLOv2/v3 style), k-means++ seeding.

    Deterministic for a given ``seed`` on every platform (splitmix64); the best of ``n_init``
    restarts (highest mean IoU) is kept. Returns ``(anchors (k, 2) sorted by area,
    report)`` with report keys ``mean_iou`` (YOLOv2 avg IoU), ``best_possible_recall``,
    ``anchors_above_threshold`` and ``fitness`` (YOLOv5 ``autoanchor`` definitions with
    ``thr = ratio_threshold``).

    ``wh`` float32/float64; the anchors come back float64.
    """
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    return _anchor.kmeans_anchors(as_array(wh, "wh"), integer(k, "k", minimum=1), integer(seed, "seed", maximum=UINT64_MAX),
                                 integer(max_iter, "max_iter"), float(ratio_threshold), integer(n_init, "n_init", minimum=1))


@tensor_io
def anchor_fit(wh: Array, anchors: Array, ratio_threshold: float = 4.0) -> dict:
    """The report of :func:`kmeans_anchors` for given (k, 2) anchors. ``wh`` (N, 2) and ``anchors`` (k, 2) float32/float64; peer: YOLOv5's ``metric`` in ``check_anchors`` (best-possible recall, anchors above threshold)."""
    return _anchor.anchor_fit(as_array(wh, "wh"), as_array(anchors, "anchors"), float(ratio_threshold))
