"""``locuskit eval dota``: DOTA task-1 (oriented boxes) evaluation from files, as DOTA_devkit.

Registered under the ``eval`` command that ``_cli/eval.py`` creates (modules register in name
order, so ``eval`` exists when this runs). Uses the public API only (``locuskit.rotated``).
"""
from __future__ import annotations

import json
import math

from ._log import add_eval_command, add_usability


def _json_float(v: float):
    return None if math.isnan(v) else v


def _run_dota(args) -> int:
    from locuskit import rotated

    from ._log import Log

    log = Log(args)

    classes = args.classes.split(",") if args.classes else None
    res = rotated.dota_evaluate(args.label_dir, args.det_dir, imageset=args.imageset, classes=classes,
                                iou_threshold=args.iou)
    log.out(res.summary())
    _figure_and_html(args, res, log)
    if args.json:
        out = {
            "classes": res.classes,
            "ap_voc07": {c: _json_float(v) for c, v in res.ap.items()},
            "ap_all_point": {c: _json_float(v) for c, v in res.ap_all_point.items()},
            "mAP_voc07": _json_float(res.mAP),
            "mAP_all_point": _json_float(res.mAP_all_point),
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
    return 0


def _figure_and_html(args, res, log) -> None:
    """--plot / --html: the precision-recall figure of locuskit.plotting and the report page."""
    if not (args.plot or args.html):
        return
    import locuskit
    from locuskit.plotting import PRCurve, pr_figure, shorten

    from ._html import HtmlReport
    from .eval import _check_output, _write_figure

    _check_output(args.plot, "--plot")
    _check_output(args.html, "--html")
    curves = [PRCurve(c, res.per_class[c]["recall"], res.per_class[c]["precision"], res.ap[c],
                      int(res.per_class[c]["npos"])) for c in res.classes
              if c in res.per_class and res.per_class[c]["npos"] > 0]
    fig = pr_figure(curves, f"DOTA task 1 precision-recall at IoU {args.iou} (mAP VOC07 = {res.mAP:.4f})\n"
                            f"{shorten(args.det_dir, 70)}", ap_name="AP07")
    report = None
    if args.html:
        report = HtmlReport("locuskit eval dota", [f"labels: {args.label_dir}", f"detections: {args.det_dir}",
                                                   f"locuskit {locuskit.__version__}"])
        report.section("Per class").table(
            ["class", "GT", "results", "AP (VOC07)", "AP (all-point)"],
            [[c, int(res.per_class[c]["npos"]) if c in res.per_class else None,
              len(res.per_class[c]["tp"]) if c in res.per_class else None, res.ap[c], res.ap_all_point[c]]
             for c in res.classes] + [["mAP", None, None, res.mAP, res.mAP_all_point]], digits=4)
    _write_figure(args, fig, report)


def register(sub) -> None:
    p = add_eval_command(sub, "dota", help="DOTA task-1 oriented-box mAP (VOC07 and all-point), as DOTA_devkit")
    p.add_argument("label_dir", help="labelTxt folder: <image>.txt per image (x1 y1 .. x4 y4 class [difficult])")
    p.add_argument("det_dir", help="folder of Task1_<class>.txt result files, or a pattern with {} for the class")
    p.add_argument("--imageset", help="file with one image name a line (default: every .txt in label_dir)")
    p.add_argument("--classes", help="comma-separated class names (default: the 15 DOTA v1.0 classes)")
    p.add_argument("--iou", type=float, default=0.5, help="polygon IoU a match must exceed (default 0.5)")
    p.add_argument("--json", help="write per-class AP and mAP to this JSON file")
    p.add_argument("--plot", metavar="PR.png", help="precision-recall curves and the AP ranking (locuskit.plotting)")
    p.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report (table and plot)")
    add_usability(p)
    p.set_defaults(func=_run_dota)
