"""The ``locuskit`` command line.

Each area adds its subcommands in ``locuskit/_cli/<name>.py`` with a ``register(subparsers)``
function; this module discovers them, so areas never edit a shared file.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import _cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="locuskit",
        description="Object localization toolkit: detection and trajectory evaluation, NMS benchmarks.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and SIMD architecture")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(_cli.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        importlib.import_module(f"{_cli.__name__}.{info.name}").register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        import locuskit

        print(f"locuskit {locuskit.__version__} (simd {locuskit.simd_arch()}, threads {locuskit.get_num_threads()})")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, KeyError) as exc:
        print(f"locuskit {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
