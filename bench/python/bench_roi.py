"""RoI operators and IoU-guided NMS: locuskit against torchvision (CPU), same inputs, same run.

- RoIAlign forward+backward on a ResNet-50-FPN-sized input: one P2 map of an 800x1216 image
  (1, 256, 200, 304), 1000 rois (16-512 px), output 7x7, spatial_scale 1/4, sampling_ratio 2,
  aligned=False (torchvision's MultiScaleRoIAlign settings). Outputs and gradients checked bitwise.
- PrRoIPool forward+backward (features and boxes) on the same input (no CPU peer exists).
- IoU-guided NMS vs locuskit's greedy nms at 10k detector-like boxes.
Reports the median wall time and the median CPU time (process time: all threads) of `--repeat` runs.

    .venv/bin/python bench/python/bench_roi.py [--repeat 5] [--threads 1 2]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
import torchvision.ops as tvops

import locuskit as lk
from locuskit import roi as lroi


def measure(fn, repeat):
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def fpn_problem(rng, k=1000, c=256, h=200, w=304):
    f = rng.standard_normal((1, c, h, w)).astype(np.float32)
    wh = np.exp(rng.uniform(np.log(16), np.log(512), (k, 2)))
    xy = rng.uniform(0, [1216, 800], (k, 2)) - wh / 2
    rois = np.concatenate([np.zeros((k, 1)), xy, xy + wh], 1).astype(np.float32)
    return f, rois


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()
    torch.set_num_threads(1)  # torchvision's CPU roi_align is single-threaded either way
    rng = np.random.default_rng(0)
    f, rois = fpn_problem(rng)
    g = rng.standard_normal((rois.shape[0], 256, 7, 7)).astype(np.float32)
    ft, rt, gt = torch.from_numpy(f), torch.from_numpy(rois), torch.from_numpy(g)
    print(f"load average {os.getloadavg()}, torch {torch.__version__}, simd {lk.simd_arch()}")

    def tv_align():
        x = ft.requires_grad_(True)
        out = tvops.roi_align(x, rt, 7, 0.25, 2, False)
        (gx,) = torch.autograd.grad(out, x, gt)
        x.requires_grad_(False)
        return out, gx

    def lk_align():
        x = ft.requires_grad_(True)
        out = lroi.roi_align(x, rt, 7, 0.25, 2, False)
        (gx,) = torch.autograd.grad(out, x, gt)
        x.requires_grad_(False)
        return out, gx

    a, b = tv_align(), lk_align()
    same = torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    tv_w, tv_c = measure(tv_align, args.repeat)
    print(f"roi_align fwd+bwd 1000 rois 256ch 7x7 (bitwise equal: {same})")
    print(f"  torchvision          wall {tv_w * 1e3:8.1f} ms  cpu {tv_c * 1e3:8.1f} ms")
    for t in args.threads:
        lk.set_num_threads(t)
        w, c = measure(lk_align, args.repeat)
        print(f"  locuskit {t} thread(s) wall {w * 1e3:8.1f} ms  cpu {c * 1e3:8.1f} ms  "
              f"speed-up (wall) {tv_w / w:5.2f}x  (cpu) {tv_c / c:5.2f}x")
    # forward alone
    tvf_w, tvf_c = measure(lambda: tvops.roi_align(ft, rt, 7, 0.25, 2, False), args.repeat)
    for t in args.threads:
        lk.set_num_threads(t)
        w, c = measure(lambda: lroi.roi_align(f, rois, 7, 0.25, 2, False), args.repeat)
        print(f"  forward only: torchvision wall {tvf_w * 1e3:.1f} / cpu {tvf_c * 1e3:.1f} ms, locuskit {t} thread(s) "
              f"wall {w * 1e3:.1f} / cpu {c * 1e3:.1f} ms ({tvf_w / w:.2f}x wall, {tvf_c / c:.2f}x cpu)")

    for t in args.threads:
        lk.set_num_threads(t)

        def pr():
            x = ft.requires_grad_(True)
            r = rt.clone().requires_grad_(True)
            out = lroi.prroi_pool(x, r, 7, 0.25)
            gx, gr = torch.autograd.grad(out, (x, r), gt)
            x.requires_grad_(False)

        w, c = measure(pr, args.repeat)
        print(f"prroi_pool fwd+bwd (features and boxes), {t} thread(s): wall {w * 1e3:.1f} ms, cpu {c * 1e3:.1f} ms, "
              f"{rois.shape[0] / w:.0f} rois/s")

    lk.set_num_threads(1)
    from locuskit.benchmarks import clustered_boxes

    boxes, scores = clustered_boxes(np.random.default_rng(1), 10000)
    loc = np.random.default_rng(2).random(10000).astype(np.float32)
    k1 = lk.nms(boxes, loc, 0.5)
    k2, _ = lroi.iou_guided_nms(boxes, scores, loc, 0.5)
    gw, gc = measure(lambda: lk.nms(boxes, loc, 0.5), max(args.repeat, 7))
    iw, ic = measure(lambda: lroi.iou_guided_nms(boxes, scores, loc, 0.5), max(args.repeat, 7))
    print(f"10k boxes, threshold 0.5, 1 thread, {len(k1)} kept: greedy nms wall {gw * 1e3:.2f} / cpu {gc * 1e3:.2f} ms, "
          f"iou_guided_nms wall {iw * 1e3:.2f} / cpu {ic * 1e3:.2f} ms ({ic / gc:.2f}x greedy's cpu; "
          f"same kept set: {np.array_equal(k1, k2)})")


if __name__ == "__main__":
    main()
