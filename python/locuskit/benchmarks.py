"""Benchmarks shipped with the package (``locuskit bench <area>``) and the helpers they share.

Each area is a module with ``DESCRIPTION`` (one line), ``add_arguments(parser)`` and
``run(args) -> int`` (see :func:`areas`); every one times locuskit and its installed peers on the
same inputs in the same run. The helpers are public so that scripts under ``bench/`` and users'
own timings measure the same way: median wall and CPU time after a warm-up call.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Dict

from ._bench.nms import clustered_boxes
from ._bench._util import load_average, median_time, print_table, timed_runs

__all__ = ["areas", "clustered_boxes", "load_average", "median_time", "print_table", "timed_runs"]


def areas() -> Dict[str, ModuleType]:
    """Benchmark areas by name, sorted (``{"nms": <module>, ...}``): each module has
    ``DESCRIPTION``, ``add_arguments(parser)`` and ``run(args) -> int``."""
    from . import _bench

    out: Dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(_bench.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            out[info.name] = importlib.import_module(f"{_bench.__name__}.{info.name}")
    return out
