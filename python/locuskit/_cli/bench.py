"""``locuskit bench <area>``: run a benchmark shipped in ``locuskit._bench``.

Every module of ``locuskit._bench`` (not starting with ``_``) becomes ``locuskit bench <module>``;
it provides ``DESCRIPTION``, ``add_arguments(parser)`` and ``run(args)``.
"""
from __future__ import annotations

import importlib
import pkgutil


def register(sub) -> None:
    from .. import _bench

    p = sub.add_parser("bench", help="time locuskit against its peers (torchvision, OpenCV, ...)")
    areas = p.add_subparsers(dest="area", metavar="AREA")
    for info in sorted(pkgutil.iter_modules(_bench.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{_bench.__name__}.{info.name}")
        ap = areas.add_parser(info.name, help=getattr(mod, "DESCRIPTION", info.name))
        mod.add_arguments(ap)
        ap.set_defaults(func=mod.run)

    def _no_area(args) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=_no_area)
