"""Benchmarks shipped with the package, run by ``locuskit bench <area>``.

Each module here is one area. It defines ``DESCRIPTION`` (one line), ``add_arguments(parser)``
and ``run(args) -> int``; ``locuskit/_cli/bench.py`` discovers them, so a new area only adds a
module. Benchmarks time locuskit and its installed peers on the same inputs in the same run.
"""
