"""locuskit: object localization toolkit (box geometry, NMS, anchors, coders, matchers,
detection evaluation, SE(3) poses and trajectory evaluation).

The heavy work runs in a C++ core with runtime SIMD dispatch; NumPy arrays go in and out without
copies, and the GIL is released while it runs.
"""
from __future__ import annotations

import os as _os

from . import _core
from ._core import (
    __version__,
    available_simd_archs,
    get_num_threads,
    max_threads,
    set_num_threads,
    set_simd_arch,
    simd_arch,
)
from . import anchors, boundary, coco, coders, eval, mask, match, medical, ops, panoptic, pose, roi, semseg, traj
from . import track
from .ops import *  # noqa: F401,F403 - box geometry and NMS at top level, as torchvision.ops
from ._arrays import CopyWarning, get_copy_policy, set_copy_policy
from ._library import register as register_torch_ops

import sys as _sys

if "torch" in _sys.modules:  # torch already loaded: torch.ops.locuskit.* exist right away
    try:
        register_torch_ops()
    except Exception as _exc:  # noqa: BLE001 - optional: importing locuskit must not fail on it
        import warnings as _warnings

        _warnings.warn(f"locuskit: torch.ops.locuskit could not be registered ({_exc})", RuntimeWarning)


def get_include() -> str:
    """The directory holding the installed C++ headers (``<dir>/locuskit/...``), for compiling
    against this copy: ``-I$(python -c "import locuskit; print(locuskit.get_include())")``.
    Raises FileNotFoundError when this copy was not installed with its headers (developer builds)."""
    return _installed_dir("include")


def get_cmake_dir() -> str:
    """The directory holding ``locuskitConfig.cmake``: ``-Dlocuskit_DIR=<this>`` (projects built
    by scikit-build-core find it without help, through the ``cmake.prefix`` entry point)."""
    return _installed_dir(_os.path.join("share", "cmake", "locuskit"))


def _installed_dir(relative: str) -> str:
    path = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), relative)
    if not _os.path.isdir(path):
        raise FileNotFoundError(f"{path} does not exist: this copy of locuskit was not installed by pip")
    return path


__all__ = [
    "__version__",
    "CopyWarning",
    "available_simd_archs",
    "get_cmake_dir",
    "get_copy_policy",
    "get_include",
    "register_torch_ops",
    "set_copy_policy",
    "get_num_threads",
    "anchors",
    "boundary",
    "coco",
    "coders",
    "eval",
    "mask",
    "match",
    "medical",
    "max_threads",
    "ops",
    "panoptic",
    "pose",
    "roi",
    "semseg",
    "track",
    "traj",
    "set_num_threads",
    "set_simd_arch",
    "simd_arch",
] + list(ops.__all__)
