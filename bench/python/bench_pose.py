"""Trajectory evaluation and batched Lie-group throughput: locuskit vs NumPy/SciPy peers, same
inputs, same run, in-process. The peer here is a vectorized NumPy/SciPy port of evo's algorithms
(much faster than evo itself, which loops in Python per pose): it bounds what any NumPy
implementation could do. evo itself is timed live, command line vs command line (evo_ape/evo_rpe
vs locuskit traj, KITTI 00, 200k and 1M poses), by bench_peers.py --only traj.

Run: PYTHONPATH=build/dev/python /usr/bin/python3 bench/python/bench_pose.py [--shared ../shared/reference]
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numpy as np
from scipy.spatial.transform import Rotation

import locuskit
from locuskit import pose, traj

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _live  # noqa: E402


def best_of(f, repeat=5):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def row(name, ours, peer, peer_name):
    print(f"{name:46s} locuskit {ours * 1e3:9.2f} ms   {peer_name} {peer * 1e3:9.2f} ms   ratio {peer / ours:7.1f}x")


# ---------------------------------------------------------------- NumPy/SciPy port of evo
def np_read_kitti(path):
    m = np.loadtxt(path)
    P = np.zeros((len(m), 4, 4))
    P[:, :3, :] = m.reshape(-1, 3, 4)
    P[:, 3, 3] = 1
    return P


def np_umeyama(x, y, with_scale):
    mx, my = x.mean(1), y.mean(1)
    sx = np.mean(np.sum((x - mx[:, None]) ** 2, 0))
    cov = (y - my[:, None]) @ (x - mx[:, None]).T / x.shape[1]
    u, d, v = np.linalg.svd(cov)
    S = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(v) < 0:
        S[2, 2] = -1
    R = u @ S @ v
    c = np.trace(np.diag(d) @ S) / sx if with_scale else 1.0
    return R, my - c * R @ mx, c


def np_inv(P):
    out = np.zeros_like(P)
    Rt = np.transpose(P[:, :3, :3], (0, 2, 1))
    out[:, :3, :3] = Rt
    out[:, :3, 3] = -np.einsum("nij,nj->ni", Rt, P[:, :3, 3])
    out[:, 3, 3] = 1
    return out


def np_stats(e):
    return dict(rmse=np.sqrt(np.mean(e ** 2)), mean=e.mean(), median=np.median(e), std=e.std(), min=e.min(),
                max=e.max(), sse=np.sum(e ** 2))


def np_ape_rpe(gt, est, with_scale=True):
    R, t, s = np_umeyama(est[:, :3, 3].T, gt[:, :3, 3].T, with_scale)
    al = est.copy()
    al[:, :3, :3] = R @ est[:, :3, :3]
    al[:, :3, 3] = (s * est[:, :3, 3]) @ R.T + t
    ape_t = np_stats(np.linalg.norm(al[:, :3, 3] - gt[:, :3, 3], axis=1))
    E = np_inv(gt) @ al
    ape_r = np_stats(np.rad2deg(np.linalg.norm(Rotation.from_matrix(E[:, :3, :3]).as_rotvec(), axis=1)))
    Qr = np_inv(gt[:-1]) @ gt[1:]
    Pr = np_inv(al[:-1]) @ al[1:]
    Erpe = np_inv(Qr) @ Pr
    rpe_t = np_stats(np.linalg.norm(Erpe[:, :3, 3], axis=1))
    rpe_r = np_stats(np.rad2deg(np.linalg.norm(Rotation.from_matrix(Erpe[:, :3, :3]).as_rotvec(), axis=1)))
    return ape_t, ape_r, rpe_t, rpe_r


def lk_ape_rpe(gt, est):
    r, e, _ = traj.synchronize(gt, est)
    e_al, _ = traj.align(r, e, "sim3")  # once for the four metrics, as evo_ape/evo_rpe -as each do
    a = traj.ape(r, e_al, "trans_part")
    b = traj.ape(r, e_al, "angle_deg")
    c = traj.rpe(r, e_al, "trans_part")
    d = traj.rpe(r, e_al, "angle_deg")
    return a.stats, b.stats, c.stats, d.stats


def synthetic(n, rng):
    """A KITTI-like path: ~1 m steps with small heading changes (chained products of exp), the
    estimate = ground truth with 1 cm / 0.6 deg noise, stamps at 10 Hz with 0.1 ms jitter."""
    steps = np.zeros((n, 6))
    steps[:, 2] = 1.0
    steps[:, :2] = rng.normal(0, 0.01, (n, 2))
    steps[:, 3:] = rng.normal(0, 0.002, (n, 3))
    T = pose.se3_exp(steps)
    block = min(n, 20000)
    base = np.empty((block, 4, 4))
    cur = np.eye(4)
    for i in range(block):  # chained product gt[i] = T[0] ... T[i]
        cur = cur @ T[i]
        base[i] = cur
    blocks = [base]
    while sum(len(b) for b in blocks) < n:  # tile the block along the path (fast set-up)
        blocks.append(pose.se3_compose(np.ascontiguousarray(blocks[-1][-1][None]), base))
    gt = np.ascontiguousarray(np.concatenate(blocks)[:n])
    noise = pose.se3_exp(rng.normal(0, 0.01, (n, 6)))
    est = pose.se3_compose(gt, noise)
    stamps = 1e9 + 0.1 * np.arange(n)
    est_stamps = stamps + rng.normal(0, 1e-4, n)
    return gt, est, stamps, est_stamps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(_live.SHARED / "reference"))
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    print(f"locuskit {locuskit.__version__}, threads {locuskit.get_num_threads()}, simd {locuskit.simd_arch()}, "
          f"load average {'/'.join(map(str, os.getloadavg()))}")
    print("evo itself (live, command line vs command line): bench/python/bench_peers.py --only traj")
    data = pathlib.Path(args.shared) / "trajectories" / "data"

    # ---- KITTI 00 end to end (read + Sim(3) align + APE trans/rot + RPE trans/rot)
    if (data / "KITTI_00_gt.txt").exists():
        g, e = data / "KITTI_00_gt.txt", data / "KITTI_00_ORB.txt"
        ours, res = best_of(lambda: lk_ape_rpe(traj.read_kitti(g), traj.read_kitti(e)), 20)
        peer, pres = best_of(lambda: np_ape_rpe(np_read_kitti(g), np_read_kitti(e)), 5)
        for a, b in zip(res, pres):
            assert abs(a["rmse"] - b["rmse"]) <= 1e-9 * b["rmse"]
        row("KITTI 00 end to end (read, -as, APE+RPE t/r)", ours, peer, "numpy/scipy")
        ours_k, _ = best_of(lambda: traj.kitti_metric(traj.read_kitti(g), traj.read_kitti(e)), 20)
        print(f"{'KITTI 00 devkit metric (read + float32 devkit)':46s} locuskit {ours_k * 1e3:9.2f} ms")
    else:
        print("KITTI 00 not available: skipped")

    # ---- 1M synthetic poses: all metrics
    rng = np.random.default_rng(0)
    n = args.n
    gt, est, st, est_st = synthetic(n, rng)
    ref_t = traj.Trajectory(gt, st)
    est_t = traj.Trajectory(est, est_st)

    def lk_all():
        r, e, _ = traj.synchronize(ref_t, est_t)  # association once
        e_al, _ = traj.align(r, e, "sim3")  # Sim(3) Umeyama once
        out = [traj.ape(r, e_al, rel) for rel in ("trans_part", "angle_deg")]
        out += [traj.rpe(r, e_al, rel) for rel in ("trans_part", "angle_deg")]
        out.append(traj.kitti_metric(r, e))
        return out

    def np_all():
        lo = np.searchsorted(st, est_st)  # already sorted and 1:1 here: the cheapest possible peer
        return np_ape_rpe(gt, est)

    ours, _ = best_of(lk_all, 3)
    peer, _ = best_of(np_all, 1)
    row(f"{n} poses: assoc+Sim3+APE t/r+RPE t/r+KITTI", ours, peer, "numpy/scipy (no KITTI)")
    ours_a, _ = best_of(lambda: traj.associate(ref_t, est_t), 3)
    print(f"{'  of which association 1M x 1M':46s} locuskit {ours_a * 1e3:9.2f} ms")

    # ---- batched exp/log throughput vs scipy
    for dtype in (np.float64, np.float32):
        w = rng.normal(0, 1, (n, 3)).astype(dtype)
        ours, R = best_of(lambda: pose.so3_exp(w))
        peer, _ = best_of(lambda: Rotation.from_rotvec(w).as_matrix(), 3)
        row(f"so3_exp {n} {np.dtype(dtype).name}", ours, peer, "scipy Rotation")
        ours, _ = best_of(lambda: pose.so3_log(R))
        peer, _ = best_of(lambda: Rotation.from_matrix(R).as_rotvec(), 3)
        row(f"so3_log {n} {np.dtype(dtype).name}", ours, peer, "scipy Rotation")
    xi = rng.normal(0, 1, (n, 6))
    ours, T = best_of(lambda: pose.se3_exp(xi))
    print(f"{'se3_exp 1M float64':46s} locuskit {ours * 1e3:9.2f} ms ({n / ours / 1e6:.1f} M/s)")
    ours, _ = best_of(lambda: pose.se3_log(T))
    print(f"{'se3_log 1M float64':46s} locuskit {ours * 1e3:9.2f} ms ({n / ours / 1e6:.1f} M/s)")


if __name__ == "__main__":
    main()
