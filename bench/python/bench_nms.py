"""NMS family vs torchvision / OpenCV, single thread: the same table as ``locuskit bench nms``.

Usage: PYTHONPATH=build/dev/python /usr/bin/python3 bench/python/bench_nms.py [--sizes 1000 10000 50000]
"""
from __future__ import annotations

import argparse
import sys

from locuskit.benchmarks import areas

nms = areas()["nms"]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=nms.DESCRIPTION)
    nms.add_arguments(parser)
    sys.exit(nms.run(parser.parse_args()))
