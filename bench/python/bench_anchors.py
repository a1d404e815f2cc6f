"""Anchors / coders / matchers: locuskit vs torchvision 0.14 on the same inputs, same run.

1. 5-level FPN anchors at 1333x800 (torchvision RetinaNet: padded 1344x800, P3-P7, sizes
   (x, x·2^(1/3), x·2^(2/3)) for x = 32..512, ratios 0.5/1/2: 9 per location, 201,600 anchors)
   generated and one set of deltas decoded (torchvision AnchorGenerator + BoxCoder).
2. Max-IoU matcher on those 201,600 anchors x 100 random gt (16-400 px), allow_low_quality_matches
   (torchvision: box_iou + Matcher(0.5, 0.4, True), RetinaNet's; locuskit: the fused
   Matcher.match_boxes, no 200k x 100 matrix).
3. Linear assignment on a 300x300 uniform random cost matrix against scipy's linear_sum_assignment.

Times: best of `--repeat` runs, single thread on both sides (`--threads` to change). Peak memory:
each case runs again in a fresh subprocess that, after one warm-up call, resets the kernel's
peak-RSS mark and reports VmHWM − VmRSS around one call (inputs already built, output included):
the extra resident memory the operation needed at its peak.
Usage: PYTHONPATH=build/dev/python /usr/bin/python3 bench/python/bench_anchors.py
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

SIZES = tuple((x, int(x * 2 ** (1.0 / 3)), int(x * 2 ** (2.0 / 3))) for x in [32, 64, 128, 256, 512])
RATIOS = ((0.5, 1.0, 2.0),) * 5
IMAGE = (800, 1344)
SHAPES = [(100, 168), (50, 84), (25, 42), (13, 21), (7, 11)]


def setup(case, threads):
    import torch
    import locuskit
    torch.set_num_threads(threads)
    locuskit.set_num_threads(threads)
    rng = np.random.default_rng(0)
    if case.startswith("lsa"):
        cost = rng.random((300, 300))
        return {"cost": cost}
    if case.startswith("fpn"):
        n = 9 * sum(h * w for h, w in SHAPES)
        deltas = rng.normal(0, 0.5, size=(n, 4)).astype(np.float32)
        return {"deltas": deltas, "deltas_t": torch.from_numpy(deltas)}
    from locuskit.anchors import AnchorGenerator
    anchors = AnchorGenerator(SIZES, RATIOS)(IMAGE, SHAPES)
    c = rng.uniform(0, [1344, 800], size=(100, 2))
    wh = rng.uniform(16, 400, size=(100, 2))
    gt = np.concatenate([c - wh / 2, c + wh / 2], 1).astype(np.float32)
    return {"anchors": anchors, "gt": gt, "anchors_t": torch.from_numpy(anchors), "gt_t": torch.from_numpy(gt)}


def make_op(case, d):
    import torch
    if case == "fpn_torchvision":
        from torchvision.models.detection.anchor_utils import AnchorGenerator
        from torchvision.models.detection._utils import BoxCoder
        from torchvision.models.detection.image_list import ImageList
        gen, coder = AnchorGenerator(SIZES, RATIOS), BoxCoder((1.0, 1.0, 1.0, 1.0))
        img = ImageList(torch.zeros((1, 3) + IMAGE), [IMAGE])
        feats = [torch.zeros((1, 1) + s) for s in SHAPES]

        def op():
            with torch.no_grad():
                a = gen(img, feats)[0]
                return coder.decode_single(d["deltas_t"], a)
        return op
    if case == "fpn_locuskit":
        from locuskit.anchors import AnchorGenerator
        from locuskit.coders import BoxCoder
        gen, coder = AnchorGenerator(SIZES, RATIOS), BoxCoder()

        def op():
            return coder.decode(d["deltas"], gen(IMAGE, SHAPES))
        return op
    if case == "match_torchvision":
        import torchvision
        from torchvision.models.detection._utils import Matcher
        matcher = Matcher(0.5, 0.4, True)

        def op():
            with torch.no_grad():
                return matcher(torchvision.ops.box_iou(d["gt_t"], d["anchors_t"]))
        return op
    if case == "match_locuskit":
        from locuskit.match import Matcher
        matcher = Matcher(0.5, 0.4, True)

        def op():
            return matcher.match_boxes(d["gt"], d["anchors"])[0]
        return op
    if case == "lsa_torchvision":  # the peer here is scipy
        from scipy.optimize import linear_sum_assignment
        return lambda: linear_sum_assignment(d["cost"])[1]
    if case == "lsa_locuskit":
        from locuskit.match import linear_sum_assignment
        return lambda: linear_sum_assignment(d["cost"])[1]
    raise ValueError(case)


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def child(case, threads):
    d = setup(case, threads)
    op = make_op(case, d)
    op()  # warm-up (lazy imports, thread pools); its result is dropped
    import gc
    gc.collect()
    # Reset the peak-RSS mark (Linux: "5" > clear_refs), so VmHWM after the call is this call's peak.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _status_kib("VmRSS")
    result = op()  # noqa: F841 - kept alive: the output counts
    after = _status_kib("VmHWM")
    print(json.dumps({"peak_mib": (after - before) / 1024.0}))


def best_time(op, repeat):
    op()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        op()
        best = min(best, time.perf_counter() - t0)
    return best


def peak(case, threads):
    # A fixed mmap threshold makes every large block a fresh mapping that is unmapped on free, so
    # freed warm-up memory is not silently reused and the peak counts every live byte.
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    out = subprocess.run([sys.executable, __file__, "--child", case, "--threads", str(threads)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.threads)
        return
    import locuskit
    print(f"locuskit {locuskit.__version__} simd={locuskit.simd_arch()} threads={args.threads}")
    for name in ("fpn", "match", "lsa"):
        d = setup(name, args.threads)
        ops = {side: make_op(f"{name}_{side}", d) for side in ("torchvision", "locuskit")}
        # Same results before timing.
        r_tv, r_lk = ops["torchvision"](), ops["locuskit"]()
        if name == "fpn":
            np.testing.assert_allclose(r_lk, r_tv.numpy(), rtol=1e-5, atol=1e-3)
        else:
            np.testing.assert_array_equal(r_lk, np.asarray(r_tv))
        t = {side: best_time(op, args.repeat) for side, op in ops.items()}
        m = {side: peak(f"{name}_{side}", args.threads) for side in ops}
        peer = "scipy" if name == "lsa" else "torchvision"
        print(f"{name:6s} {peer:11s} {t['torchvision'] * 1e3:9.2f} ms  locuskit {t['locuskit'] * 1e3:8.2f} ms  "
              f"ratio {t['torchvision'] / t['locuskit']:6.1f}x  peak +MiB peer {m['torchvision']:7.1f}  "
              f"locuskit {m['locuskit']:6.1f}")


if __name__ == "__main__":
    main()
