"""``locuskit eval lvis``: LVIS federated evaluation from files, bit for bit as the lvis API.

Registered under the ``eval`` command that ``_cli/eval.py`` creates (modules register in name
order, so ``eval`` exists when this runs). Uses the public API only (``locuskit.eval``).
"""
from __future__ import annotations

import math

from ._log import Log, add_eval_command, add_usability
from .eval import _check_output, _write_json


def _fmt(v):
    return "   -  " if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:6.3f}"


def _run_lvis(args) -> int:
    import locuskit
    from locuskit.eval import lvis_evaluate

    log = Log(args)
    _check_output(args.json, "--json")
    if args.threads:
        locuskit.set_num_threads(args.threads)
    try:
        res = lvis_evaluate(args.gt, args.results, args.iou_type, max_dets=args.max_dets)
    except AssertionError as exc:  # results on images outside the GT: the API's assertion
        raise ValueError(str(exc)) from None
    except KeyError as exc:  # a federated field the API would miss (KeyError there)
        raise ValueError(exc.args[0] if exc.args else str(exc)) from None
    for line in res.summary_lines:
        log.out(line)
    rows = res.per_category()
    if args.per_class:
        width = max([len(r["name"]) for r in rows] + [8])
        log.out()
        log.out(f"{'category':<{width}}  {'id':>5}  {'freq':>4}  {'AP':>6}")
        for r in rows:
            log.out(f"{r['name']:<{width}}  {r['category_id']:>5}  {r['frequency']:>4}  {_fmt(r['AP'])}")
    if args.json:
        out = {
            "results": res.as_dict(),
            "summary_lines": res.summary_lines,
            "per_class": [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                          for r in rows],
            "counts": res.counts,
            "iou_type": args.iou_type,
        }
        _write_json(args.json, out)
    return 0


def register(sub) -> None:
    p = add_eval_command(sub, "lvis", help="LVIS federated AP (APr/APc/APf, AR@300), bit for bit as the lvis API")
    p.add_argument("gt", help="LVIS ground-truth JSON (images with neg_category_ids / not_exhaustive_category_ids, "
                              "categories with frequency)")
    p.add_argument("results", help="results JSON (a list of {image_id, category_id, bbox|segmentation, score})")
    p.add_argument("--iou-type", choices=["bbox", "segm"], default="bbox", help="box IoU or mask IoU")
    p.add_argument("--max-dets", type=int, default=300, help="results kept per image, by score (default 300)")
    p.add_argument("--per-class", action="store_true", help="print a per-category AP table")
    p.add_argument("--json", metavar="OUT.json", help="write results, summary, per-class AP and counts as JSON")
    add_usability(p)
    p.add_argument("--threads", type=int, default=0, help="threads (default: all)")
    p.set_defaults(func=_run_lvis)
