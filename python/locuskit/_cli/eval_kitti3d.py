"""``locuskit eval kitti3d LABEL_DIR DET_DIR [--split val.txt]``: KITTI 3D object evaluation.

Registered under the ``eval`` command that ``_cli/eval.py`` creates (modules register in name
order). Uses only the public API (``locuskit.box3d``).
"""
from __future__ import annotations

import json
import math
import time

from ._log import Log, add_usability


def _run_kitti3d(args) -> int:
    from locuskit import box3d, set_num_threads

    log = Log(args)

    if args.threads is not None:
        set_num_threads(args.threads)
    t0 = time.perf_counter()
    res = box3d.evaluate_kitti3d(args.label_dir, args.det_dir, args.split,
                                 devkit_height_rule=args.devkit_height_rule)
    dt = time.perf_counter() - t0
    log.out(res.summary().rstrip("\n"))
    log.out(f"({res.frames} frames, {dt:.3f} s)")
    _figure_and_html(args, res)
    if args.json:
        def clean(a):
            return [clean(x) for x in a] if isinstance(a, list) else (None if math.isnan(a) else a)

        out = {
            "frames": res.frames,
            "compute_aos": res.compute_aos,
            "ret_dict": res.ret_dict(),
            "layout": "[metric bbox/bev/3d/aos][class Car/Pedestrian/Cyclist][difficulty easy/moderate/hard][overlap set]",
            "ap11": clean(res.ap11.tolist()),
            "ap40": clean(res.ap40.tolist()),
            "min_overlaps": res.min_overlaps.tolist(),
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


def _figure_and_html(args, res) -> None:
    """--plot / --html: precision-recall small multiples (rows bbox/BEV/3D, columns easy/moderate/
    hard; one curve per class at the first overlap set, AP|R40) and the report page."""
    if not (args.plot or args.html):
        return
    import numpy as np

    import locuskit
    from locuskit.box3d import KITTI_CLASSES
    from locuskit.plotting import PRCurve, shorten, small_multiples

    from ._html import HtmlReport
    from .eval import _check_output, _write_figure

    _check_output(args.plot, "--plot")
    _check_output(args.html, "--html")
    # The peer's recall array is max-accumulated (flat); precision[i] belongs to the score threshold
    # taken at recall i/40, which is how AP|R40 reads it, so that is the x axis. Zeros after the
    # last threshold are padding.
    grid = np.arange(res.precision.shape[-1]) / (res.precision.shape[-1] - 1)
    panels = []
    for m, metric in enumerate(("bbox", "BEV", "3D")):
        for d, difficulty in enumerate(("easy", "moderate", "hard")):
            curves = []
            for c, name in enumerate(KITTI_CLASSES):
                prec = res.precision[m, c, d, 0]
                n = int(np.flatnonzero(prec > 0)[-1]) + 1 if (prec > 0).any() else 0
                curves.append(PRCurve(name, grid[:n], prec[:n], res.ap40[m, c, d, 0] / 100))
            panels.append((f"{metric} {difficulty}", curves))
    fig = small_multiples(panels, f"KITTI 3D object precision-recall (first overlap set)\n{shorten(args.det_dir, 70)}",
                          ap_name="AP|R40")
    report = None
    if args.html:
        report = HtmlReport("locuskit eval kitti3d", [f"labels: {args.label_dir}", f"detections: {args.det_dir}",
                                                      f"{res.frames} frames", f"locuskit {locuskit.__version__}"])
        report.section("AP|R40 (OpenPCDet ret_dict)").table(["key", "AP|R40 (%)"], sorted(res.ret_dict().items()),
                                                              digits=4)
        report.section("OpenPCDet summary").pre(res.summary())
    _write_figure(args, fig, report)


def register(sub) -> None:
    eval_parser = sub.choices["eval"]
    actions = [a for a in eval_parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    s = actions[0]
    p = s.add_parser("kitti3d", help="KITTI 3D object detection: AP|R11 and AP|R40 of bbox/BEV/3D/AOS "
                                     "(OpenPCDet kitti_object_eval_python numbers, exact overlaps)")
    s.metavar = "{" + ",".join(s.choices) + "}"
    p.add_argument("label_dir", help="ground truth: directory of KITTI label_2 files NNNNNN.txt")
    p.add_argument("det_dir", help="detections: directory of NNNNNN.txt in label_2 format with a score column")
    p.add_argument("--split", help="file with one frame number per line (default: every NNNNNN.txt of LABEL_DIR)")
    p.add_argument("--devkit-height-rule", action="store_true",
                   help="ignore GT with 2D height < 40/25/25 px as the C++ devkit (default: <=, as OpenPCDet)")
    p.add_argument("--threads", type=int, help="worker threads (default: locuskit's setting)")
    p.add_argument("--json", help="write every AP to this JSON file")
    p.add_argument("--plot", metavar="PR.png", help="precision-recall small multiples (metric x difficulty)")
    p.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report (tables and plot)")
    add_usability(p)
    p.set_defaults(func=_run_kitti3d)
