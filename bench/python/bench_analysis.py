"""Detection error analysis (issue 13): locuskit.eval.tide against tidecv (built from its public
source), and locuskit.eval.confusion_matrix against a NumPy baseline of the same rule; same
inputs, same run, fresh process per run, medians of CPU time (user + system of the process).

    bench_analysis.py GT.json DT.json [--tide /work/peers/tide] [--pycocotools DIR] [--repeat 3]
                      [--peer-repeat 1] [--threads 2]

Data (COCO-val scale): ``gen_coco.py --images 5000 --cats 80 --dets-per-image 100 --seed 1
--crowd-frac 0.01 --segm poly --out-gt GT.json --out-dt DT_SEGM.json`` (tidecv's loader needs the
GT's ``segmentation``), the results then written without their ``segmentation`` (box mode).
Both sides do what ``tidecv``'s README does: load the two files, ``evaluate_range`` (AP at 0.50:0.95,
errors at 0.5), main and special errors. The script checks that the AP50, the six dAP and the two
special dAP are equal (==) and prints one JSON line per measurement.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

TIDECV_RUN = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
c0 = time.process_time(); t0 = time.perf_counter()
from tidecv import TIDE, datasets
c1 = time.process_time()
gt = datasets.COCO(sys.argv[3]); dt = datasets.COCOResult(sys.argv[4])
c2 = time.process_time()
tide = TIDE(); tide.evaluate_range(gt, dt, mode=TIDE.BOX)
main = tide.get_main_errors(); special = tide.get_special_errors()
c3 = time.process_time(); t3 = time.perf_counter()
name = list(tide.runs)[0]
print(json.dumps({'import_cpu': c1 - c0, 'load_cpu': c2 - c1, 'analysis_cpu': c3 - c2, 'total_cpu': c3 - c0,
                  'total_wall': t3 - t0, 'ap': tide.runs[name].ap, 'main': main[name], 'special': special[name]}))
"""

LOCUSKIT_TIDE_RUN = r"""
import json, sys, time
c0 = time.process_time(); t0 = time.perf_counter()
import locuskit, locuskit.eval as le
from locuskit.eval import _analysis
locuskit.set_num_threads(int(sys.argv[3]))
c1 = time.process_time()
pre = _analysis._Prepared(*_analysis._tables(sys.argv[1], sys.argv[2]))
c2 = time.process_time()
r = le.tide(pre, pre)
c3 = time.process_time(); t3 = time.perf_counter()
print(json.dumps({'import_cpu': c1 - c0, 'load_cpu': c2 - c1, 'analysis_cpu': c3 - c2, 'total_cpu': c3 - c0,
                  'total_wall': t3 - t0, 'ap': r.ap, 'main': r.main_dap, 'special': r.special_dap}))
"""

CONFUSION_RUN = r"""
import json, sys, time
import numpy as np
import locuskit, locuskit.eval as le
from locuskit.eval import _analysis
locuskit.set_num_threads(int(sys.argv[3]))
gt_native, dt = _analysis._tables(sys.argv[1], sys.argv[2])
pre = _analysis._Prepared(gt_native, dt)
g = gt_native['annotations']
cats = [int(c) for c in gt_native['category_ids']]

def numpy_confusion(iou_thr=0.5, score_thr=0.5, max_dets=100):
    # The same rule as locuskit's C++ (docs/eval.md), with NumPy per image: vectorised IoU,
    # greedy pairing in score order.
    K = len(cats); slot = {c: i for i, c in enumerate(cats)}
    m = np.zeros((K + 1, K + 1), np.int64)
    gimg, dimg = g['image_id'], dt['image_id']
    go = np.argsort(gimg, kind='stable'); do = np.argsort(dimg, kind='stable')
    gs = np.searchsorted(gimg[go], gt_native['image_ids'], 'left'); ge = np.searchsorted(gimg[go], gt_native['image_ids'], 'right')
    ds = np.searchsorted(dimg[do], gt_native['image_ids'], 'left'); de = np.searchsorted(dimg[do], gt_native['image_ids'], 'right')
    gcls = np.array([slot.get(int(c), -1) for c in g['category_id']]); dcls = np.array([slot.get(int(c), -1) for c in dt['category_id']])
    for i in range(len(gs)):
        gi = go[gs[i]:ge[i]]; di = do[ds[i]:de[i]]
        di = di[(dt['score'][di] >= score_thr) & (dcls[di] >= 0)]
        di = di[np.argsort(-dt['score'][di], kind='stable')][:max_dets]
        gi = gi[gcls[gi] >= 0]
        crowd = g['iscrowd'][gi] != 0
        reg, cr = gi[~crowd], gi[crowd]
        def ious(a, b, is_crowd):
            A, B = dt['bbox'][a], g['bbox'][b]
            w = np.minimum(A[:, None, 0] + A[:, None, 2], B[None, :, 0] + B[None, :, 2]) - np.maximum(A[:, None, 0], B[None, :, 0])
            h = np.minimum(A[:, None, 1] + A[:, None, 3], B[None, :, 1] + B[None, :, 3]) - np.maximum(A[:, None, 1], B[None, :, 1])
            inter = np.where((w > 0) & (h > 0), w * h, 0.0)
            da = (A[:, 2] * A[:, 3])[:, None]
            u = da if is_crowd else da + (B[:, 2] * B[:, 3])[None, :] - inter
            with np.errstate(invalid='ignore', divide='ignore'):
                return np.where(inter > 0, inter / u, 0.0)
        iou = ious(di, reg, False); ioa = ious(di, cr, True)
        taken = np.zeros(len(reg), bool)
        rc = gcls[reg]; cc = gcls[cr]
        for d in range(len(di)):
            pc = dcls[di[d]]
            row = np.where(taken, -1.0, iou[d])
            own = np.where(rc == pc, row, -1.0)
            j = int(np.argmax(own)) if len(own) else -1
            if j < 0 or own[j] < iou_thr:
                j = int(np.argmax(row)) if len(row) else -1
                if j >= 0 and row[j] < iou_thr:
                    j = -1
            if j >= 0:
                taken[j] = True; m[rc[j], pc] += 1
            elif not np.any((ioa[d] >= iou_thr) & (cc == pc)):
                m[K, pc] += 1
        np.add.at(m, (rc[~taken], K), 1)
    return m

out = {}
for name, fn in (('numpy', numpy_confusion), ('locuskit', lambda: le.confusion_matrix(pre, pre).counts)):
    cpus = []
    for _ in range(int(sys.argv[4])):
        c0 = time.process_time(); res = fn(); cpus.append(time.process_time() - c0)
    out[name] = {'cpu_s': sorted(cpus)[len(cpus) // 2], 'runs': len(cpus), 'sum': int(res.sum())}
    out[name + '_matrix'] = res.tolist()
print(json.dumps({'equal': out['numpy_matrix'] == out['locuskit_matrix'],
                  'numpy': out['numpy'], 'locuskit': out['locuskit']}))
"""


def _run(code, *argv):
    p = subprocess.run([sys.executable, "-c", code, *map(str, argv)], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-3000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gt")
    ap.add_argument("dt")
    ap.add_argument("--tide", default="/work/peers/tide", help="tidecv's source folder (dbolya/tide)")
    ap.add_argument("--pycocotools", default="/work/peers/cocoapi/PythonAPI")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-tidecv", action="store_true")
    args = ap.parse_args()
    print(json.dumps({"load_before": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    ours = [_run(LOCUSKIT_TIDE_RUN, args.gt, args.dt, args.threads) for _ in range(args.repeat)]
    med = {k: statistics.median(r[k] for r in ours) for k in ("load_cpu", "analysis_cpu", "total_cpu", "total_wall")}
    print(json.dumps({"tide": "locuskit", "threads": args.threads, **med, "ap": ours[0]["ap"]}), flush=True)
    if not args.skip_tidecv:
        peer = [_run(TIDECV_RUN, args.tide, args.pycocotools, args.gt, args.dt) for _ in range(args.peer_repeat)]
        pmed = {k: statistics.median(r[k] for r in peer) for k in ("load_cpu", "analysis_cpu", "total_cpu", "total_wall")}
        same = all(p["ap"] == ours[0]["ap"] and p["main"] == {k: v for k, v in ours[0]["main"].items()}
                   and p["special"] == ours[0]["special"] for p in peer)
        print(json.dumps({"tide": "tidecv", **pmed, "equal": same,
                          "ratio_analysis_cpu": pmed["analysis_cpu"] / med["analysis_cpu"],
                          "ratio_total_cpu": pmed["total_cpu"] / med["total_cpu"]}), flush=True)
    print(json.dumps({"confusion": _run(CONFUSION_RUN, args.gt, args.dt, args.threads, args.repeat)}), flush=True)
    print(json.dumps({"load_after": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
