"""``locuskit bench <area>``: run a benchmark shipped with the package (``locuskit.benchmarks``).

Every area of :func:`locuskit.benchmarks.areas` becomes ``locuskit bench <area>``; it provides
``DESCRIPTION``, ``add_arguments(parser)`` and ``run(args)``.
"""
from __future__ import annotations


def register(sub) -> None:
    from locuskit.benchmarks import areas

    p = sub.add_parser("bench", help="time locuskit against its peers (torchvision, OpenCV, ...)")
    subparsers = p.add_subparsers(dest="area", metavar="AREA")
    for name, mod in areas().items():
        ap = subparsers.add_parser(name, help=getattr(mod, "DESCRIPTION", name))
        mod.add_arguments(ap)
        ap.set_defaults(func=mod.run)

    def _no_area(args) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=_no_area)
