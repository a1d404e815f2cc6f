"""``locuskit info``: what this build carries."""
from __future__ import annotations


def _run(args) -> int:
    import locuskit

    print(f"locuskit {locuskit.__version__}")
    print(f"simd: {locuskit.simd_arch()} (available: {', '.join(locuskit.available_simd_archs()) or 'none'})")
    print(f"threads: {locuskit.get_num_threads()}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("info", help="version, SIMD architecture and thread count of this build")
    p.set_defaults(func=_run)
