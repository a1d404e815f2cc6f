"""COCO evaluation benchmark: locuskit vs pycocotools / faster-coco-eval on the same files.

Data (generated once into build/bench-data, never committed):
(a) ../shared/tools/gen_coco.py --images 5000 --cats 80 --dets-per-image 100 (bbox),
(b) gen_coco.py --images 500 --dets-per-image 2000 (bbox),
(m) ../shared/tools/gen_masks.py --images 5000 --seed 1 (segm: COCO-val-scale instance masks).
Each measurement runs in a fresh subprocess (peak RSS = ru_maxrss of that process) and uses the
public drop-in API (``locuskit.coco``: ``COCO``, ``loadRes``, ``COCOeval.evaluate/accumulate``).
pycocotools is run live when built under $LOCUSKIT_PEERS (see _live.py), faster_coco_eval when
importable; a peer that is absent is named and left out (no figures from elsewhere). Figures:
evaluate+accumulate CPU time (process_time) and wall time, medians over --repeat runs.

    LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_eval.py [--threads 2] [--repeat 3] [--sets abm]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _live  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
GEN = _live.SHARED / "tools" / "gen_coco.py"
DATA = ROOT / "build" / "bench-data"
PYCOCO, PYCOCO_MSG = _live.pycocotools_path()
GEN_MASKS = _live.SHARED / "tools" / "gen_masks.py"
SETS = {
    "a": ["--images", "5000", "--cats", "80", "--dets-per-image", "100", "--seed", "1", "--crowd-frac", "0.01"],
    "b": ["--images", "500", "--dets-per-image", "2000", "--seed", "2", "--crowd-frac", "0.01"],
    "m": ["--images", "5000", "--seed", "1"],
}
IOU_TYPE = {"a": "bbox", "b": "bbox", "m": "segm"}

CHILD = r'''
import json, resource, sys, time, io, contextlib
which, gt, dt, threads, iou_type = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
out = {}
if which == "locuskit":
    import locuskit
    from locuskit.coco import COCO, COCOeval
    locuskit.set_num_threads(threads)
elif which == "pycocotools":
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
else:
    from faster_coco_eval import COCO, COCOeval_faster as COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    t0 = time.perf_counter()
    G = COCO(gt)
    D = G.loadRes(dt)
    t1 = time.perf_counter()
    E = COCOeval(G, D, iou_type)
    c1 = time.process_time()
    E.evaluate()
    t2 = time.perf_counter()
    E.accumulate()
    t3 = time.perf_counter()
    out["eval_acc_cpu"] = time.process_time() - c1
    E.summarize()
out.update(load=t1 - t0, evaluate=t2 - t1, accumulate=t3 - t2, eval_acc=t3 - t1, total=t3 - t0,
           ap=float(E.stats[0]), stats=[float(v) for v in E.stats])
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
'''


def ensure(name):
    gt, dt = DATA / f"coco_{name}_gt.json", DATA / f"coco_{name}_dt.json"
    if not (gt.exists() and dt.exists()):
        DATA.mkdir(parents=True, exist_ok=True)
        gen = GEN_MASKS if IOU_TYPE[name] == "segm" else GEN
        print(f"generating set ({name}) with {gen} ...", file=sys.stderr)
        subprocess.run(["/usr/bin/python3", str(gen), *SETS[name], "--out-gt", str(gt), "--out-dt", str(dt)], check=True)
    return gt, dt


def _env():
    env = dict(os.environ)
    if PYCOCO:
        env["PYTHONPATH"] = PYCOCO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run(which, gt, dt, threads, iou_type, pythonpath=None):
    env = _env()
    if pythonpath:  # another locuskit build (--before)
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", CHILD, which, str(gt), str(dt), str(threads), iou_type],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        print(f"{which} failed: {r.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def median_run(which, gt, dt, threads, iou_type, repeat, pythonpath=None):
    """Medians of every timing over `repeat` fresh processes (stats from the first)."""
    runs = [r for r in (run(which, gt, dt, threads, iou_type, pythonpath) for _ in range(repeat)) if r is not None]
    if not runs:
        return None
    out = dict(runs[0])
    for k in ("load", "evaluate", "accumulate", "eval_acc", "eval_acc_cpu", "total", "peak_rss_mb"):
        out[k] = statistics.median(r[k] for r in runs)
    out["n"] = len(runs)
    return out


def available(mod):
    return subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True, env=_env()).returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sets", default="ab", help="a, b (bbox), m (segm, COCO-val-scale masks)")
    ap.add_argument("--peer-repeat", type=int, default=1)
    ap.add_argument("--before", help="directory holding another locuskit package (e.g. a copy of main's install): "
                                     "timed the same way, alternating with this one")
    ap.add_argument("--no-peers", action="store_true", help="time locuskit only")
    args = ap.parse_args()
    peers = [] if args.no_peers else [m for m, imp in (("pycocotools", "pycocotools"), ("faster_coco_eval", "faster_coco_eval"))
                                      if available(imp)]
    for name in args.sets:
        gt, dt = ensure(name)
        iou_type = IOU_TYPE[name]
        mb = (gt.stat().st_size + dt.stat().st_size) / 2**20
        print(f"\n== set ({name}, {iou_type}): {' '.join(SETS[name])}  ({mb:.0f} MB of JSON), load average "
              f"{'/'.join(map(str, _live.load()))}, commit {_live.git_commit()}")
        best = None
        for threads in sorted({1, args.threads}):
            if args.before:  # alternate the two builds run by run (same load for both)
                runs = {"before": [], "after": []}
                for _ in range(args.repeat):
                    for label, path in (("before", args.before), ("after", None)):
                        r = run("locuskit", gt, dt, threads, iou_type, path)
                        if r is not None:
                            runs[label].append(r)
                for label, rs in runs.items():
                    if rs:
                        print(f"locuskit {label}, {threads} thread(s), median of {len(rs)}: evaluate+accumulate CPU "
                              f"{statistics.median(r['eval_acc_cpu'] for r in rs):.3f} s, wall "
                              f"{statistics.median(r['eval_acc'] for r in rs):.3f} s, AP {rs[0]['ap']!r}")
                continue
            r = median_run("locuskit", gt, dt, threads, iou_type, args.repeat)
            if r is None:
                continue
            best = best or r
            print(f"locuskit, {threads} thread(s), median of {r['n']}: load {r['load']:.3f} s, evaluate "
                  f"{r['evaluate']:.3f} s, accumulate {r['accumulate']:.3f} s -> evaluate+accumulate "
                  f"{r['eval_acc']:.3f} s wall, CPU {r['eval_acc_cpu']:.3f} s; end to end {r['total']:.3f} s, "
                  f"peak RSS {r['peak_rss_mb']:.0f} MB, AP {r['ap']!r}")
        for peer in ("pycocotools", "faster_coco_eval"):
            if peer in peers:
                r = median_run(peer, gt, dt, 1, iou_type, args.peer_repeat)
                if r is None or best is None:
                    continue
                same = "identical stats" if r["stats"] == best["stats"] else f"STATS DIFFER: {r['stats']}"
                print(f"{peer} (measured, same run, median of {r['n']}): evaluate+accumulate {r['eval_acc']:.2f} s "
                      f"wall, CPU {r['eval_acc_cpu']:.2f} s; end to end {r['total']:.2f} s, peak RSS "
                      f"{r['peak_rss_mb']:.0f} MB, AP {r['ap']!r} ({same}) -> CPU ratio "
                      f"{r['eval_acc_cpu'] / best['eval_acc_cpu']:.0f}x (1 thread)")
            else:
                print(f"{peer}: not available ({PYCOCO_MSG if peer == 'pycocotools' else 'not importable'}); "
                      f"no ratio")


if __name__ == "__main__":
    main()
