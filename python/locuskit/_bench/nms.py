"""NMS benchmark: locuskit against torchvision and OpenCV, single thread, same inputs, same run.

Inputs imitate a detector's raw output: N boxes around N/25 objects (sizes 16-256 px in a
1024x1024 image), each proposal jittered by ~10% of its object's size, uniform random scores.
"""
from __future__ import annotations

from ._util import load_average, median_time, print_table

DESCRIPTION = "NMS family vs torchvision / OpenCV (single thread): nms, batched_nms, soft-NMS, multiclass"


def clustered_boxes(rng: np.random.Generator, n: int, extent: float = 1024.0, per_object: int = 25,
                    dtype="float32"):
    """Detector-like boxes (xyxy) and scores: n proposals around n / per_object objects."""
    import numpy as np  # imported when used: `locuskit traj ...` starts without NumPy

    k = max(1, n // per_object)
    centres = rng.uniform(0, extent, size=(k, 2))
    sizes = rng.uniform(16, 256, size=(k, 2))
    obj = rng.integers(0, k, n)
    c = centres[obj] + rng.normal(0, 1, size=(n, 2)) * sizes[obj] * 0.1
    wh = sizes[obj] * rng.uniform(0.7, 1.3, size=(n, 2))
    boxes = np.ascontiguousarray(np.concatenate([c - wh / 2, c + wh / 2], 1).astype(dtype))
    scores = rng.random(n).astype(dtype)
    return boxes, scores


def add_arguments(p) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000], help="box counts for nms")
    p.add_argument("--repeat", type=int, default=7, help="runs per measurement (the median is reported)")
    p.add_argument("--iou", type=float, default=0.5, help="IoU threshold")
    p.add_argument("--quick", action="store_true", help="small sizes only (smoke test)")
    p.add_argument("--seed", type=int, default=0)


def _fmt_ms(t):
    return "-" if t is None else f"{t[0] * 1e3:.3f} / {t[1] * 1e3:.3f}"


def _ratio(peer, ours):
    if peer is None:
        return "-"
    cpu = f"{peer[1] / ours[1]:.1f}x" if ours[1] > 0 else "-"
    return f"{peer[0] / ours[0]:.1f}x / {cpu}"


def run(args) -> int:
    import numpy as np

    import locuskit as lk

    try:
        import torch
        import torchvision.ops as tv_ops

        torch.set_num_threads(1)
    except ImportError:
        torch = tv_ops = None
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        cv2 = None

    load_before = load_average()
    prev_threads = lk.get_num_threads()
    lk.set_num_threads(1)
    sizes = [500, 2000] if args.quick else args.sizes
    rng = np.random.default_rng(args.seed)
    thr = args.iou
    rows = []

    def row(op, n, ours, peer_name, peer, agree):
        rows.append([op, n, _fmt_ms(ours), f"{n / ours[0] / 1e6:.1f}", peer_name, _fmt_ms(peer), _ratio(peer, ours),
                     agree])

    try:
        for n in sizes:
            boxes, scores = clustered_boxes(rng, n)
            ours_keep = lk.nms(boxes, scores, thr)
            t_ours = median_time(lambda: lk.nms(boxes, scores, thr), args.repeat)
            if tv_ops is not None:
                tb, ts = torch.from_numpy(boxes), torch.from_numpy(scores)
                same = np.array_equal(tv_ops.nms(tb, ts, thr).numpy(), ours_keep)
                t_tv = median_time(lambda: tv_ops.nms(tb, ts, thr), args.repeat if n <= 10000 else 2)
                row("nms", n, t_ours, "torchvision.ops.nms", t_tv, "identical" if same else "DIFFERENT")
            if cv2 is not None:
                rects = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1).astype(np.float64).tolist()
                sl = scores.tolist()
                t_cv = median_time(lambda: cv2.dnn.NMSBoxes(rects, sl, 0.0, thr), args.repeat if n <= 10000 else 2)
                row("nms", n, t_ours, "cv2.dnn.NMSBoxes", t_cv, "-")

        # batched_nms, 80 classes.
        nb = 5000 if args.quick else 50000
        boxes, scores = clustered_boxes(rng, nb)
        idxs = rng.integers(0, 80, nb).astype(np.int64)
        t_ours = median_time(lambda: lk.batched_nms(boxes, scores, idxs, thr), args.repeat)
        if tv_ops is not None:
            tb, ts, ti = torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(idxs)
            want = tv_ops.batched_nms(tb, ts, ti, thr).numpy()
            got = lk.batched_nms(boxes, scores, idxs, thr)
            same = sorted(want.tolist()) == sorted(got.tolist())
            t_tv = median_time(lambda: tv_ops.batched_nms(tb, ts, ti, thr), args.repeat)
            row("batched_nms/80 cls", nb, t_ours, "torchvision batched_nms", t_tv, "same set" if same else "DIFFERENT")
        else:
            row("batched_nms/80 cls", nb, t_ours, "-", None, "-")

        # Soft-NMS (gaussian): cv2's 4.6 binding takes integer Rects.
        for ns in ([500] if args.quick else [1000, 5000]):
            boxes, scores = clustered_boxes(rng, ns)
            boxes = np.round(boxes).astype(np.float32)
            boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
            t_ours = median_time(lambda: lk.soft_nms(boxes, scores, sigma=0.5, score_threshold=0.001), args.repeat)
            if cv2 is not None:
                rects = [[int(a), int(b), int(c - a), int(d - b)] for a, b, c, d in boxes]
                sl = scores.tolist()
                ck, _ = lk.soft_nms(boxes.astype(np.float64), scores.astype(np.float64), sigma=0.5, score_threshold=0.001)
                cs, ci = cv2.dnn.softNMSBoxes(rects, sl, 0.001, 0.3, sigma=0.5)
                same = np.array_equal(np.asarray(ci).reshape(-1), ck)
                t_cv = median_time(lambda: cv2.dnn.softNMSBoxes(rects, sl, 0.001, 0.3, sigma=0.5), 3)
                row("soft_nms gaussian", ns, t_ours, "cv2.dnn.softNMSBoxes", t_cv, "identical" if same else "DIFFERENT")
            else:
                row("soft_nms gaussian", ns, t_ours, "-", None, "-")

        # multiclass_nms, YOLO-like head: 8400 anchors x 80 classes, sigmoid-ish sparse scores.
        B, N, C = (2, 2000, 80) if args.quick else (8, 8400, 80)
        boxes = np.stack([clustered_boxes(rng, N)[0] for _ in range(B)])
        scores = (rng.random((B, N, C)) ** 8).astype(np.float32)
        t_ours = median_time(lambda: lk.multiclass_nms(boxes, scores, score_threshold=0.25, iou_threshold=0.5,
                                                     max_total=300), args.repeat)
        row(f"multiclass_nms B={B},C={C}", B * N, t_ours, "-", None, "-")
    finally:
        lk.set_num_threads(prev_threads)

    print(f"locuskit {lk.__version__}, simd {lk.simd_arch()}, 1 thread, IoU threshold {thr}; median of "
          f"{args.repeat} runs, wall / CPU time; load average {load_before} before, {load_average()} after")
    print_table(rows, ["op", "N", "locuskit ms (wall / CPU)", "Mboxes/s", "peer", "peer ms (wall / CPU)",
                       "speed-up (wall / CPU)", "result"])
    return 0
