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
    add_usability(p)
    p.set_defaults(func=_run_kitti3d)
