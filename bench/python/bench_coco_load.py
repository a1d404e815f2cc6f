"""COCO results loading: time and peak memory of `locuskit.eval._coco.load_results` and of a
whole evaluation from the JSON files, each in a fresh process (peak RSS = ru_maxrss).

Data: build/bench-data from bench_eval.py (sets (a), (b) of ../shared/tools/gen_coco.py) and
`big_dt.json`, set (b)'s results repeated 12 times (1.0 GB, 11.9M results on (b)'s images),
made here when absent. Compare two builds by passing their interpreters:

    .venv/bin/python bench/python/bench_coco_load.py [--python OTHER/.venv/bin/python ...] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "build" / "bench-data"

CHILD = r'''
import json, resource, sys, time
what, gt, dt = sys.argv[1], sys.argv[2], sys.argv[3]
import locuskit
from locuskit.eval import _coco
from locuskit.eval._result import evaluate_prepared
g = _coco.load_gt(gt)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
if what == "load":
    d = _coco.load_results(dt, g["image_ids"])
    n = len(d["id"])
else:
    g = _coco.load_gt(gt)
    d = _coco.load_results(dt, g["image_ids"])
    p = _coco.default_params("bbox")
    p["imgIds"] = sorted(g["image_ids"].tolist()); p["catIds"] = sorted(g["category_ids"].tolist())
    r = evaluate_prepared(g, d, p)
    n = len(d["id"])
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak / 1024, "before_mb": base / 1024, "n": n}))
'''


def make_big():
    big = DATA / "big_dt.json"
    if big.exists():
        return big
    body = (DATA / "b_dt.json").read_text().strip()[1:-1]
    with open(big, "w") as f:
        f.write("[" + ",".join([body] * 12) + "]")
    return big


def run(python, what, gt, dt, repeat):
    best = None
    for _ in range(repeat):
        out = subprocess.run([python, "-c", CHILD, what, str(gt), str(dt)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or r["wall"] < best["wall"]:
            best = r
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", action="append", default=None, help="interpreters to compare (default: this one)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sets", default="a,b,big")
    args = ap.parse_args()
    pythons = args.python or [sys.executable]
    print(f"load average: {os.getloadavg()}")
    for s in args.sets.split(","):
        gt = DATA / ("b_gt.json" if s == "big" else f"{s}_gt.json")
        dt = make_big() if s == "big" else DATA / f"{s}_dt.json"
        size_mb = dt.stat().st_size / 1e6
        for what in ("load", "e2e"):
            for py in pythons:
                r = run(py, what, gt, dt, 1 if s == "big" else args.repeat)
                print(f"{s:>3} {size_mb:7.0f} MB {what:>4} {py}: wall {r['wall']:.2f} s, cpu {r['cpu']:.2f} s, "
                      f"peak RSS {r['peak_mb']:.0f} MB (after loading the GT {r['before_mb']:.0f} MB), {r['n']} results",
                      flush=True)


if __name__ == "__main__":
    main()
