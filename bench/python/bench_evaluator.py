"""Streaming COCO evaluation in a training loop (issue 16): ``locuskit.eval.CocoEvaluator`` update()
per batch + ``compute_torchmetrics()`` vs pycocotools on the same data, same run.

torchmetrics is not packaged in Debian 12 and PyPI is not reachable here, so torchmetrics'
``MeanAveragePrecision`` itself cannot be run; no published torchmetrics figure is quoted. The peer
measured instead is what torchmetrics 1.x's default backend runs inside ``compute()``: the
per-image tensors written out as COCO dicts (a Python loop, as torchmetrics' ``_get_coco_format``
does), then pycocotools ``COCO`` / ``loadRes`` / ``COCOeval.evaluate/accumulate/summarize``
(pycocotools built from source, ``$LOCUSKIT_PEERS/cocoapi/PythonAPI``). torchmetrics adds its own
state handling on top, so this peer is a lower bound of its time.

Data: ``--images`` synthetic images (default 500), 80 classes, 2–12 GT boxes each, 100 detections
each (GT jittered, plus false positives), float32 tensors, fed in batches of 8 images.
Reported: CPU time (time.process_time) medians of ``--repeat`` runs, one thread, load average.

    LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_evaluator.py
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time

import numpy as np


def make_data(n_images, seed=0):
    import torch
    rng = np.random.default_rng(seed)
    preds, targets = [], []
    for i in range(n_images):
        k = int(rng.integers(2, 13))
        xy = rng.uniform(0, 600, (k, 2))
        wh = rng.uniform(8, 200, (k, 2))
        gt = np.concatenate([xy, xy + wh], 1)
        gl = rng.integers(0, 80, k)
        m = 100
        src = rng.integers(0, k, m)
        det = gt[src] + rng.normal(0, 12, (m, 4))
        fp = rng.random(m) < 0.5
        det[fp] = np.concatenate([rng.uniform(0, 600, (fp.sum(), 2))] * 2, 1) + np.concatenate(
            [np.zeros((fp.sum(), 2)), rng.uniform(8, 200, (fp.sum(), 2))], 1)
        det = np.concatenate([np.minimum(det[:, :2], det[:, 2:]), np.maximum(det[:, :2], det[:, 2:])], 1)
        dl = np.where(fp, rng.integers(0, 80, m), gl[src])
        preds.append({"boxes": torch.from_numpy(det.astype(np.float32)),
                      "scores": torch.from_numpy(rng.random(m).astype(np.float32)),
                      "labels": torch.from_numpy(dl.astype(np.int64))})
        targets.append({"boxes": torch.from_numpy(gt.astype(np.float32)), "labels": torch.from_numpy(gl.astype(np.int64))})
    return preds, targets


def run_locuskit(preds, targets):
    import locuskit.eval as lke
    ev = lke.CocoEvaluator(category_ids=range(80))
    for b in range(0, len(preds), 8):
        ev.update(preds[b:b + 8], targets[b:b + 8])
    return ev.compute_torchmetrics(class_metrics=False, sync=False)


def run_pycocotools(preds, targets):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    images, anns, dets = [], [], []
    for i, (p, t) in enumerate(zip(preds, targets)):  # torchmetrics' conversion, per image
        images.append({"id": i})
        for box, lab in zip(t["boxes"].tolist(), t["labels"].tolist()):
            w, h = box[2] - box[0], box[3] - box[1]
            anns.append({"id": len(anns) + 1, "image_id": i, "bbox": [box[0], box[1], w, h], "area": w * h,
                         "category_id": lab, "iscrowd": 0})
        for box, s, lab in zip(p["boxes"].tolist(), p["scores"].tolist(), p["labels"].tolist()):
            dets.append({"id": len(dets) + 1, "image_id": i, "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]],
                         "area": (box[2] - box[0]) * (box[3] - box[1]), "category_id": lab, "score": s, "iscrowd": 0})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns, "categories": [{"id": c} for c in range(80)]}
        gt.createIndex()
        dt = gt.loadRes(dets)
        e = COCOeval(gt, dt, "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e.stats


def cpu_median(fn, repeat):
    ts, out = [], None
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    peers = os.environ.get("LOCUSKIT_PEERS", "/work/peers")
    sys.path.insert(0, os.path.join(peers, "cocoapi", "PythonAPI"))
    import torch

    import locuskit
    torch.set_num_threads(1)
    locuskit.set_num_threads(1)
    print(f"load average at start {os.getloadavg()}")
    preds, targets = make_data(args.images)
    n_det = sum(len(p["scores"]) for p in preds)
    n_gt = sum(len(t["labels"]) for t in targets)
    t_ours, ours = cpu_median(lambda: run_locuskit(preds, targets), args.repeat)
    t_peer, stats = cpu_median(lambda: run_pycocotools(preds, targets), args.repeat)
    same = float(ours["map"]) == np.float32(stats[0]) and float(ours["map_50"]) == np.float32(stats[1])
    print(f"{args.images} images, {n_gt} GT, {n_det} detections, 80 classes, batches of 8, 1 thread, "
          f"CPU medians of {args.repeat}")
    print(f"  pycocotools (torchmetrics' backend: conversion + COCOeval)  {t_peer * 1e3:9.1f} ms   map {stats[0]:.6f}")
    print(f"  locuskit CocoEvaluator update + compute_torchmetrics       {t_ours * 1e3:9.1f} ms   map {float(ours['map']):.6f}"
          f"   {t_peer / t_ours:.1f}x   same map/map_50 (float32): {same}")
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
