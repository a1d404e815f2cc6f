"""Trajectory file reading throughput (the C++ readers behind ``locuskit.traj.read_trajectory``).

    .venv/bin/python bench/python/bench_traj_read.py [FILE[:FORMAT] ...] [--repeat N]

Default files: the KITTI 00 ground truth, fr2/desk ground truth (TUM) and V1_02 (EuRoC) from
``../shared/reference/trajectories/data``, and the 200k/1M-pose KITTI files bench_peers.py writes
into build/bench-data (when present). Prints, per file and thread count (1 and all), the median
wall time, the process CPU time of the read and MB/s of text for both, with the load average.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import resource
import statistics
import time

import locuskit
from locuskit import traj

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("LOCUSKIT_SHARED_REFERENCE", ROOT.parent / "shared" / "reference"))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    files = args.files or [f"{SHARED / 'trajectories' / 'data' / 'KITTI_00_gt.txt'}:kitti",
                           f"{SHARED / 'trajectories' / 'data' / 'fr2_desk_groundtruth.txt'}:tum",
                           f"{SHARED / 'trajectories' / 'data' / 'V102_groundtruth.csv'}:euroc",
                           f"{ROOT / 'build' / 'bench-data' / 'traj_200000_gt.txt'}:kitti",
                           f"{ROOT / 'build' / 'bench-data' / 'traj_1000000_gt.txt'}:kitti"]
    print(f"load average before: {os.getloadavg()[0]:.1f}; threads available: {locuskit.get_num_threads()}")
    print(f"{'file':<32} {'MB':>7} {'threads':>7} {'wall ms':>9} {'cpu ms':>9} {'MB/s wall':>10} {'MB/s cpu':>9}")
    all_threads = locuskit.get_num_threads()
    for spec in files:
        path, _, fmt = spec.rpartition(":") if spec.count(":") else (spec, "", "auto")
        if not os.path.exists(path):
            continue
        mb = os.path.getsize(path) / 1e6
        for threads in sorted({1, all_threads}):
            locuskit.set_num_threads(threads)
            walls, cpus = [], []
            for _ in range(args.repeat):
                w0, c0 = time.perf_counter(), cpu()
                traj.read_trajectory(path, fmt)
                walls.append(time.perf_counter() - w0)
                cpus.append(cpu() - c0)
            w, c = statistics.median(walls), statistics.median(cpus)
            print(f"{os.path.basename(path):<32} {mb:7.1f} {threads:7d} {w * 1e3:9.1f} {c * 1e3:9.1f} "
                  f"{mb / w:10.0f} {mb / max(c, 1e-9):9.0f}")
    locuskit.set_num_threads(all_threads)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
