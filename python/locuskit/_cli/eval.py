"""``locuskit eval coco|voc``: detection evaluation from files."""
from __future__ import annotations

import json
import math
import os
import sys
import time


class _Progress:
    """Stage progress on stderr: shown when stderr is a terminal, or when a run gets long."""

    def __init__(self, stages: int, enabled=None):
        self.stages = stages
        self.done = 0
        self.t0 = time.perf_counter()
        self.tty = sys.stderr.isatty() if enabled is None else enabled
        self.log = []

    def step(self, label: str, fn):
        t = time.perf_counter()
        if self.tty:
            self._bar(label)
        out = fn()
        dt = time.perf_counter() - t
        self.done += 1
        self.log.append((label, dt))
        if self.tty:
            self._bar(label, dt)
            if self.done == self.stages:
                sys.stderr.write("\n")
        elif dt > 2.0:  # long run without a terminal: one line per slow stage
            sys.stderr.write(f"locuskit eval: {label} took {dt:.1f} s\n")
        return out

    def _bar(self, label, dt=None):
        width = 24
        fill = int(width * self.done / self.stages)
        msg = f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.stages} {label}"
        if dt is not None:
            msg += f" ({dt:.2f} s)"
        sys.stderr.write(msg.ljust(70))
        sys.stderr.flush()


def _check_output(path, option):
    """Fails before any work when an output path cannot be written (e.g. it is a directory)."""
    if path is None:
        return
    if os.path.isdir(path):
        raise ValueError(f"{option} {path}: is a directory (give a file name)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"{option} {path}: folder {parent} does not exist")


def _write_json(path, obj):
    try:
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)
    except OSError as exc:
        raise ValueError(f"--json {path}: cannot write ({exc.strerror})") from None


def _fmt(v):
    return "   -  " if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:6.3f}"


def _run_coco(args) -> int:
    import locuskit
    from locuskit.eval import coco_evaluate

    _check_output(args.json, "--json")
    _check_output(args.plot, "--plot")
    if args.threads:
        locuskit.set_num_threads(args.threads)
    prog = _Progress(1)
    kw = {}
    if args.iou_type == "boundary":
        kw["dilation_ratio"] = args.dilation_ratio
    kw["analysis"] = args.analysis
    try:
        res = prog.step("loading and evaluating", lambda: coco_evaluate(args.gt, args.results, args.iou_type, **kw))
    except AssertionError as exc:  # results on images outside the GT: pycocotools' assertion
        raise ValueError(str(exc)) from None
    except KeyError as exc:  # a field or list pycocotools would miss (KeyError there)
        raise ValueError(exc.args[0] if exc.args else str(exc)) from None
    for line in res.summary_lines:
        print(line)
    rows = res.per_category()
    if args.per_class:
        ar_key = [k for k in rows[0] if k.startswith("AR")][0] if rows else "AR"
        width = max([len(r["name"]) for r in rows] + [8])
        print()
        print(f"{'category':<{width}}  {'id':>5}  {'AP':>6}  {'AP50':>6}  {'AP75':>6}  {ar_key:>6}")
        for r in rows:
            print(f"{r['name']:<{width}}  {r['category_id']:>5}  {_fmt(r['AP'])}  {_fmt(r['AP50'])}  "
                  f"{_fmt(r['AP75'])}  {_fmt(r.get(ar_key))}")
    from ._eval_analysis import report as _analysis_report

    analysis_json = _analysis_report(res, args)  # tables; figures beside --plot
    if args.json:
        out = {
            **analysis_json,
            "stats": res.as_dict(),
            "summary_lines": res.summary_lines,
            "per_class": [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                          for r in rows],
            "iou_type": args.iou_type,
            "timings_s": {label: round(dt_, 4) for label, dt_ in prog.log},
        }
        _write_json(args.json, out)
    if args.plot:
        _plot_coco(res, args.plot)
    return 0


def _plot_coco(res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    thrs = list(res.params["iouThrs"])
    for thr in (0.5, 0.75):
        if thr in thrs:
            r, p = res.pr_curve(iou_threshold=thr)
            ax.plot(r, p, label=f"IoU={thr:.2f} (mean over categories)")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(f"COCO precision-recall (AP={res.stats[0]:.3f})" if len(res.stats) else "COCO precision-recall")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _run_voc(args) -> int:
    from locuskit.eval import voc_evaluate

    _check_output(args.json, "--json")
    _check_output(args.plot, "--plot")
    res = voc_evaluate(args.gt_dir, args.det_dir, iou_threshold=args.iou, box_format=args.box_format,
                       plus_one=args.plus_one)
    width = max([len(c) for c in res.classes] + [8])
    print(f"VOC AP at IoU {args.iou} ({'+1 pixel convention' if args.plus_one else 'continuous coordinates'})")
    print(f"{'class':<{width}}  {'GT':>5}  {'dets':>5}  {'AP(all)':>8}  {'AP(11pt)':>8}  {'best F1':>7}  {'at score':>8}")
    for name, c in res.classes.items():
        if c.npos == 0:
            print(f"{name:<{width}}  {0:>5}  {len(c.tp):>5}  {'-':>8}  {'-':>8}  {'-':>7}  {'-':>8}   (no GT: skipped)")
            continue
        print(f"{name:<{width}}  {c.npos:>5}  {len(c.tp):>5}  {c.ap_all_point:8.4f}  {c.ap_11point:8.4f}  "
              f"{c.best_f1:7.4f}  {c.best_f1_score:8.4f}")
    print(f"mAP (all-point) = {res.mAP('all_point'):.4f}   mAP (11-point) = {res.mAP('11point'):.4f}")
    if args.json:
        _write_json(args.json, {"iou_threshold": args.iou, "mAP_all_point": res.mAP("all_point"),
                       "mAP_11point": res.mAP("11point"), "skipped": res.skipped,
                       "classes": {n: {"npos": c.npos, "ap_all_point": c.ap_all_point, "ap_11point": c.ap_11point,
                                       "best_f1": c.best_f1, "best_f1_score": c.best_f1_score,
                                       "recall": c.recall.tolist(), "precision": c.precision.tolist()}
                                   for n, c in res.classes.items()}})
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 5))
        for n, c in res.classes.items():
            if c.npos:
                ax.plot(c.recall, c.precision, label=f"{n} (AP {c.ap_all_point:.3f})")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
    return 0


def register(sub) -> None:
    p = sub.add_parser("eval", help="detection evaluation: COCO mAP (pycocotools-exact), VOC AP")
    s = p.add_subparsers(dest="eval_command", metavar="{coco,voc}")
    c = s.add_parser("coco", help="COCO mAP of a results file against a ground-truth file (bit for bit as pycocotools)")
    c.add_argument("gt", help="COCO ground-truth JSON (instances_*.json)")
    c.add_argument("results", help="COCO results JSON (a list of {image_id, category_id, bbox|segmentation|keypoints, "
                                   "score})")
    c.add_argument("--iou-type", choices=["bbox", "segm", "boundary", "keypoints"], default="bbox",
                   help="bbox (box IoU), segm (mask IoU, as pycocotools), boundary (Boundary AP, as the "
                        "boundary-iou-api) or keypoints (OKS)")
    c.add_argument("--dilation-ratio", type=float, default=0.02,
                   help="--iou-type boundary: boundary width as a fraction of the image diagonal (default 0.02)")
    c.add_argument("--json", metavar="OUT.json", help="write stats, summary and per-class AP as JSON")
    c.add_argument("--per-class", action="store_true", help="print a per-category AP table")
    c.add_argument("--plot", metavar="PR.png", help="draw precision-recall curves (matplotlib)")
    c.add_argument("--threads", type=int, default=0, help="threads (default: all)")
    from ._eval_analysis import parse_analyses

    c.add_argument("--analysis", type=parse_analyses, default=None, metavar="tide,lrp,confusion",
                   help="error analysis after mAP: TIDE error types (tidecv), optimal LRP with per-class "
                        "F1-vs-score (LRP-Error), confusion matrix; tables printed, in --json, figures "
                        "beside --plot")
    c.set_defaults(func=_run_coco)
    v = s.add_parser("voc", help="Pascal VOC AP from per-image text (or VOC XML) files")
    v.add_argument("gt_dir", help="folder of <image>.txt ('class [difficult] x y w h') or <image>.xml")
    v.add_argument("det_dir", help="folder of <image>.txt ('class score x y w h')")
    v.add_argument("--iou", type=float, default=0.5, help="IoU threshold (default 0.5)")
    v.add_argument("--box-format", choices=["xywh", "xyxy"], default="xywh", help="coordinates in the text files")
    v.add_argument("--plus-one", action="store_true", help="legacy +1 pixel convention (VOC devkit)")
    v.add_argument("--json", metavar="OUT.json")
    v.add_argument("--plot", metavar="PR.png")
    v.set_defaults(func=_run_voc)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
