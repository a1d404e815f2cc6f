"""locuskit: object localization toolkit (box geometry, NMS, anchors, coders, matchers,
detection evaluation, SE(3) poses and trajectory evaluation).

The heavy work runs in a C++ core with runtime SIMD dispatch; NumPy arrays go in and out without
copies, and the GIL is released while it runs.
"""
from __future__ import annotations

import importlib as _importlib
import os as _os
import sys as _sys

# Submodules and names are imported on first use (PEP 562), so `import locuskit` and the
# command line start fast: `locuskit traj ape` loads the compiled core, numpy and locuskit.traj,
# not torch, matplotlib or the detection modules.
_SUBMODULES = ("anchors", "boundary", "box3d", "coco", "coders", "dask", "eval", "mask", "match", "medical", "mot",
               "ops", "panoptic", "pose", "roi", "rotated", "semseg", "track", "traj")
_FROM_CORE = ("__version__", "available_simd_archs", "get_num_threads", "max_threads", "set_num_threads",
              "set_simd_arch", "simd_arch")
_FROM_ARRAYS = ("CopyWarning", "get_copy_policy", "set_copy_policy")


def __getattr__(name):
    if name in _SUBMODULES or name == "_core":
        value = _importlib.import_module(f"{__name__}.{name}")
    elif name in _FROM_CORE:
        value = getattr(_importlib.import_module(f"{__name__}._core"), name)
    elif name in _FROM_ARRAYS:
        value = getattr(_importlib.import_module(f"{__name__}._arrays"), name)
    elif name == "register_torch_ops":
        value = _importlib.import_module(f"{__name__}._library").register
    elif name == "__all__":
        value = _public_names()
    elif name.startswith("_"):  # private submodules come through the import system, not from ops
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    else:
        ops = _importlib.import_module(f"{__name__}.ops")
        if name not in ops.__all__:  # box geometry and NMS at top level, as torchvision.ops
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(ops, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_public_names()))


if "torch" in _sys.modules:  # torch already loaded: torch.ops.locuskit.* exist right away
    try:
        __getattr__("register_torch_ops")()
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


def _public_names() -> list:
    ops = _importlib.import_module(f"{__name__}.ops")
    return ["get_cmake_dir", "get_include", "register_torch_ops", *_FROM_CORE, *_FROM_ARRAYS, *_SUBMODULES,
            *ops.__all__]
