"""Rotated IoU 1000 x 1000 and rotated NMS at 10k (float32): locuskit vs detectron2, same run, same inputs.

Peers (public source, built outside the project by bench/setup-peers under $LOCUSKIT_PEERS):
* the REAL detectron2 CPU ops `box_iou_rotated` and `nms_rotated` (facebookresearch/detectron2 @
  02b5c4e, Apache-2.0): its source files unchanged, built with torch.utils.cpp_extension against
  Debian's torch 1.13 (`libtorch-dev`), in $LOCUSKIT_PEERS/detectron2-op/build/d2rot_op.so;
* the stand-in used before that build existed: detectron2's `box_iou_rotated_utils.h` compiled
  UNCHANGED with g++ -O2 into a small shared library under $LOCUSKIT_PEERS/detectron2-rotated,
  driven by the same i/j double loop as its `box_iou_rotated_cpu.cpp` (no tensor indexing per pair).

Run: LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_rotated.py [--nms-n 10000]
Prints CPU-time medians (``_live.time_call``: one warm-up call first, calls shorter than 20 ms
batched; one thread on every side) and the load average.
"""
from __future__ import annotations

import ctypes
import os
import pathlib
import subprocess
import sys

import numpy as np

import locuskit
import locuskit.ops
from locuskit import rotated

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _live import time_call  # noqa: E402

PEERS = pathlib.Path(os.environ.get("LOCUSKIT_PEERS", "/work/peers")) / "detectron2-rotated"
D2_OP = pathlib.Path(os.environ.get("LOCUSKIT_PEERS", "/work/peers")) / "detectron2-op" / "build"

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


def real_detectron2():
    """The compiled detectron2 ops, or None (saying why)."""
    so = D2_OP / "d2rot_op.so"
    if not so.exists():
        print(f"  (real detectron2 op not built: {so} missing; see bench/setup-peers)")
        return None
    import importlib.util

    import torch  # noqa: F401  (the op's symbols live in libtorch)
    spec = importlib.util.spec_from_file_location("d2rot_op", so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def nms_boxes(rng, n):
    """Detector-like clustered boxes (locuskit.benchmarks.clustered_boxes) with random angles."""
    from locuskit.benchmarks import clustered_boxes
    xyxy, scores = clustered_boxes(rng, n)
    cxcy = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    wh = xyxy[:, 2:] - xyxy[:, :2]
    return (np.column_stack([cxcy, wh, rng.uniform(-90, 90, n)]).astype(np.float32),
            scores.astype(np.float32))


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--nms-n", type=int, default=10000)
    ap.add_argument("--nms-peer-runs", type=int, default=1, help="runs of detectron2's nms_rotated (slow)")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(1)
    locuskit.set_num_threads(1)
    print("load average at start:", os.getloadavg())
    rng = np.random.default_rng(2026)
    a, b = boxes(rng, 1000), boxes(rng, 1000)
    d2 = build_peer()
    real = real_detectron2()
    out = np.empty((1000, 1000), np.float32)
    fp = ctypes.POINTER(ctypes.c_float)

    def peer():
        d2.d2_box_iou_rotated(a.ctypes.data_as(fp), 1000, b.ctypes.data_as(fp), 1000, out.ctypes.data_as(fp))

    peer()
    same = np.array_equal(rotated.box_iou_rotated(a, b, arithmetic="detectron2").view(np.uint32), out.view(np.uint32))
    exact_err = float(np.abs(rotated.box_iou_rotated(a, b).astype(np.float64) - out).max())
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    if real is not None:
        same_real = torch.equal(real.box_iou_rotated(ta, tb), torch.from_numpy(out))
    t_peer = time_call(peer, 5)["cpu_s"]
    t_real = time_call(lambda: real.box_iou_rotated(ta, tb), 5)["cpu_s"] if real is not None else None
    t_exact = time_call(lambda: rotated.box_iou_rotated(a, b), 5)["cpu_s"]
    t_d2 = time_call(lambda: rotated.box_iou_rotated(a, b, arithmetic="detectron2"), 5)["cpu_s"]
    print(f"rotated IoU 1000x1000 float32, 1 thread, CPU-time medians of 5 runs, nonzero pairs "
          f"{int((out > 0).sum())}")
    base = t_real if t_real is not None else t_peer
    if t_real is not None:
        print(f"  detectron2 box_iou_rotated (real CPU op)  {t_real * 1e3:8.1f} ms   "
              f"(equal to the stand-in bit for bit: {same_real})")
    print(f"  detectron2 geometry (g++ -O2, plain loop) {t_peer * 1e3:8.1f} ms")
    print(f"  locuskit exact                            {t_exact * 1e3:8.1f} ms   x{base / t_exact:.2f} "
          f"(x{t_peer / t_exact:.2f} vs stand-in)   max |exact - d2| {exact_err:.2e}")
    print(f"  locuskit arithmetic='detectron2'          {t_d2 * 1e3:8.1f} ms   x{base / t_d2:.2f} "
          f"(x{t_peer / t_d2:.2f} vs stand-in)   bitwise equal: {same}")

    n = args.nms_n
    nb, ns = nms_boxes(np.random.default_rng(7), n)
    keep_exact = locuskit.ops.nms_rotated(nb, ns, 0.5)
    keep_d2 = locuskit.ops.nms_rotated(nb, ns, 0.5, iou="detectron2")
    t_nms = time_call(lambda: locuskit.ops.nms_rotated(nb, ns, 0.5), 5)["cpu_s"]
    t_nms_d2 = time_call(lambda: locuskit.ops.nms_rotated(nb, ns, 0.5, iou="detectron2"), 5)["cpu_s"]
    print(f"rotated NMS, {n} clustered boxes, IoU 0.5, 1 thread: kept {len(keep_exact)} (exact), "
          f"{len(keep_d2)} (detectron2 arithmetic)")
    if real is not None:
        tnb, tns = torch.from_numpy(nb), torch.from_numpy(ns)
        t_real_nms = time_call(lambda: real.nms_rotated(tnb, tns, 0.5), args.nms_peer_runs)["cpu_s"]
        keep_real = real.nms_rotated(tnb, tns, 0.5).numpy()
        print(f"  detectron2 nms_rotated (real CPU op)      {t_real_nms * 1e3:8.1f} ms   "
              f"kept {len(keep_real)}, indices equal to iou='detectron2': {np.array_equal(keep_real, keep_d2)}")
    print(f"  locuskit nms_rotated exact                {t_nms * 1e3:8.1f} ms" +
          (f"   x{t_real_nms / t_nms:.1f}" if real is not None else ""))
    print(f"  locuskit nms_rotated iou='detectron2'     {t_nms_d2 * 1e3:8.1f} ms" +
          (f"   x{t_real_nms / t_nms_d2:.1f}" if real is not None else ""))
    print("  load average at end:", os.getloadavg())


if __name__ == "__main__":
    main()
