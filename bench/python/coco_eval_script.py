"""The pycocotools workflow as a small command-line script, for either library:

    coco_eval_script.py pycocotools|locuskit GT.json RESULTS.json [--threads N]

loads the two files (``COCO(gt)``, ``loadRes``), runs ``COCOeval(...).evaluate()``,
``accumulate()``, ``summarize()`` and prints the 12 summary lines, then one JSON line with the
in-process timings (wall and CPU of load, evaluate+accumulate). Run by bench_peers.py in a fresh
process per run: as a command line (its whole wall/CPU time, start-up included) for pycocotools,
and for the in-process evaluate+accumulate figures of both libraries.
"""
from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    lib, gt, dt = sys.argv[1:4]
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
    if lib == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    else:
        import locuskit
        from locuskit.coco import COCO, COCOeval

        locuskit.set_num_threads(threads)
    quiet = io.StringIO()  # both print progress while loading/evaluating; only the summary is kept
    t0, c0 = time.perf_counter(), cpu()
    with contextlib.redirect_stdout(quiet):
        G = COCO(gt)
        D = G.loadRes(dt)
    t1, c1 = time.perf_counter(), cpu()
    with contextlib.redirect_stdout(quiet):
        E = COCOeval(G, D, "bbox")
        E.evaluate()
        E.accumulate()
    t2, c2 = time.perf_counter(), cpu()
    E.summarize()
    print(json.dumps({"load_wall_s": t1 - t0, "load_cpu_s": c1 - c0, "eval_acc_wall_s": t2 - t1,
                      "eval_acc_cpu_s": c2 - c1, "stats": [float(x) for x in E.stats]}))


if __name__ == "__main__":
    main()
