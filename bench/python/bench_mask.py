"""Mask, semantic-segmentation and medical-metric benchmarks: locuskit vs the peers, same inputs,
same run, one thread each unless stated; median of --repeat runs, CPU time (time.process_time)
and wall time.

- mask API: pycocotools 2.0.11 live (``LOCUSKIT_PYCOCOTOOLS`` = its PythonAPI folder, default
  <work>/peers/cocoapi/PythonAPI); outputs asserted identical.
- mIoU: locuskit.semseg confusion matrix vs a NumPy ``bincount`` baseline (mmseg-style masking).
- HD95 on a 256^3 volume: locuskit.medical vs MONAI (``compute_hausdorff_distance``, torch pinned
  to one thread) and medpy (``hd95``) run live from their source trees under ``LOCUSKIT_PEERS``
  (default <work>/peers: ``MONAI/``, ``medpy/``; bench/setup-peers), each in its own convention,
  and a scipy baseline written here with medpy's definition (``binary_erosion`` +
  ``distance_transform_edt`` with sampling, percentile of both directions).

    .venv/bin/python bench/python/bench_mask.py [--repeat 5] [--maps 20]
"""
from __future__ import annotations

import argparse
import importlib
import os
import pathlib
import statistics
import sys
import time

import numpy as np

import locuskit
from locuskit import mask as M
from locuskit import medical, semseg

ROOT = pathlib.Path(__file__).resolve().parents[2]


def pycocotools_mask():
    for c in (os.environ.get("LOCUSKIT_PYCOCOTOOLS"), str(ROOT.parent / "peers/cocoapi/PythonAPI"),
              str(ROOT.parent.parent / "peers/cocoapi/PythonAPI")):
        if c and pathlib.Path(c, "pycocotools").is_dir():
            sys.path.append(c)
            break
    try:
        return importlib.import_module("pycocotools.mask")
    except ImportError:
        return None


def peer_module(folder, module):
    """A peer run from its public source tree under LOCUSKIT_PEERS (never a dependency)."""
    for r in (os.environ.get("LOCUSKIT_PEERS"), str(ROOT.parent / "peers"), str(ROOT.parent.parent / "peers")):
        if r and pathlib.Path(r, folder).is_dir():
            sys.path.append(str(pathlib.Path(r, folder)))
            break
    try:
        return importlib.import_module(module)
    except Exception:  # noqa: BLE001 - absent or not importable: the row says so
        return None


def timeit(fn, repeat):
    cpu, wall, out = [], [], None
    for _ in range(repeat):
        out = None  # free the previous output first (a fresh 30 MB array each time is page faults)
        c, w = time.process_time(), time.perf_counter()
        out = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall), out


def row(name, ours, peer, peer_name):
    oc, ow = ours
    if peer is None:
        print(f"| {name} | {oc * 1e3:.2f} ms ({ow * 1e3:.2f} wall) | {peer_name}: not available | |")
        return
    pc, pw = peer
    print(f"| {name} | {oc * 1e3:.2f} ms ({ow * 1e3:.2f} wall) | {pc * 1e3:.2f} ms ({pw * 1e3:.2f} wall) | "
          f"**{pc / max(oc, 1e-9):.1f}x** |")


def blob_masks(rng, n, h, w):
    yy, xx = np.mgrid[:h, :w]
    out = np.zeros((h, w, n), np.uint8, order="F")
    for i in range(n):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(10, h / 3), rng.uniform(10, w / 3)
        out[:, :, i] = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return out


def bench_mask_api(args, P):
    rng = np.random.default_rng(1)
    masks = blob_masks(rng, 100, 480, 640)
    print("\n### Mask API (100 masks 480x640, ellipses; 200 x 100 RLE IoU; 1000 polygons of 40 vertices)\n")
    print("| op | locuskit | pycocotools | ratio |\n|---|---|---|---|")
    o = timeit(lambda: M.encode(masks), args.repeat)
    p = timeit(lambda: P.encode(masks), args.repeat) if P else None
    if P:
        assert o[2] == p[2]
    row("encode", o[:2], p and p[:2], "pycocotools")
    rles = o[2]
    o = timeit(lambda: M.decode(rles), args.repeat)
    p = timeit(lambda: P.decode(rles), args.repeat) if P else None
    if P:
        assert np.array_equal(o[2], p[2])
    row("decode", o[:2], p and p[:2], "pycocotools")
    dt = M.encode(blob_masks(rng, 200, 480, 640))
    gt = rles
    crowd = [0] * len(gt)
    for threads in (1, 2):
        locuskit.set_num_threads(threads)
        o = timeit(lambda: M.iou(dt, gt, crowd), args.repeat)
        p = timeit(lambda: P.iou(dt, gt, crowd), args.repeat) if P else None
        if P:
            assert np.array_equal(o[2], p[2])
        row(f"iou 200x100 RLE, {threads} thread(s)", o[:2], p and p[:2], "pycocotools")
    locuskit.set_num_threads(1)
    polys = []
    for _ in range(1000):
        t = np.sort(rng.uniform(0, 2 * np.pi, 40))
        r = rng.uniform(20, 100, 40)
        cx, cy = rng.uniform(100, 540), rng.uniform(100, 380)
        polys.append(np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)]).reshape(-1).tolist())
    o = timeit(lambda: M.frPyObjects(polys, 480, 640), args.repeat)
    p = timeit(lambda: P.frPyObjects(polys, 480, 640), args.repeat) if P else None
    if P:
        assert o[2] == p[2]
    row("frPyObjects 1000 polygons", o[:2], p and p[:2], "pycocotools")
    o = timeit(lambda: M.merge(rles), args.repeat)
    p = timeit(lambda: P.merge(rles), args.repeat) if P else None
    if P:
        assert o[2] == p[2]
    row("merge 100 RLEs", o[:2], p and p[:2], "pycocotools")


def bench_semseg(args):
    rng = np.random.default_rng(2)
    c = 19
    maps = []
    for _ in range(min(args.maps, 20)):  # 20 distinct maps, cycled up to --maps updates
        gt = rng.integers(0, c, (1024, 2048), dtype=np.uint8)
        gt[rng.random(gt.shape) < 0.05] = 255
        pred = np.where(rng.random(gt.shape) < 0.8, gt, rng.integers(0, c, gt.shape, dtype=np.uint8))
        pred[pred == 255] = 0
        maps.append((pred, gt))
    maps = [maps[i % len(maps)] for i in range(args.maps)]
    print(f"\n### mIoU over {args.maps} label maps 1024x2048 uint8, 19 classes, 5 % ignore (255)\n")
    print("| op | locuskit | NumPy bincount | ratio |\n|---|---|---|---|")

    def ours():
        m = semseg.SegmentationMetric(c, 255)
        for p, g in maps:
            m.update(p, g)
        return m.matrix

    def numpy_baseline():
        hist = np.zeros((c, c), np.int64)
        for p, g in maps:
            k = (g != 255) & (g < c) & (p < c)
            hist += np.bincount(c * g[k].astype(np.int64) + p[k], minlength=c * c).reshape(c, c)
        return hist

    rep = args.repeat if args.maps <= 50 else 1
    b = timeit(numpy_baseline, rep)
    for threads in (1, 2):
        locuskit.set_num_threads(threads)
        o = timeit(ours, rep)
        assert np.array_equal(o[2], b[2])
        row(f"confusion matrix + per-image float32 state, {threads} thread(s)", o[:2], b[:2], "numpy")
    locuskit.set_num_threads(1)


def scipy_hd95(pred, gt, spacing):
    """medpy's hd95 definition written with scipy (not medpy's code)."""
    from scipy import ndimage

    st = ndimage.generate_binary_structure(pred.ndim, 1)
    pb = pred ^ ndimage.binary_erosion(pred, st, border_value=0)
    gb = gt ^ ndimage.binary_erosion(gt, st, border_value=0)
    d1 = ndimage.distance_transform_edt(~gb, sampling=spacing)[pb]
    d2 = ndimage.distance_transform_edt(~pb, sampling=spacing)[gb]
    return float(np.percentile(np.hstack((d1, d2)), 95))


def bench_medical(args):
    import warnings

    n = 256
    zz, yy, xx = np.mgrid[:n, :n, :n].astype(np.float32)
    gt = ((zz - 128) / 90) ** 2 + ((yy - 120) / 70) ** 2 + ((xx - 130) / 100) ** 2 <= 1
    pred = ((zz - 124) / 86) ** 2 + ((yy - 126) / 74) ** 2 + ((xx - 127) / 97) ** 2 <= 1
    del zz, yy, xx
    spacing = (0.8, 0.8, 1.5)
    print("\n### HD95 of two ellipsoids in a 256^3 volume, spacing (0.8, 0.8, 1.5)\n")
    print("| op | locuskit | peer | ratio |\n|---|---|---|---|")
    rep = max(1, args.repeat // 2)
    monai = peer_module("MONAI", "monai.metrics")
    medpy = peer_module("medpy", "medpy.metric.binary")
    peers = {"scipy baseline (medpy definition)": ("medpy", lambda: scipy_hd95(pred, gt, spacing), 1e-12)}
    if medpy is not None:
        peers["medpy hd95 (live)"] = ("medpy", lambda: float(medpy.hd95(pred, gt, spacing)), 1e-12)
    if monai is not None:
        import torch

        torch.set_num_threads(1)
        P, G = (torch.from_numpy(m[None, None].astype(np.float32)) for m in (pred, gt))

        def monai_hd95():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return float(monai.compute_hausdorff_distance(P, G, include_background=True, percentile=95,
                                                              spacing=spacing)[0, 0])

        peers["MONAI compute_hausdorff_distance (live, torch 1 thread)"] = ("monai", monai_hd95, 0)
    for name in ("medpy hd95 (live)", "MONAI compute_hausdorff_distance (live, torch 1 thread)"):
        if name not in peers:
            print(f"| hd95 | | {name}: not found under LOCUSKIT_PEERS | |")
    for peer_name, (convention, fn, rtol) in peers.items():
        b = timeit(fn, rep)
        for threads in (1, 2):
            locuskit.set_num_threads(threads)
            o = timeit(lambda: medical.hausdorff_distance(pred, gt, spacing, percentile=95, convention=convention), rep)
            assert abs(o[2] - b[2]) <= rtol * b[2], (peer_name, o[2], b[2])
            row(f"hd95 ({convention} convention) vs {peer_name}, {threads} thread(s)", o[:2], b[:2], peer_name)
    locuskit.set_num_threads(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--maps", type=int, default=20)
    ap.add_argument("--only", choices=["mask", "semseg", "medical"])
    args = ap.parse_args()
    locuskit.set_num_threads(1)
    print(f"locuskit {locuskit.__version__}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    P = pycocotools_mask()
    if args.only in (None, "mask"):
        bench_mask_api(args, P)
    if args.only in (None, "semseg"):
        bench_semseg(args)
    if args.only in (None, "medical"):
        bench_medical(args)


if __name__ == "__main__":
    main()
