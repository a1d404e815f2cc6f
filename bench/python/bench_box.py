"""Box geometry: locuskit vs torchvision vs NumPy on the same inputs, in the same run.

Prints the best-of-N wall time of each and the ratio (peer time / locuskit time). Single-thread
rows pin both libraries to one thread (locuskit.set_num_threads(1), torch.set_num_threads(1)).
Run: PYTHONPATH=build/dev/python /usr/bin/python3 bench/python/bench_box.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import locuskit

try:
    import torch
    import torchvision.ops as tvops
except ImportError:  # pragma: no cover - the benchmark needs the peer
    raise SystemExit("bench_box.py needs torch and torchvision (python3-torchvision)")


def best_time(fn, repeat):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def boxes(rng, n, dtype=np.float32):
    xy = rng.uniform(0, 1000, size=(n, 2))
    wh = rng.uniform(1, 100, size=(n, 2))
    return np.ascontiguousarray(np.concatenate([xy, xy + wh], axis=1).astype(dtype))


def np_inter_union(a, b):
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter, (area_a[:, None] + area_b) - inter


def np_iou(a, b):
    inter, union = np_inter_union(a, b)
    return inter / union


def np_giou(a, b):
    inter, union = np_inter_union(a, b)
    lt = np.minimum(a[:, None, :2], b[None, :, :2])
    rb = np.maximum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    area = wh[..., 0] * wh[..., 1]
    return inter / union - (area - union) / area


def row(name, pairs, t_ours, peers):
    cells = [f"{name:<44s}", f"locuskit {t_ours * 1e3:9.3f} ms ({pairs / t_ours / 1e6:8.1f} M/s)"]
    for peer, t in peers:
        cells.append(f"{peer} {t * 1e3:9.3f} ms  x{t / t_ours:6.1f}")
    print(" | ".join(cells), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = ap.parse_args()
    rep = 3 if args.quick else 7
    rng = np.random.default_rng(0)
    big_n = 2000 if args.quick else 10000
    a, b = boxes(rng, big_n), boxes(rng, 1000)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    threads_all = os.cpu_count() or 1
    print(f"locuskit {locuskit.__version__} simd={locuskit.simd_arch()} torch {torch.__version__} "
          f"cores={threads_all}")

    for threads in (1, threads_all):
        locuskit.set_num_threads(threads)
        torch.set_num_threads(threads)
        tag = f"[{threads} thr]"
        pairs = len(a) * len(b)
        # Bitwise parity on these very inputs, so the ratio compares equal work.
        assert np.array_equal(locuskit.box_iou(a, b), tvops.box_iou(ta, tb).numpy())
        assert np.array_equal(locuskit.generalized_box_iou(a, b), tvops.generalized_box_iou(ta, tb).numpy())
        t = best_time(lambda: locuskit.box_iou(a, b), rep)
        row(f"box_iou {len(a)}x{len(b)} f32 {tag}", pairs, t,
            [("torchvision", best_time(lambda: tvops.box_iou(ta, tb), rep)),
             ("numpy", best_time(lambda: np_iou(a, b), max(1, rep // 3)))])
        t = best_time(lambda: locuskit.generalized_box_iou(a, b), rep)
        row(f"generalized_box_iou {len(a)}x{len(b)} f32 {tag}", pairs, t,
            [("torchvision", best_time(lambda: tvops.generalized_box_iou(ta, tb), max(1, rep // 2))),
             ("numpy", best_time(lambda: np_giou(a, b), max(1, rep // 3)))])
        t = best_time(lambda: locuskit.distance_box_iou(a, b), rep)
        row(f"distance_box_iou {len(a)}x{len(b)} f32 {tag}", pairs, t,
            [("torchvision", best_time(lambda: tvops.distance_box_iou(ta, tb), max(1, rep // 2)))])
        t = best_time(lambda: locuskit.complete_box_iou(a, b), rep)
        row(f"complete_box_iou {len(a)}x{len(b)} f32 {tag}", pairs, t,
            [("torchvision", best_time(lambda: tvops.complete_box_iou(ta, tb), max(1, rep // 2)))])

        n = 20000 if args.quick else 100000
        p, g = boxes(rng, n), boxes(rng, n)
        tp, tg = torch.from_numpy(p), torch.from_numpy(g)

        def torch_loss_and_grad(fn):
            x = tp.clone().requires_grad_(True)
            fn(x, tg, reduction="mean").backward()
            return x.grad

        for name, ours, theirs in [
            ("generalized_box_iou_loss+grad", locuskit.generalized_box_iou_loss, tvops.generalized_box_iou_loss),
            ("complete_box_iou_loss+grad", locuskit.complete_box_iou_loss, tvops.complete_box_iou_loss),
        ]:
            t = best_time(lambda: ours(p, g, "mean", return_grad=True), rep)
            row(f"{name} {n} f32 {tag}", n, t, [("torch autograd", best_time(lambda: torch_loss_and_grad(theirs), rep))])
        m = 200000 if args.quick else 1000000
        c = boxes(rng, m)
        tc = torch.from_numpy(c)
        t = best_time(lambda: locuskit.box_convert(c, "xyxy", "cxcywh"), rep)
        row(f"box_convert xyxy->cxcywh {m} f32 {tag}", m, t,
            [("torchvision", best_time(lambda: tvops.box_convert(tc, "xyxy", "cxcywh"), rep))])
    locuskit.set_num_threads(threads_all)


if __name__ == "__main__":
    main()
