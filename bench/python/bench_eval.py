"""COCO evaluation benchmark: locuskit vs pycocotools / faster-coco-eval on the same files.

Data: ../shared/tools/gen_coco.py (a) --images 5000 --cats 80 --dets-per-image 100 and
(b) --images 500 --dets-per-image 2000 (generated once into build/bench-data, never committed).
Each measurement runs in a fresh subprocess (peak RSS = ru_maxrss of that process). pycocotools
is run live when built under $LOCUSKIT_PEERS (see _live.py), faster_coco_eval when importable;
a peer that is absent is named and left out (no figures from elsewhere). The command-line vs
command-line and drop-in comparisons, with CPU time and load, are in bench_peers.py --only coco.

    LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_eval.py [--threads 2] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _live  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
GEN = _live.SHARED / "tools" / "gen_coco.py"
DATA = ROOT / "build" / "bench-data"
PYCOCO, PYCOCO_MSG = _live.pycocotools_path()
SETS = {
    "a": ["--images", "5000", "--cats", "80", "--dets-per-image", "100", "--seed", "1", "--crowd-frac", "0.01"],
    "b": ["--images", "500", "--dets-per-image", "2000", "--seed", "2", "--crowd-frac", "0.01"],
}

CHILD = r'''
import json, resource, sys, time, io, contextlib
which, gt, dt, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
out = {}
if which == "locuskit":
    import locuskit
    from locuskit.eval import _coco
    from locuskit.eval._result import evaluate_prepared
    locuskit.set_num_threads(threads)
    t0 = time.perf_counter()
    g = _coco.load_gt(gt); d = _coco.load_results(dt, g["image_ids"])
    t1 = time.perf_counter()
    p = _coco.default_params("bbox"); p["imgIds"] = sorted(g["image_ids"].tolist()); p["catIds"] = sorted(g["category_ids"].tolist())
    c1 = time.process_time()
    ev = _coco.evaluate_tables(g["annotations"], d, p)
    t2 = time.perf_counter()
    pr, rc, sc = ev.accumulate()
    t3 = time.perf_counter()
    out["eval_acc_cpu"] = time.process_time() - c1
    stats, _ = _coco.summarize_arrays(pr, rc, p)
    out.update(load=t1 - t0, evaluate=t2 - t1, accumulate=t3 - t2, eval_acc=t3 - t1, total=t3 - t0, ap=float(stats[0]))
else:
    mod = "pycocotools" if which == "pycocotools" else "faster_coco_eval.core"
    if which == "pycocotools":
        from pycocotools.coco import COCO; from pycocotools.cocoeval import COCOeval
    else:
        from faster_coco_eval import COCO, COCOeval_faster as COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter(); G = COCO(gt); D = G.loadRes(dt); t1 = time.perf_counter()
        E = COCOeval(G, D, "bbox"); E.evaluate(); E.accumulate(); t3 = time.perf_counter(); E.summarize()
    out.update(load=t1 - t0, eval_acc=t3 - t1, total=t3 - t0, ap=float(E.stats[0]))
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
'''


def ensure(name):
    gt, dt = DATA / f"coco_{name}_gt.json", DATA / f"coco_{name}_dt.json"
    if not (gt.exists() and dt.exists()):
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating set ({name}) with {GEN} ...", file=sys.stderr)
        subprocess.run(["/usr/bin/python3", str(GEN), *SETS[name], "--out-gt", str(gt), "--out-dt", str(dt)], check=True)
    return gt, dt


def _env():
    env = dict(os.environ)
    if PYCOCO:
        env["PYTHONPATH"] = PYCOCO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run(which, gt, dt, threads):
    r = subprocess.run([sys.executable, "-c", CHILD, which, str(gt), str(dt), str(threads)], capture_output=True,
                       text=True, env=_env())
    if r.returncode != 0:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def available(mod):
    return subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True, env=_env()).returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sets", default="ab")
    args = ap.parse_args()
    peers = [m for m, imp in (("pycocotools", "pycocotools"), ("faster_coco_eval", "faster_coco_eval")) if available(imp)]
    for name in args.sets:
        gt, dt = ensure(name)
        mb = (gt.stat().st_size + dt.stat().st_size) / 2**20
        print(f"\n== set ({name}): {' '.join(SETS[name])}  ({mb:.0f} MB of JSON), load average "
              f"{'/'.join(map(str, _live.load()))}, commit {_live.git_commit()}")
        for threads in sorted({1, args.threads}):
            best = None
            for _ in range(args.repeat):
                r = run("locuskit", gt, dt, threads)
                if best is None or r["eval_acc"] < best["eval_acc"]:
                    best = r
            print(f"locuskit, {threads} thread(s): load {best['load']:.3f} s, evaluate {best['evaluate']:.3f} s, "
                  f"accumulate {best['accumulate']:.3f} s -> evaluate+accumulate {best['eval_acc']:.3f} s "
                  f"(CPU {best['eval_acc_cpu']:.3f} s), "
                  f"end to end {best['total']:.3f} s, peak RSS {best['peak_rss_mb']:.0f} MB, AP {best['ap']:.4f}")
        for peer in ("pycocotools", "faster_coco_eval"):
            if peer in peers:
                r = run(peer, gt, dt, 1)
                print(f"{peer} (measured, same run): evaluate+accumulate {r['eval_acc']:.2f} s, end to end "
                      f"{r['total']:.2f} s, peak RSS {r['peak_rss_mb']:.0f} MB, AP {r['ap']:.4f} -> ratio "
                      f"{r['eval_acc'] / best['eval_acc']:.0f}x")
            else:
                print(f"{peer}: not available ({PYCOCO_MSG if peer == 'pycocotools' else 'not importable'}); "
                      f"no ratio")


if __name__ == "__main__":
    main()
