"""``locuskit eval openimages``: the Open Images challenge detection metric from CSV files, as the TF
Object Detection API's OpenImagesChallengeEvaluator (oid_challenge_evaluation.py).

Registered under the ``eval`` command that ``_cli/eval.py`` creates (modules register in name
order, so ``eval`` exists when this runs). Uses the public API only (``locuskit.eval``).
"""
from __future__ import annotations

import math

from ._log import Log, add_eval_command, add_usability
from .eval import _check_output, _write_json


def _fmt(v):
    return "   -  " if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:6.4f}"


def _none(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def _run_openimages(args) -> int:
    from locuskit.eval import openimages_evaluate

    log = Log(args)
    _check_output(args.json, "--json")
    res = openimages_evaluate(args.boxes, args.labels, args.predictions, args.labelmap, args.hierarchy,
                              iou_threshold=args.iou, group_of_weight=args.group_of_weight)
    rows = res.per_class()
    if args.per_class:
        width = max([len(r["display_name"]) for r in rows] + [8])
        log.out(f"{'class':<{width}}  {'id':>5}  {'AP':>6}  {'num_gt':>7}")
        for r in rows:
            log.out(f"{r['display_name']:<{width}}  {r['id']:>5}  {_fmt(r['AP'])}  {r['num_gt']:>7g}")
        log.out()
    log.out(f"mAP@{args.iou}IOU = {res.mean_ap:.6f} over {sum(1 for r in rows if not math.isnan(r['AP']))} classes with GT")
    if args.json:
        out = {"metrics": {k: _none(v) for k, v in res.metrics.items()}, "mean_ap": _none(res.mean_ap),
               "per_class": [{k: _none(v) for k, v in r.items()} for r in rows]}
        _write_json(args.json, out)
    return 0


def register(sub) -> None:
    p = add_eval_command(sub, "openimages", help="Open Images challenge detection mAP (TF OD API OpenImagesChallengeEvaluator)")
    p.add_argument("boxes", help="GT boxes CSV (ImageID,...,LabelName,...,XMin,XMax,YMin,YMax,...,IsGroupOf,...)")
    p.add_argument("labels", help="verified image-level labels CSV (ImageID,Source,LabelName,Confidence)")
    p.add_argument("predictions", help="predictions CSV (ImageID,LabelName,Score,XMin,XMax,YMin,YMax)")
    p.add_argument("--labelmap", required=True, help="label map: the challenge's .pbtxt or a CSV name,id")
    p.add_argument("--hierarchy", help="class hierarchy JSON: expand the GT first (omit if already expanded)")
    p.add_argument("--iou", type=float, default=0.5, help="matching IoU / IoA threshold (default 0.5)")
    p.add_argument("--group-of-weight", type=float, default=1.0, help="weight of a group-of box (default 1)")
    p.add_argument("--per-class", action="store_true", help="print per-class AP")
    p.add_argument("--json", metavar="OUT.json", help="write the evaluator's metrics and per-class AP as JSON")
    add_usability(p)
    p.set_defaults(func=_run_openimages)
