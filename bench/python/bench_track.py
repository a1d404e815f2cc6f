"""Tracker update throughput: locuskit's ByteTrack / SORT vs the reference Python trackers
(ifzhang/ByteTrack's BYTETracker, abewley/sort's Sort), same detections, same process, CPU time.

The peers run unmodified from $LOCUSKIT_PEERS/trackers-py (bench/setup-peers): ByteTrack with the
scipy/numpy stand-ins for lap / cython_bbox described in shared/reference/tracking/README.md, SORT
with filterpy. Input: a synthetic stream with ~100 detections per frame (objects moving at constant
velocity with noise, misses, low-score clutter), frames passed one by one through update() as a
live detector would; locuskit is timed streaming (a Python loop over update(), NumPy in/out) and
over the whole sequence (run()). Ids are compared frame by frame.

Run: LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_track.py [--frames 300] [--repeat 3]
"""
from __future__ import annotations

import argparse
import argparse as _ap
import os
import pathlib
import statistics
import sys
import time

import numpy as np

import locuskit
from locuskit import track

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _live  # noqa: E402


def make_stream(frames: int, objects: int, seed: int = 7):
    """{frame: (N, 5) x1, y1, x2, y2, score}: `objects` moving boxes (~10 % missed per frame) plus
    clutter, about `objects` detections per frame."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform([0, 0], [1800, 900], size=(objects, 2))
    vel = rng.normal(0, 2, size=(objects, 2))
    size = rng.uniform([20, 50], [80, 200], size=(objects, 2))
    out = {}
    for f in range(1, frames + 1):
        pos += vel
        pos %= [1800, 900]
        seen = rng.random(objects) > 0.1
        p = pos[seen] + rng.normal(0, 1.5, size=(seen.sum(), 2))
        s = size[seen] * rng.normal(1, 0.03, size=(seen.sum(), 2))
        score = np.clip(rng.normal(0.75, 0.15, size=seen.sum()), 0.05, 0.99)
        n_clutter = objects - seen.sum()
        cp = rng.uniform([0, 0], [1800, 900], size=(n_clutter, 2))
        cs = rng.uniform([20, 50], [80, 200], size=(n_clutter, 2))
        boxes = np.concatenate([np.column_stack([p, p + s]), np.column_stack([cp, cp + cs])])
        scores = np.concatenate([score, rng.uniform(0.05, 0.45, size=n_clutter)])
        out[f] = np.column_stack([boxes, scores])
    return out


def peer_path() -> pathlib.Path | None:
    p = pathlib.Path(os.environ.get("LOCUSKIT_PEERS", "/work/peers")) / "trackers-py"
    return p if (p / "yolox" / "tracker" / "byte_tracker.py").exists() else None


def cpu_runs(fn, repeat):
    walls, cpus, res = [], [], None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        res = fn()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
    return statistics.median(walls), statistics.median(cpus), res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--objects", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = peer_path()
    if root is None:
        sys.exit("peers missing: run bench/setup-peers (LOCUSKIT_PEERS)")
    sys.path[:0] = [str(root), str(root / "sort_pkg")]
    np.float = float  # ByteTrack uses the alias numpy 1.24 removed (it was the builtin)
    import matplotlib

    matplotlib.use = lambda *a, **k: None  # sort.py selects TkAgg at import
    from yolox.tracker import basetrack
    from yolox.tracker.byte_tracker import BYTETracker
    import sort as sort_mod

    stream = make_stream(args.frames, args.objects)
    n_dets = sum(len(v) for v in stream.values())
    frames = np.concatenate([np.full(len(v), f, np.int64) for f, v in stream.items()])
    all_dets = np.concatenate(list(stream.values()))
    print(f"# {args.frames} frames, {n_dets / args.frames:.1f} detections/frame; load {_live.load()}")
    print(f"# {_live.machine()}")

    def peer_bytetrack():
        basetrack.BaseTrack._count = 0
        t = BYTETracker(_ap.Namespace(track_thresh=0.6, track_buffer=30, match_thresh=0.9, mot20=False), frame_rate=30)
        return [[s.track_id for s in t.update(d.copy(), (1080, 1920), (1080, 1920))] for d in stream.values()]

    def ours_stream_bytetrack():
        t = track.ByteTracker(track_thresh=0.6, track_buffer=30, match_thresh=0.9)
        return [t.update(d)[:, 4].astype(int).tolist() for d in stream.values()]

    def ours_run_bytetrack():
        return track.ByteTracker(track_thresh=0.6, track_buffer=30, match_thresh=0.9).run(frames, all_dets, args.frames)

    def peer_sort():
        sort_mod.KalmanBoxTracker.count = 0
        t = sort_mod.Sort(max_age=1, min_hits=3, iou_threshold=0.3)
        return [t.update(d)[:, 4].astype(int).tolist() for d in stream.values()]

    def ours_stream_sort():
        t = track.SortTracker(max_age=1, min_hits=3, iou_threshold=0.3)
        return [t.update(d)[:, 4].astype(int).tolist() for d in stream.values()]

    def ours_run_sort():
        return track.SortTracker(max_age=1, min_hits=3, iou_threshold=0.3).run(frames, all_dets, args.frames)

    rows = []
    for name, peer, ours_s, ours_r in [("ByteTrack (mot17 settings)", peer_bytetrack, ours_stream_bytetrack, ours_run_bytetrack),
                                       ("SORT (default)", peer_sort, ours_stream_sort, ours_run_sort)]:
        load0 = _live.load()
        pw, pc, pids = cpu_runs(peer, args.repeat)
        sw, sc, sids = cpu_runs(ours_s, max(args.repeat, 5))
        rw, rc, _ = cpu_runs(ours_r, max(args.repeat, 5))
        same = pids == sids
        fps = lambda c: args.frames / c  # noqa: E731
        for how, w, c in [("update() per frame", sw, sc), ("run() whole sequence", rw, rc)]:
            rows.append(f"| {name}: {how} | {fps(c):,.0f} fps ({c * 1e3:.1f} ms CPU, {w * 1e3:.1f} ms wall) "
                        f"| {fps(pc):,.0f} fps ({pc * 1e3:.0f} ms CPU, {pw * 1e3:.0f} ms wall) | **{pc / c:.0f}×** "
                        f"| {'ids identical' if same else 'ids DIFFER'} | {'/'.join(map(str, load0))} |")
        print(rows[-2]); print(rows[-1])
    print()
    print("| case | locuskit | reference Python | ratio (CPU) | result | load 1/5/15 |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
