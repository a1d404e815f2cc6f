"""locuskit: object localization toolkit (box geometry, NMS, anchors, coders, matchers,
detection evaluation, SE(3) poses and trajectory evaluation).

The heavy work runs in a C++ core with runtime SIMD dispatch; NumPy arrays go in and out without
copies, and the GIL is released while it runs.
"""
from __future__ import annotations

from . import _core
from ._core import (
    __version__,
    available_simd_archs,
    get_num_threads,
    set_num_threads,
    set_simd_arch,
    simd_arch,
)
from . import anchors, coco, coders, eval, match, ops, pose, roi, traj
from .ops import *  # noqa: F401,F403 - box geometry and NMS at top level, as torchvision.ops

__all__ = [
    "__version__",
    "available_simd_archs",
    "get_num_threads",
    "anchors",
    "coco",
    "coders",
    "eval",
    "match",
    "ops",
    "pose",
    "roi",
    "traj",
    "set_num_threads",
    "set_simd_arch",
    "simd_arch",
] + list(ops.__all__)
