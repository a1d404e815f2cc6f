"""``locuskit anchors``: YOLO-style anchor selection (IoU k-means) from ground-truth box shapes."""
from __future__ import annotations

import json
import pathlib


def _load_wh(args):
    import numpy as np

    path = pathlib.Path(args.source)
    if path.is_dir():  # YOLO label files: "class cx cy w h" normalised, one box a line
        rows = []
        for f in sorted(path.rglob("*.txt")):
            for line in f.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 5:
                    rows.append((float(parts[3]), float(parts[4])))
        if not rows:
            raise ValueError(f"no YOLO labels (class cx cy w h) found under {path}")
        wh = np.asarray(rows, np.float64) * float(args.img_size)
    elif path.suffix == ".npy":
        wh = np.load(path).astype(np.float64)
    elif path.exists():
        wh = np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=2).astype(np.float64)
    else:
        raise FileNotFoundError(f"{path} does not exist")
    if wh.ndim != 2 or wh.shape[1] < 2:
        raise ValueError(f"{path}: expected rows of (w, h), got shape {wh.shape}")
    wh = np.ascontiguousarray(wh[:, -2:])
    keep = (wh > args.min_size).all(1)
    return wh[keep]


def _run(args) -> int:
    from locuskit.anchors import kmeans_anchors

    wh = _load_wh(args)
    anchors, report = kmeans_anchors(wh, args.k, seed=args.seed, ratio_threshold=args.thr)
    if args.json:
        print(json.dumps({"anchors": anchors.round(2).tolist(), "n_boxes": len(wh), **report}, indent=2))
    else:
        print(f"{len(wh)} boxes, k={args.k}, seed={args.seed}")
        print("anchors (w,h): " + ", ".join(f"{w:.0f},{h:.0f}" for w, h in anchors))
        print(f"mean IoU {report['mean_iou']:.4f}  best possible recall {report['best_possible_recall']:.4f}  "
              f"anchors above thr {report['anchors_above_threshold']:.2f}  fitness {report['fitness']:.4f}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("anchors", help="choose YOLO anchors by IoU k-means on box shapes")
    p.add_argument("source", help="a directory of YOLO label .txt files, or a .npy/.csv/.txt of (w, h) rows")
    p.add_argument("-k", type=int, default=9, help="number of anchors (default 9)")
    p.add_argument("--img-size", type=float, default=640, help="pixels per normalised unit for YOLO labels")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--thr", type=float, default=4.0, help="YOLOv5 anchor_t for the recall/fitness report")
    p.add_argument("--min-size", type=float, default=2.0, help="drop boxes with w or h at or below this (px)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run)
