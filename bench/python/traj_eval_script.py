"""In-process trajectory evaluation with either library, the steps evo_ape/evo_rpe run:

    traj_eval_script.py evo|locuskit GT.txt EST.txt [--repeat N]

reads both KITTI files, then APE (translation part) and RPE (translation part, consecutive
frames) each after a Sim(3) Umeyama alignment (``-as``), ``--repeat`` times in this one process,
and prints one JSON line with the wall/CPU time of every run's read and metric steps and the two
RMSEs. evo: ``file_interface.read_kitti_poses_file``, ``main_ape.ape``, ``main_rpe.rpe`` (the
functions its command lines call; alignment happens in place, so each metric gets a fresh copy
of the estimate, made outside the timed step). Run with evo's interpreter for evo.
"""
from __future__ import annotations

import copy
import json
import resource
import sys
import time


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    lib, gt, est = sys.argv[1:4]
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    if lib == "evo":
        from evo.core import metrics
        from evo.main_ape import ape
        from evo.main_rpe import rpe
        from evo.tools import file_interface

        def read():
            return file_interface.read_kitti_poses_file(gt), file_interface.read_kitti_poses_file(est)

        def copies(e):
            return e, copy.deepcopy(e)

        def metric(ref, e1, e2):
            a = ape(ref, e1, metrics.PoseRelation.translation_part, align=True, correct_scale=True)
            r = rpe(ref, e2, metrics.PoseRelation.translation_part, 1, metrics.Unit.frames,
                    align=True, correct_scale=True)
            return a.stats["rmse"], r.stats["rmse"]
    else:
        import locuskit
        from locuskit import traj

        locuskit.set_num_threads(1)

        def read():
            return traj.read_kitti(gt), traj.read_kitti(est)

        def copies(e):
            return e, e  # locuskit does not modify its inputs

        def metric(ref, e1, e2):
            a = traj.ape(ref, e1, "trans_part", align_mode="sim3")
            r = traj.rpe(ref, e2, "trans_part", align_mode="sim3")
            return a.stats["rmse"], r.stats["rmse"]

    runs = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), cpu()
        ref, e = read()
        t1r, c1r = time.perf_counter(), cpu()
        e1, e2 = copies(e)
        t1, c1 = time.perf_counter(), cpu()
        rmse = metric(ref, e1, e2)
        t2, c2 = time.perf_counter(), cpu()
        runs.append({"read_wall_s": t1r - t0, "read_cpu_s": c1r - c0, "metric_wall_s": t2 - t1,
                     "metric_cpu_s": c2 - c1})
    print(json.dumps({"runs": runs, "rmse": rmse}))


if __name__ == "__main__":
    main()
