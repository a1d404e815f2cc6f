"""Rotated IoU 1000 x 1000 (float32): locuskit vs detectron2's CPU geometry, same run, same inputs.

The peer: detectron2's `box_iou_rotated_utils.h` (facebookresearch/detectron2 @ 02b5c4e, public
source, Apache-2.0) compiled UNCHANGED with g++ -O2 into a small shared library under
$LOCUSKIT_PEERS/detectron2-rotated (outside the project), driven by the same i/j double loop as its
`box_iou_rotated_cpu.cpp`. The real `box_iou_rotated_cpu` additionally indexes a torch tensor per
pair (`ious[i * n2 + j] = ...`, `boxes1[i].data_ptr()`), which only makes the real peer slower: this
comparison favours the peer. Put the header there first:

    mkdir -p $P/detectron2-rotated && git -C <detectron2 checkout> show \
        02b5c4e:detectron2/layers/csrc/box_iou_rotated/box_iou_rotated_utils.h \
        > $P/detectron2-rotated/box_iou_rotated_utils.h

Run: LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_rotated.py
Prints CPU-time medians (time.process_time, 5 runs, one thread) and the load average.
"""
from __future__ import annotations

import ctypes
import os
import pathlib
import statistics
import subprocess
import time

import numpy as np

import locuskit
from locuskit import rotated

PEERS = pathlib.Path(os.environ.get("LOCUSKIT_PEERS", "/work/peers")) / "detectron2-rotated"

# Our driver (written for this benchmark): the loop of detectron2's box_iou_rotated_cpu_kernel.
DRIVER = r"""
#include "box_iou_rotated_utils.h"
extern "C" void d2_box_iou_rotated(const float* b1, long n1, const float* b2, long n2, float* out) {
  for (long i = 0; i < n1; i++)
    for (long j = 0; j < n2; j++)
      out[i * n2 + j] = detectron2::single_box_iou_rotated<float>(b1 + 5 * i, b2 + 5 * j);
}
"""


def build_peer():
    header = PEERS / "box_iou_rotated_utils.h"
    if not header.exists():
        raise SystemExit(f"{header} missing: see this script's docstring")
    lib = PEERS / "libd2rot.so"
    if not lib.exists():
        (PEERS / "driver.cpp").write_text(DRIVER)
        subprocess.run(["g++", "-std=c++17", "-O2", "-shared", "-fPIC", "-o", str(lib), str(PEERS / "driver.cpp")],
                       check=True)
    d2 = ctypes.CDLL(str(lib))
    fp = ctypes.POINTER(ctypes.c_float)
    d2.d2_box_iou_rotated.argtypes = [fp, ctypes.c_long, fp, ctypes.c_long, fp]
    return d2


def boxes(rng, n):
    return np.column_stack([rng.uniform(0, 400, (n, 2)), rng.uniform(4, 80, (n, 2)),
                            rng.uniform(-180, 180, n)]).astype(np.float32)


def cpu_median(fn, runs=5):
    ts = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts)


def main():
    rng = np.random.default_rng(2026)
    a, b = boxes(rng, 1000), boxes(rng, 1000)
    d2 = build_peer()
    out = np.empty((1000, 1000), np.float32)
    fp = ctypes.POINTER(ctypes.c_float)

    def peer():
        d2.d2_box_iou_rotated(a.ctypes.data_as(fp), 1000, b.ctypes.data_as(fp), 1000, out.ctypes.data_as(fp))

    locuskit.set_num_threads(1)
    peer()
    same = np.array_equal(rotated.box_iou_rotated(a, b, arithmetic="detectron2").view(np.uint32), out.view(np.uint32))
    exact_err = float(np.abs(rotated.box_iou_rotated(a, b).astype(np.float64) - out).max())
    t_peer = cpu_median(peer)
    t_exact = cpu_median(lambda: rotated.box_iou_rotated(a, b))
    t_d2 = cpu_median(lambda: rotated.box_iou_rotated(a, b, arithmetic="detectron2"))
    print(f"rotated IoU 1000x1000 float32, 1 thread, CPU-time medians of 5 runs, nonzero pairs "
          f"{int((out > 0).sum())}")
    print(f"  detectron2 geometry (g++ -O2, plain loop) {t_peer * 1e3:8.1f} ms")
    print(f"  locuskit exact                            {t_exact * 1e3:8.1f} ms   x{t_peer / t_exact:.2f}"
          f"   max |exact - d2| {exact_err:.2e}")
    print(f"  locuskit arithmetic='detectron2'          {t_d2 * 1e3:8.1f} ms   x{t_peer / t_d2:.2f}"
          f"   bitwise equal: {same}")
    print("  load average:", os.getloadavg())


if __name__ == "__main__":
    main()
