#!/usr/bin/env python3
"""Objects365-scale COCO evaluation: time and peak memory of one process (coco_evaluate), the
bounded-memory sharded path (coco_evaluate_sharded) and a 2-worker dask LocalCluster
(locuskit.dask), every mode in a fresh process; the precision / recall / scores / stats of all
modes are compared bit for bit. bench/README.md, "Sharded COCO evaluation".

    bench/python/bench_coco_sharded.py GT.json DT.json [--shards 16] [--modes one,sharded,dask2]

Data: ../shared/tools/gen_coco.py --images 80000 --cats 365 --dets-per-image 100 --seed 1
(generated outside the repository, never committed).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, os, resource, sys, time
import numpy as np
mode, gt, dt, shards, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
import locuskit.eval as le
t0, c0 = time.perf_counter(), time.process_time()
extra = {}
if mode == "one":
    r = le.coco_evaluate(gt, dt)
elif mode == "sharded":
    r = le.coco_evaluate_sharded(gt, dt, shards=shards, state_dir=out + ".states", quiet=True)
else:  # dask<N>: the public entry point, as a user calls it
    from locuskit.dask import evaluate_coco
    r = evaluate_coco(gt, dt, workers=int(mode[4:]), shards=shards, state_dir=out + ".states", quiet=True)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
np.savez(out + ".npz", precision=r.precision, recall=r.recall, scores=r.scores, stats=r.stats)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
json.dump(dict(mode=mode, wall_s=wall, cpu_s=cpu, peak_rss_mb=peak, stats=list(map(float, r.stats)), **extra),
          open(out + ".json", "w"))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gt")
    ap.add_argument("dt")
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--modes", default="one,sharded,dask2")
    args = ap.parse_args()
    import numpy as np

    tmp = tempfile.mkdtemp(prefix="bench-sharded-")
    rows = []
    ref = None
    for mode in args.modes.split(","):
        out = os.path.join(tmp, mode)
        subprocess.run(["rm", "-rf", out + ".states"], check=True)
        p = subprocess.run([sys.executable, "-c", CHILD, mode, args.gt, args.dt, str(args.shards), out])
        if p.returncode != 0:
            print(f"{mode}: failed ({p.returncode})")
            continue
        row = json.load(open(out + ".json"))
        arrays = np.load(out + ".npz")
        if ref is None:
            ref = arrays
            row["bitwise_equal_to_first"] = True
        else:
            row["bitwise_equal_to_first"] = all(np.array_equal(arrays[k], ref[k]) for k in arrays.files)
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k not in ("stats",)}))
        sys.stdout.flush()
    print(f"load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
