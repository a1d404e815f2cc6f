"""``locuskit eval coco|voc``: detection evaluation from files."""
from __future__ import annotations

import json
import math
import os
import sys
import time

from ._log import Log, add_usability


class _Progress:
    """Stage progress on stderr: shown when stderr is a terminal, or when a run gets long."""

    def __init__(self, stages: int, enabled=None, quiet=False):
        self.stages = stages
        self.quiet = quiet
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
        elif dt > 2.0 and not self.quiet:  # long run without a terminal: one line per slow stage
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


def _json_clean(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def _print_table(log, columns, rows, digits: int = 3) -> None:
    """A text table: the first column left-aligned, numbers right-aligned, NaN/None as '-'."""
    text = [[str(c) for c in columns]]
    for r in rows:
        text.append([str(v) if k == 0 else ("-" if v is None or (isinstance(v, float) and math.isnan(v))
                                            else f"{v:.{digits}f}" if isinstance(v, float) else str(v))
                     for k, v in enumerate(r)])
    widths = [max(len(t[k]) for t in text) for k in range(len(columns))]
    for t in text:
        log.out("  ".join(c.ljust(widths[0]) if k == 0 else c.rjust(widths[k]) for k, c in enumerate(t)).rstrip())


def _names_list(names, limit: int = 8) -> str:
    names = [str(n) for n in names]
    return ", ".join(names[:limit]) + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def _write_figure(args, fig, report) -> None:
    """--html (the report with the figure appended) and --plot; closes the figure."""
    if report is not None:
        report.section("Precision-recall").figure(fig)
        report.write(args.html)
    if fig is None:
        return
    from locuskit import plotting

    if args.plot:
        plotting.save(fig, args.plot)
    else:
        plotting.pyplot().close(fig)


# ---------------------------------------------------------------- COCO
def _coco_table(res, rows):
    """(columns, rows) of the per-category x area table: GT and result counts, AP@[.5:.95],
    AP50, AP75, AP and GT per area range, AR at the last maxDets."""
    areas = [lbl for lbl in res.params["areaRngLbl"] if lbl != "all"]
    ar_key = next((k for k in (rows[0] if rows else {}) if k.startswith("AR")), None)
    columns = ["category", "id", "GT", "results", "AP", "AP50", "AP75"]
    columns += [f"AP_{a}" for a in areas] + [f"GT_{a}" for a in areas] + ([ar_key] if ar_key else [])
    keys = ["name", "category_id"] + columns[2:]
    return columns, [[r.get(k) for k in keys] for r in rows]


def _class_warnings(log, kind: str, counts, source, mean: str) -> None:
    """Warnings about suspicious inputs from (name, GT count, result count) per class."""
    if sum(n_res for _, _, n_res in counts) == 0:
        log.warn(f"{source}: no results on the evaluated images and {kind}: every AP is 0")
        return
    with_gt = [name for name, n_gt, _ in counts if n_gt > 0]
    never = [name for name, n_gt, n_res in counts if n_gt > 0 and n_res == 0]
    if never:
        log.warn(f"{len(never)} of {len(with_gt)} {kind} with GT were never predicted (AP 0): {_names_list(never)}")
    no_gt = [name for name, n_gt, n_res in counts if n_gt == 0 and n_res > 0]
    if no_gt:
        log.warn(f"{len(no_gt)} {kind} have results but no GT (AP undefined, left out of the {mean}): "
                 f"{_names_list(no_gt)}")


def _coco_warnings(log, res, rows, results_path) -> None:
    if res.dt_counts is None:
        return
    _class_warnings(log, "categories", [(r["name"], r["GT"], r["results"]) for r in rows], results_path, "means")
    if res.images_without_gt:
        log.warn(f"{res.images_without_gt} of {len(res.params['imgIds'])} evaluated images have no GT annotation "
                 f"(results there can only be false positives)")


def _coco_curves(res, rows, iou_threshold=0.5):
    """One PRCurve per category with GT at one IoU threshold, all areas, the last maxDets:
    the recall thresholds up to the recall the category reaches."""
    import numpy as np

    from locuskit.plotting import PRCurve

    p = res.params
    thrs = list(p["iouThrs"])
    t = thrs.index(iou_threshold) if iou_threshold in thrs else 0
    a = list(p["areaRngLbl"]).index("all") if "all" in p["areaRngLbl"] else 0
    m = len(p["maxDets"]) - 1
    rec_thrs = np.asarray(p["recThrs"], np.float64)
    curves = []
    if res.precision.size == 0:
        return curves, thrs[t] if thrs else iou_threshold
    for k, r in enumerate(rows):
        prec = res.precision[t, :, k, a, m]
        if (prec <= -1).all():
            continue  # no GT: pycocotools' -1
        keep = rec_thrs <= res.recall[t, k, a, m] + 1e-12
        ap = r.get("AP50") if thrs[t] == 0.5 else r.get("AP")
        curves.append(PRCurve(r["name"], rec_thrs[keep], prec[keep], ap, r.get("GT")))
    return curves, thrs[t]


def _coco_figure(res, rows, args):
    from locuskit.plotting import pr_figure, shorten

    curves, thr = _coco_curves(res, rows)
    ap = f" (AP={res.stats[0]:.3f})" if len(res.stats) else ""
    title = f"COCO {args.iou_type} precision-recall at IoU {thr:.2f}{ap}\n{shorten(', '.join(args.results), 70)}"
    return pr_figure(curves, title, ap_name="AP50" if thr == 0.5 else "AP")


def _run_coco(args) -> int:
    import locuskit
    from locuskit.eval import coco_evaluate

    log = Log(args)
    _check_output(args.json, "--json")
    _check_output(args.plot, "--plot")
    _check_output(args.html, "--html")
    if args.threads:
        locuskit.set_num_threads(args.threads)
    prog = _Progress(1, enabled=False if log.quiet else None, quiet=log.quiet)
    kw = {}
    if args.iou_type == "boundary":
        kw["dilation_ratio"] = args.dilation_ratio
    if args.analysis:
        kw["analysis"] = args.analysis
    results = args.results[0] if len(args.results) == 1 else args.results
    if args.scheduler or args.workers or args.shards or args.state_dir or len(args.results) > 1:
        if args.analysis:
            raise ValueError("--analysis needs every result in one process: drop --shards, --state-dir, "
                             "--workers, --scheduler and extra results files")
        run = _scaled_out(args, results, kw, log.quiet)
    else:
        def run():
            return coco_evaluate(args.gt, results, args.iou_type, **kw)
    try:
        res = prog.step("loading and evaluating", run)
    except AssertionError as exc:  # results on images outside the GT: pycocotools' assertion
        raise ValueError(str(exc)) from None
    except KeyError as exc:  # a field or list pycocotools would miss (KeyError there)
        raise ValueError(exc.args[0] if exc.args else str(exc)) from None
    rows = res.per_category_area()
    if res.dt_counts is not None:
        n_gt = int(res.gt_counts[:, 0].sum()) if len(rows) else 0
        log.info(f"{len(res.params['imgIds'])} images, {len(rows)} categories, {n_gt} "
                 f"GT (not crowd), {int(res.dt_counts.sum())} results on them; "
                 + ", ".join(f"{label} {dt_:.3f} s" for label, dt_ in prog.log))
    _coco_warnings(log, res, rows, ", ".join(args.results))
    for line in res.summary_lines:
        log.out(line)
    columns, table = _coco_table(res, rows)
    if args.per_class:
        log.out()
        _print_table(log, columns, table)
    from ._eval_analysis import report as _analysis_report

    analysis_json = _analysis_report(res, args, log.out)  # tables; figures beside --plot
    if args.json:
        out = {
            **analysis_json,
            "stats": res.as_dict(),
            "summary_lines": res.summary_lines,
            "per_class": [{k: _json_clean(v) for k, v in r.items()} for r in rows],
            "iou_type": args.iou_type,
            "images_without_gt": res.images_without_gt,
            "warnings": log.warnings,
            "timings_s": {label: round(dt_, 4) for label, dt_ in prog.log},
        }
        _write_json(args.json, out)
    fig = _coco_figure(res, rows, args) if (args.plot or args.html) else None
    report = None
    if args.html:
        from ._html import HtmlReport  # only when asked: start-up stays small

        report = HtmlReport(f"locuskit eval coco ({args.iou_type})",
                            [f"ground truth: {args.gt}", f"results: {', '.join(args.results)}",
                             f"locuskit {locuskit.__version__}"])
        report.section("Summary").pre("\n".join(res.summary_lines) or "(no summary: fewer than 3 maxDets)")
        if log.warnings:
            report.section("Warnings").items(log.warnings, "warn")
        report.section("Per category and object size").table(
            columns, table, caption="AP = AP@[.5:.95]; GT = ground truth that counts (not crowd) per area range")
        for name, r in res.analysis.items():  # --analysis: its tables (figures go beside --plot)
            report.section(f"Error analysis: {name}").pre(r.table())
    _write_figure(args, fig, report)
    return 0


def _scaled_out(args, results, kw, quiet):
    """The evaluation on a dask cluster (--scheduler / --workers), in bounded memory by shards
    (--shards / --state-dir), or over several results files (each holding its images' results)."""
    import locuskit.eval as le

    if args.scheduler or args.workers:
        from locuskit.dask import evaluate_coco

        return lambda: evaluate_coco(args.gt, results, args.iou_type, scheduler=args.scheduler, workers=args.workers,
                                     shards=args.shards, state_dir=args.state_dir, quiet=quiet, **kw)
    return lambda: le.coco_evaluate_sharded(args.gt, results, args.iou_type, shards=args.shards or 16,
                                            state_dir=args.state_dir, quiet=quiet, **kw)


# ---------------------------------------------------------------- VOC
def _voc_table(res):
    columns = ["class", "GT", "results", "AP(all)", "AP(11pt)", "best F1", "at score"]
    rows = []
    for name, c in res.classes.items():
        if c.npos == 0:
            rows.append([name, 0, len(c.tp), None, None, None, None])
        else:
            rows.append([name, c.npos, len(c.tp), c.ap_all_point, c.ap_11point, c.best_f1, c.best_f1_score])
    return columns, rows


def _voc_warnings(log, res, det_dir) -> None:
    _class_warnings(log, "classes", [(n, c.npos, len(c.tp)) for n, c in res.classes.items()], det_dir, "mAP")


def _voc_figure(res, args):
    from locuskit.plotting import PRCurve, pr_figure, shorten

    curves = [PRCurve(n, c.recall, c.precision, c.ap_all_point, c.npos) for n, c in res.classes.items() if c.npos]
    title = (f"VOC precision-recall at IoU {args.iou} (mAP={res.mAP('all_point'):.3f})\n"
             f"{shorten(args.det_dir, 70)}")
    return pr_figure(curves, title)


def _run_voc(args) -> int:
    import locuskit
    from locuskit.eval import voc_evaluate

    log = Log(args)
    _check_output(args.json, "--json")
    _check_output(args.plot, "--plot")
    _check_output(args.html, "--html")
    t0 = time.perf_counter()
    res = voc_evaluate(args.gt_dir, args.det_dir, iou_threshold=args.iou, box_format=args.box_format,
                       plus_one=args.plus_one)
    log.info(f"{len(res.classes)} classes, {sum(c.npos for c in res.classes.values())} GT (not difficult), "
             f"{sum(len(c.tp) for c in res.classes.values())} detections; {time.perf_counter() - t0:.3f} s")
    _voc_warnings(log, res, args.det_dir)
    heading = f"VOC AP at IoU {args.iou} ({'+1 pixel convention' if args.plus_one else 'continuous coordinates'})"
    columns, table = _voc_table(res)
    log.out(heading)
    _print_table(log, columns, table, digits=4)
    log.out(f"mAP (all-point) = {res.mAP('all_point'):.4f}   mAP (11-point) = {res.mAP('11point'):.4f}")
    if args.json:
        _write_json(args.json, {"iou_threshold": args.iou, "mAP_all_point": res.mAP("all_point"),
                       "mAP_11point": res.mAP("11point"), "skipped": res.skipped, "warnings": log.warnings,
                       "classes": {n: {"npos": c.npos, "results": len(c.tp), "ap_all_point": c.ap_all_point,
                                       "ap_11point": c.ap_11point,
                                       "best_f1": c.best_f1, "best_f1_score": c.best_f1_score,
                                       "recall": c.recall.tolist(), "precision": c.precision.tolist()}
                                   for n, c in res.classes.items()}})
    fig = _voc_figure(res, args) if (args.plot or args.html) else None
    report = None
    if args.html:
        from ._html import HtmlReport  # only when asked: start-up stays small

        report = HtmlReport("locuskit eval voc", [f"ground truth: {args.gt_dir}", f"detections: {args.det_dir}",
                                                  f"locuskit {locuskit.__version__}"])
        report.section("Summary").pre(f"{heading}\nmAP (all-point) = {res.mAP('all_point'):.4f}   "
                                      f"mAP (11-point) = {res.mAP('11point'):.4f}")
        if log.warnings:
            report.section("Warnings").items(log.warnings, "warn")
        report.section("Per class").table(columns, table, digits=4)
    _write_figure(args, fig, report)
    return 0


def register(sub) -> None:
    p = sub.add_parser("eval", help="detection evaluation: COCO mAP (pycocotools-exact), VOC AP")
    s = p.add_subparsers(dest="eval_command", metavar="{coco,voc}")
    c = s.add_parser("coco", help="COCO mAP of a results file against a ground-truth file (bit for bit as pycocotools)")
    c.add_argument("gt", help="COCO ground-truth JSON (instances_*.json)")
    c.add_argument("results", nargs="+", help="COCO results JSON (a list of {image_id, category_id, bbox|segmentation|keypoints, "
                                   "score})")
    c.add_argument("--iou-type", choices=["bbox", "segm", "boundary", "keypoints"], default="bbox",
                   help="bbox (box IoU), segm (mask IoU, as pycocotools), boundary (Boundary AP, as the "
                        "boundary-iou-api) or keypoints (OKS)")
    c.add_argument("--dilation-ratio", type=float, default=0.02,
                   help="--iou-type boundary: boundary width as a fraction of the image diagonal (default 0.02)")
    c.add_argument("--json", metavar="OUT.json", help="write stats, summary, the per-category x area table and "
                                                      "warnings as JSON")
    c.add_argument("--per-class", action="store_true", help="print the per-category table: GT and result counts, "
                                                            "AP, AP50, AP75, AP and GT per object size, AR")
    c.add_argument("--plot", metavar="PR.png", help="precision-recall curves (the 8 categories with most GT + "
                                                    "the others) and the AP ranking (matplotlib)")
    c.add_argument("--threads", type=int, default=0, help="threads (default: all)")
    c.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report (tables and plots)")
    from ._eval_analysis import parse_analyses

    c.add_argument("--analysis", type=parse_analyses, default=None, metavar="tide,lrp,confusion",
                   help="error analysis after mAP: TIDE error types (tidecv), optimal LRP with per-class "
                        "F1-vs-score (LRP-Error), confusion matrix; tables printed, in --json, figures "
                        "beside --plot")
    d = c.add_argument_group("scale-out (docs/distributed.md)")
    d.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="evaluate the shards on this dask.distributed cluster")
    d.add_argument("--workers", type=int, metavar="N", help="evaluate the shards on a local dask cluster of N workers")
    d.add_argument("--shards", type=int, metavar="N",
                   help="split one results file by image into N shards (bounded memory; default 16, or 4 per dask worker)")
    d.add_argument("--state-dir", metavar="DIR", help="keep a state file per shard here; a rerun skips finished shards")
    add_usability(c)
    c.set_defaults(func=_run_coco)
    v = s.add_parser("voc", help="Pascal VOC AP from per-image text (or VOC XML) files")
    v.add_argument("gt_dir", help="folder of <image>.txt ('class [difficult] x y w h') or <image>.xml")
    v.add_argument("det_dir", help="folder of <image>.txt ('class score x y w h')")
    v.add_argument("--iou", type=float, default=0.5, help="IoU threshold (default 0.5)")
    v.add_argument("--box-format", choices=["xywh", "xyxy"], default="xywh", help="coordinates in the text files")
    v.add_argument("--plus-one", action="store_true", help="legacy +1 pixel convention (VOC devkit)")
    v.add_argument("--json", metavar="OUT.json")
    v.add_argument("--plot", metavar="PR.png")
    v.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report (tables and plots)")
    add_usability(v)
    v.set_defaults(func=_run_voc)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
