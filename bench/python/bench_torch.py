"""Torch layer: box losses forward + backward through autograd, locuskit vs torchvision 0.14.

Same run, same inputs: N aligned pairs (default 100,000; predictions = targets + noise, 5% of them
inverted as an untrained head emits), float32 CPU tensors, ``reduction="mean"``, the predictions
(and, with ``--both``, the targets) require grad; one step = loss(pred, target) + backward().
Reported: median CPU time (process time) over ``--repeat`` steps after warm-up, single thread on
both sides (``--threads`` to change), and the load average at the start.
Also: ``nms`` on torch tensors called in a loop of 1000 (1, 1k and 10k detector-like boxes, IoU
0.5): locuskit vs torchvision per call (median CPU time of 5 loops); the 1-box call is the fixed
per-call overhead (tensors in and out, argument checks, binding), since its kernel does nothing.
And: ``box_iou`` 1000 x 1000 and 5000 x 2000 (4 and 40 MB results) with and without a reused
``out=`` buffer, and torchvision's ``box_iou`` on the same boxes.
Usage: .venv/bin/python bench/python/bench_torch.py [--n 100000] [--repeat 30]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def pairs(n, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.uniform(0, 1000, (n, 2))
    wh = rng.uniform(4, 200, (n, 2))
    target = np.concatenate([c - wh / 2, c + wh / 2], 1)
    pred = target + rng.normal(0, 10, (n, 4))
    inv = rng.random(n) < 0.05
    pred[inv] = pred[inv][:, [2, 3, 0, 1]]
    return pred.astype(np.float32), target.astype(np.float32)


def median_cpu(fn, repeat, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--both", action="store_true", help="targets require grad too")
    args = ap.parse_args()

    import torch
    import torchvision
    import torchvision.ops as tvops

    import locuskit

    torch.set_num_threads(args.threads)
    locuskit.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    p_np, t_np = pairs(args.n)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, locuskit {locuskit.__version__}, "
          f"N={args.n}, threads={args.threads}, load average {load:.2f}")
    print(f"{'loss':<28}{'torchvision ms':>16}{'locuskit ms':>14}{'ratio':>8}")
    for name in ("generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"):
        res = {}
        for lib, mod in (("torchvision", tvops), ("locuskit", locuskit)):
            f = getattr(mod, name)
            pred = torch.from_numpy(p_np.copy()).requires_grad_()
            target = torch.from_numpy(t_np.copy()).requires_grad_(args.both)

            def step():
                pred.grad = None
                target.grad = None
                f(pred, target, reduction="mean").backward()

            res[lib] = median_cpu(step, args.repeat)
        print(f"{name:<28}{res['torchvision'] * 1e3:>16.2f}{res['locuskit'] * 1e3:>14.2f}"
              f"{res['torchvision'] / res['locuskit']:>7.1f}x")

    from locuskit.benchmarks import clustered_boxes

    def per_call(fn, calls=1000, loops=5):
        fn()
        cpus = []
        for _ in range(loops):
            c0 = time.process_time()
            for _ in range(calls):
                fn()
            cpus.append((time.process_time() - c0) / calls)
        return statistics.median(cpus)

    print(f"nms on float32 tensors, loop of 1000 calls, median CPU time per call of 5 loops, load {os.getloadavg()[0]:.2f}")
    for n in (1, 1000, 10000):
        boxes, scores = clustered_boxes(np.random.default_rng(0), max(n, 2))
        tb, ts = torch.from_numpy(boxes[:n]), torch.from_numpy(scores[:n])
        assert torch.equal(locuskit.nms(tb, ts, 0.5), tvops.nms(tb, ts, 0.5))
        ours = per_call(lambda: locuskit.nms(tb, ts, 0.5))
        theirs = per_call(lambda: tvops.nms(tb, ts, 0.5), calls=1000 if n <= 1000 else 100)
        print(f"  nms N={n:<6} torchvision {theirs * 1e6:9.1f} us   locuskit {ours * 1e6:9.1f} us   "
              f"{theirs / ours:6.1f}x   (same kept indices)")

    for n, m, calls in ((1000, 1000, 200), (5000, 2000, 20)):  # 4 MB and 40 MB float32 results
        b = torch.from_numpy(pairs(n, 2)[1])
        b2 = torch.from_numpy(pairs(m, 3)[1])
        out = torch.empty(n, m)
        fresh = median_cpu(lambda: locuskit.box_iou(b, b2), calls)
        reused = median_cpu(lambda: locuskit.box_iou(b, b2, out=out), calls)
        tv = median_cpu(lambda: tvops.box_iou(b, b2), max(calls // 10, 3))
        print(f"box_iou {n}x{m}: torchvision {tv * 1e3:.3f} ms, locuskit fresh {fresh * 1e3:.3f} ms, "
              f"locuskit out= {reused * 1e3:.3f} ms")

if __name__ == "__main__":
    main()
