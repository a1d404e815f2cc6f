"""DOTA task-1 evaluation: locuskit vs DOTA_devkit, same run, same files.

Peer: DOTA_devkit (CAPTAIN-WHU/DOTA_devkit @ 9938855, public source, MIT per its headers): its
`dota_evaluation_task1.py` imported unchanged (with `np.bool = bool` restored for numpy >= 1.24) and
its `polyiou.cpp` compiled unchanged; swig is not installed here, so the module `polyiou` is a
10-line pybind11 stand-in for the swig wrapper (`iou_poly`, `VectorDouble`), in
$LOCUSKIT_PEERS/dota_devkit (outside the project):

    P=/work/peers/dota_devkit; mkdir -p $P
    git -C <DOTA_devkit checkout> show 9938855:polyiou.cpp > $P/polyiou.cpp   (also polyiou.h,
        dota_evaluation_task1.py), then compile $P/polyiou_pybind.cpp + polyiou.cpp with pybind11

Data: `python3 tools/gen_dota.py --images 500 --seed 7 --out build/bench-data/dota500` (run from
../shared). Run: LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_dota.py [DIR]
Prints CPU-time medians (3 runs, devkit 1 run if slow), the APs checked equal first, and the load.
"""
from __future__ import annotations

import contextlib
import io
import os
import pathlib
import statistics
import sys
import time

import numpy as np

from locuskit import rotated

CLASSES = list(rotated.DOTA_V1_CLASSES)


def devkit_eval(peer_dir, folder):
    sys.path.insert(0, str(peer_dir))
    np.bool = bool  # removed in numpy 1.24; the devkit uses it
    import matplotlib

    matplotlib.use("Agg")
    import dota_evaluation_task1 as dk

    aps = {}
    with contextlib.redirect_stdout(io.StringIO()):  # the devkit prints every tp/fp array
        for c in CLASSES:
            _, _, ap = dk.voc_eval(str(folder / "Task1_{:s}.txt"), str(folder / "labelTxt" / "{:s}.txt"),
                                   str(folder / "imageset.txt"), c, ovthresh=0.5, use_07_metric=True)
            aps[c] = float(ap)
    return aps


def cpu(fn, runs):
    ts, out = [], None
    for _ in range(runs):
        t0 = time.process_time()
        out = fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts), out


def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench-data/dota500")
    peer = pathlib.Path(os.environ.get("LOCUSKIT_PEERS", "/work/peers")) / "dota_devkit"
    t_dk, ap_dk = cpu(lambda: devkit_eval(peer, folder), 1)
    ours = lambda: rotated.dota_evaluate(folder / "labelTxt", folder, imageset=folder / "imageset.txt")  # noqa: E731
    t_lk, res = cpu(ours, 3)
    same = all(res.ap[c] == ap_dk[c] for c in CLASSES)
    n_det = sum(len(rotated.read_dota_results(folder / f"Task1_{c}.txt")["scores"]) for c in CLASSES)
    print(f"DOTA task-1 evaluation, {folder} ({n_det} detections, 15 classes), CPU time")
    print(f"  DOTA_devkit voc_eval x15 (1 run)      {t_dk:8.2f} s")
    print(f"  locuskit dota_evaluate (median of 3)  {t_lk:8.3f} s   x{t_dk / t_lk:.1f}   VOC07 APs equal: {same}"
          f"   mAP {res.mAP:.6f}")
    print("  load average:", os.getloadavg())


if __name__ == "__main__":
    main()
