#!/usr/bin/env python3
"""LVIS evaluation: locuskit.eval.lvis_evaluate vs the lvis API (LVISResults + LVISEval.run()),
live in the same run, on synthetic LVIS-format sets from ../shared/reference/lvis/tools/gen_lvis.py
(generated into build/bench-data, never committed). CPU time (time.process_time of the process),
medians; the peer runs in its own process (PYTHONPATH=$LOCUSKIT_PEERS/lvis-api:$LOCUSKIT_PEERS/cocoapi/PythonAPI)
and its 13 results must equal ours.

  .venv/bin/python bench/python/bench_lvis.py [--images 5000] [--cats 1203] [--repeat 3] [--peer-repeat 1]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("LOCUSKIT_SHARED_REFERENCE", ROOT.parent / "shared" / "reference"))
PEERS = pathlib.Path(os.environ.get("LOCUSKIT_PEERS", "/work/peers"))

PEER_SCRIPT = r"""
import json, logging, sys, time
logging.disable(logging.CRITICAL)
from lvis import LVIS, LVISResults, LVISEval
gt, dt = sys.argv[1:3]
c0 = time.process_time()
g = LVIS(gt); r = LVISResults(g, dt, max_dets=300)
c1 = time.process_time()
E = LVISEval(g, r, "bbox"); E.run()
c2 = time.process_time()
print(json.dumps({"load": c1 - c0, "eval": c2 - c1, "results": {k: float(v) for k, v in E.results.items()}}))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--cats", type=int, default=1203)
    ap.add_argument("--heavy-frac", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    out = ROOT / "build" / "bench-data"
    out.mkdir(parents=True, exist_ok=True)
    tag = f"lvis_{args.images}x{args.cats}_h{args.heavy_frac}"
    gt, dt = out / f"{tag}_gt.json", out / f"{tag}_dt.json"
    if not gt.exists() or not dt.exists():
        subprocess.run([sys.executable, str(SHARED / "lvis" / "tools" / "gen_lvis.py"), "--images", str(args.images),
                        "--cats", str(args.cats), "--seed", "1", "--heavy-frac", str(args.heavy_frac),
                        "--out-gt", str(gt), "--out-dt", str(dt)], check=True, capture_output=True)
    import locuskit
    from locuskit.eval import lvis_evaluate
    locuskit.set_num_threads(args.threads)
    cpu, wall = [], []
    for _ in range(args.repeat):
        c0, w0 = time.process_time(), time.time()
        res = lvis_evaluate(gt, dt, "bbox")
        cpu.append(time.process_time() - c0)
        wall.append(time.time() - w0)
    row = {"set": tag, "locuskit_cpu_s": statistics.median(cpu), "locuskit_wall_s": statistics.median(wall),
           "load_avg": os.getloadavg()[0]}
    peer_path = f"{PEERS / 'lvis-api'}:{PEERS / 'cocoapi' / 'PythonAPI'}"
    if (PEERS / "lvis-api" / "lvis").exists():
        runs = []
        for _ in range(args.peer_repeat):
            p = subprocess.run(["/usr/bin/python3", "-c", PEER_SCRIPT, str(gt), str(dt)], capture_output=True,
                               text=True, env=dict(os.environ, PYTHONPATH=peer_path), check=True)
            runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
        same = all(r["results"] == dict(res.results) for r in runs)
        row.update(peer_load_cpu_s=statistics.median(r["load"] for r in runs),
                   peer_eval_cpu_s=statistics.median(r["eval"] for r in runs), identical=same)
        row["ratio_end_to_end_cpu"] = (row["peer_load_cpu_s"] + row["peer_eval_cpu_s"]) / row["locuskit_cpu_s"]
    print(json.dumps(row, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
