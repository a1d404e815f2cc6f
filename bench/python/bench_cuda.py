"""locuskit.cuda vs torchvision.ops on the same GPU, same inputs, same run.

Cases (float32, IoU threshold 0.5):
  * nms, one image: 10k / 50k / 200k clustered boxes (uniform scores);
  * batched_nms, a batch of 64 images x 20k boxes, each box labelled with one of 80 classes
    (ids = image * 80 + class: 1.28M boxes, 5120 independent NMS problems);
  * multiclass_nms, dense scores (64, 20000, 80) with score_threshold 0.05, max 100 per class and
    per image, against the torchvision way (per image: threshold, batched_nms, keep the top 100).
Times are medians of CUDA-event timings after a warm-up, both sides including their host read-back
(torchvision's nms copies its mask to the host; locuskit's nms reads the kept count; multiclass
has none) and locuskit with validate=False. "GPU-busy" is the summed device time of locuskit's
kernels, memsets and copies in one call (torch.profiler). The floor is the input bytes read once
at the device-to-device copy bandwidth measured here.

Usage: python bench/python/bench_cuda.py [--quick]
"""
from __future__ import annotations

import statistics
import sys

import numpy as np
import torch
import torchvision

import locuskit.cuda as lc


def clustered_boxes(rng, n, extent):
    centres = rng.uniform(0, extent, size=(max(1, n // 8), 2))
    c = centres[rng.integers(0, len(centres), n)] + rng.normal(0, extent / 200, size=(n, 2))
    wh = rng.uniform(extent / 100, extent / 20, size=(n, 2))
    return np.concatenate([c - wh / 2, c + wh / 2], axis=1).astype(np.float32)


def timed(fn, reps):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(stop))
    return statistics.median(times)


def device_ms(fn):
    """Sum of the GPU activity (kernels, memsets, copies) of one call, from torch.profiler; the
    time the device is busy, without launch gaps and host work. NaN if the profiler is unusable."""
    try:
        from torch.profiler import ProfilerActivity, profile

        fn()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            fn()
            torch.cuda.synchronize()
        total_us = 0.0
        for e in prof.key_averages():
            total_us += getattr(e, "self_device_time_total", None) or getattr(e, "self_cuda_time_total", 0.0)
        return total_us / 1e3
    except Exception:  # noqa: BLE001 - the benchmark still reports wall times
        return float("nan")


def copy_bandwidth():
    x = torch.empty(1 << 28, dtype=torch.float32, device="cuda")  # 1 GiB
    ms = timed(lambda: x.clone(), 5)
    return 2 * x.numel() * 4 / (ms * 1e-3)  # bytes read + written per second


def row(name, ours, busy, peer, floor_ms, note=""):
    ratio = peer / ours if ours > 0 else float("nan")
    print(f"| {name} | {ours:.3f} | {busy:.3f} | {peer:.3f} | {ratio:.1f}x | {floor_ms:.4f} | {busy / floor_ms:.0f}x "
          f"| {note} |")


def main():
    quick = "--quick" in sys.argv
    assert lc.available(), "locuskit.cuda is not available (no CUDA build or no GPU)"
    rng = np.random.default_rng(0)
    bw = copy_bandwidth()
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, torchvision {torchvision.__version__}, "
          f"copy bandwidth {bw / 1e12:.2f} TB/s (read+write)")
    print("| case | locuskit ms | locuskit GPU-busy ms | torchvision ms | speed-up | floor ms | GPU-busy / floor "
          "| notes |")
    print("|---|---|---|---|---|---|---|---|")

    for n in ([10_000] if quick else [10_000, 50_000, 200_000]):
        b = torch.from_numpy(clustered_boxes(rng, n, 1000.0 * (n / 10_000) ** 0.5)).cuda()
        s = torch.rand(n, device="cuda")
        ours = timed(lambda: lc.nms(b, s, 0.5, validate=False), 20)
        peer = timed(lambda: torchvision.ops.nms(b, s, 0.5), 3 if n > 50_000 else 10)
        k_ours = lc.nms(b, s, 0.5, validate=False)
        k_peer = torchvision.ops.nms(b, s, 0.5)
        same = torch.equal(k_ours, k_peer)
        busy = device_ms(lambda: lc.nms(b, s, 0.5, validate=False))
        row(f"nms {n // 1000}k boxes", ours, busy, peer, (n * 20) / bw * 1e3,
            f"{len(k_ours)} kept, {'identical' if same else 'differs (ties/threshold rounding)'}")

    images, per_image, classes = (8 if quick else 64), 20_000, 80
    n = images * per_image
    b = torch.from_numpy(np.concatenate([clustered_boxes(rng, per_image, 1000.0) for _ in range(images)])).cuda()
    s = torch.rand(n, device="cuda")
    ids = (torch.arange(images, device="cuda").repeat_interleave(per_image) * classes
           + torch.randint(0, classes, (n,), device="cuda"))
    ours = timed(lambda: lc.batched_nms(b, s, ids, 0.5, validate=False), 10)
    peer = timed(lambda: torchvision.ops.batched_nms(b, s, ids, 0.5), 2)
    k_ours = lc.batched_nms(b, s, ids, 0.5, validate=False)
    k_peer = torchvision.ops.batched_nms(b, s, ids, 0.5)
    same = set(k_ours.tolist()) == set(k_peer.tolist())
    busy = device_ms(lambda: lc.batched_nms(b, s, ids, 0.5, validate=False))
    row(f"batched_nms {images}x20k boxes, 80 classes", ours, busy, peer, n * 28 / bw * 1e3,
        f"{len(k_ours)} kept, sets {'identical' if same else 'differ'}")

    boxes = torch.from_numpy(np.stack([clustered_boxes(rng, per_image, 1000.0) for _ in range(images)])).cuda()
    scores = torch.rand(images, per_image, classes, device="cuda") ** 8  # detector-like: few high scores

    def torchvision_way():
        out = []
        for i in range(images):
            sc = scores[i]
            keep = sc > 0.05
            box_idx, cls = keep.nonzero(as_tuple=True)
            kept = torchvision.ops.batched_nms(boxes[i][box_idx], sc[keep], cls, 0.5)[:100]
            out.append((box_idx[kept], cls[kept]))
        return out

    ours = timed(lambda: lc.multiclass_nms(boxes, scores, score_threshold=0.05, iou_threshold=0.5,
                                           max_output_per_class=100, max_total=100, validate=False), 5)
    peer = timed(torchvision_way, 1)
    res = lc.multiclass_nms(boxes, scores, score_threshold=0.05, iou_threshold=0.5, max_output_per_class=100,
                            max_total=100, validate=False)
    tv = torchvision_way()
    agree = sum(set(zip(res.indices[i, : res.counts[i]].tolist(), res.classes[i, : res.counts[i]].tolist()))
                == set(zip(tv[i][0].tolist(), tv[i][1].tolist())) for i in range(images))
    busy = device_ms(lambda: lc.multiclass_nms(boxes, scores, score_threshold=0.05, iou_threshold=0.5,
                                               max_output_per_class=100, max_total=100, validate=False))
    row(f"multiclass_nms ({images}, 20000, 80) dense scores", ours, busy, peer,
        (scores.numel() * 4 + boxes.numel() * 4) / bw * 1e3, f"{agree}/{images} images identical sets")


if __name__ == "__main__":
    main()
