"""Per-call cost of the Python ``nms`` / ``batched_nms`` in a loop (issue 16, "reusable buffers").

Calls each function 1000 times in a row on the same detector-like input (the inputs of
``locuskit bench nms``: N proposals around N/25 objects, float32, IoU 0.5) and reports the median
per-call wall and CPU time over 5 loops, and the minor page faults per call (getrusage). The C++
kernel alone is what bench/cpp measures; the difference is the binding's per-call overhead. Run it
with the interpreter whose locuskit you want to measure (before/after builds side by side):

    .venv/bin/python bench/python/bench_nms_per_call.py
"""
from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np

import locuskit
from locuskit.benchmarks import clustered_boxes


def per_call(fn, calls: int, loops: int):
    walls, cpus, faults = [], [], []
    fn()  # warm-up (the per-thread workspace, the pool)
    for _ in range(loops):
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        walls.append((time.perf_counter() - w0) / calls)
        cpus.append((time.process_time() - c0) / calls)
        faults.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / calls)
    return statistics.median(walls), statistics.median(cpus), statistics.median(faults)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--loops", type=int, default=5)
    args = p.parse_args()
    locuskit.set_num_threads(1)
    print(f"locuskit {locuskit.__file__}")
    print(f"{'function':<12} {'N':>6} {'wall/call':>10} {'cpu/call':>10} {'faults/call':>11}")
    for n in args.sizes:
        boxes, scores = clustered_boxes(np.random.default_rng(0), n)
        idxs = np.random.default_rng(1).integers(0, 80, n).astype(np.int64)
        for name, fn in (("nms", lambda: locuskit.nms(boxes, scores, 0.5)),
                         ("batched_nms", lambda: locuskit.batched_nms(boxes, scores, idxs, 0.5))):
            w, c, f = per_call(fn, args.calls, args.loops)
            print(f"{name:<12} {n:>6} {w * 1e3:>8.3f}ms {c * 1e3:>8.3f}ms {f:>11.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
