"""3D IoU of yaw-only boxes: locuskit ``box3d.box3d_iou`` vs pytorch3d's CPU ``iou_box3d`` op, same
run, same boxes.

The peer: pytorch3d (facebookresearch/pytorch3d @ 9381c401, BSD) ``csrc/iou_box3d`` CPU op, its
source files unchanged, built with torch.utils.cpp_extension against Debian's torch 1.13
(``libtorch-dev``) by bench/setup-peers into ``$LOCUSKIT_PEERS/pytorch3d-op/build/p3d_iou3d_op.so``
(a 4-line pybind11 module written there instead of pytorch3d's ext.cpp). The op is what
``pytorch3d.ops.box3d_overlap`` calls after its Python-side checks (coplanar faces, non-zero
areas), which are not timed here: that favours the peer. Input: the boxes' corners in pytorch3d's
order (``locuskit.box3d.box3d_corners``, float32), as the op takes them.

Data: ``--n`` random LiDAR boxes against ``--n`` others (default 200 x 200; pytorch3d's CPU op
costs tens of microseconds a pair), centres in a 40 m x 40 m x 2 m volume, sizes 0.5-6 m, any yaw.
CPU-time medians (``_live.time_call``: one warm-up call first, calls shorter than 20 ms batched),
one thread, load average printed.

    LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_box3d.py [--n 200]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _live import time_call  # noqa: E402


def boxes(rng, n):
    return np.column_stack([rng.uniform(0, 40, (n, 2)), rng.uniform(0, 2, n), rng.uniform(0.5, 6, (n, 3)),
                            rng.uniform(-np.pi, np.pi, n)]).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import torch

    import locuskit
    from locuskit import box3d
    torch.set_num_threads(1)
    locuskit.set_num_threads(1)
    so = pathlib.Path(os.environ.get("LOCUSKIT_PEERS", "/work/peers")) / "pytorch3d-op" / "build" / "p3d_iou3d_op.so"
    if not so.exists():
        raise SystemExit(f"{so} missing: run bench/setup-peers (needs libtorch-dev)")
    spec = importlib.util.spec_from_file_location("p3d_iou3d_op", so)
    p3d = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(p3d)

    print("load average at start:", os.getloadavg())
    rng = np.random.default_rng(3)
    a, b = boxes(rng, args.n), boxes(rng, args.n)
    ca, cb = torch.from_numpy(box3d.box3d_corners(a)), torch.from_numpy(box3d.box3d_corners(b))
    _, iou_p3d = p3d.iou_box3d(ca, cb)
    ours = box3d.box3d_iou(a, b)
    d = np.abs(ours.astype(np.float64) - iou_p3d.numpy())
    t_p3d = time_call(lambda: p3d.iou_box3d(ca, cb), args.runs)["cpu_s"]
    t_ours = time_call(lambda: box3d.box3d_iou(a, b), max(args.runs, 5))["cpu_s"]
    print(f"3D IoU {args.n} x {args.n} float32, 1 thread, CPU-time medians; nonzero pairs "
          f"{int((ours > 0).sum())} (pytorch3d {int((iou_p3d.numpy() > 0).sum())}), max |ours - pytorch3d| {d.max():.2e}")
    print(f"  pytorch3d iou_box3d (real CPU op)  {t_p3d * 1e3:10.2f} ms")
    print(f"  locuskit box3d_iou (exact)         {t_ours * 1e3:10.2f} ms   x{t_p3d / t_ours:.1f}")
    print("  load average at end:", os.getloadavg())


if __name__ == "__main__":
    main()
