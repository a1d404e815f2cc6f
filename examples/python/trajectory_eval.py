"""Trajectory evaluation with a plot: a visual-odometry estimate against ground truth.

The estimate is the ground truth seen in another frame, at another scale (monocular odometry), with
noise and drift (no dataset is bundled, so both are generated and written as TUM files first, as a
SLAM system would). ``locuskit.traj`` reads them, aligns with Sim(3) (Umeyama, evo's
``--align --correct_scale``), computes the APE and the RPE, and the plot shows the aligned paths
and the error along the trajectory.

Run: ``python examples/python/trajectory_eval.py [OUT.png]`` (default: trajectory_eval.png in the
system's temporary directory; needs matplotlib).
"""
from __future__ import annotations

import pathlib
import sys
import tempfile

import numpy as np

import locuskit.traj as traj


def rotation_z(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def quaternion_xyzw(R):
    """Rotation matrix -> (qx, qy, qz, qw) for a rotation about z (all poses here are)."""
    a = np.arctan2(R[1, 0], R[0, 0])
    return np.array([0.0, 0.0, np.sin(a / 2), np.cos(a / 2)])


def write_tum(path, stamps, R, t):
    with open(path, "w") as f:
        f.write("# timestamp tx ty tz qx qy qz qw\n")
        for s, Ri, ti in zip(stamps, R, t):
            q = quaternion_xyzw(Ri)
            f.write(f"{s:.6f} {ti[0]:.9f} {ti[1]:.9f} {ti[2]:.9f} {q[0]:.9f} {q[1]:.9f} {q[2]:.9f} {q[3]:.9f}\n")


def make_files(folder: pathlib.Path):
    rng = np.random.default_rng(7)
    n = 600
    stamps = np.arange(n) * 0.1
    heading = np.linspace(0, 2.2 * np.pi, n)
    gt_t = np.stack([20 * np.sin(heading), 12 * np.sin(2 * heading), 0.5 * np.sin(5 * heading)], axis=1)
    gt_R = [rotation_z(h) for h in heading]
    # The estimate: another frame (yaw 40 deg, shifted), scale 0.37, noise and a slow drift.
    S, A, b = 0.37, rotation_z(np.deg2rad(40)), np.array([3.0, -1.0, 0.2])
    drift = np.cumsum(rng.normal(0, 0.01, size=(n, 3)), axis=0)
    est_t = S * (gt_t + drift + rng.normal(0, 0.05, size=(n, 3))) @ A.T + b
    est_R = [A @ R @ rotation_z(rng.normal(0, 0.01)) for R in gt_R]
    write_tum(folder / "groundtruth.txt", stamps, gt_R, gt_t)
    write_tum(folder / "estimate.txt", stamps + 0.001, est_R, est_t)  # slightly different clocks


def main() -> int:
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(tempfile.gettempdir()) / "trajectory_eval.png"
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        make_files(folder)
        gt = traj.read_trajectory(folder / "groundtruth.txt", "tum")
        est = traj.read_trajectory(folder / "estimate.txt", "tum")

    raw = traj.ape(gt, est, align_mode="none")
    ape = traj.ape(gt, est, align_mode="sim3")
    rpe = traj.rpe(gt, est, delta=1.0, unit="m", align_mode="sim3")
    scale = ape.alignment["s"]
    print(f"{len(gt)} poses, path length {gt.path_length():.1f} m")
    print(f"APE without alignment: rmse {raw.stats['rmse']:.3f} m")
    print(f"APE after Sim(3) alignment (scale {scale:.4f}): rmse {ape.stats['rmse']:.3f} m, "
          f"max {ape.stats['max']:.3f} m")
    print(f"RPE per metre: rmse {rpe.stats['rmse']:.3f} m over {len(rpe.errors)} pairs")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax0.plot(ape.ref_poses[:, 0, 3], ape.ref_poses[:, 1, 3], "k-", label="ground truth")
    ax0.plot(ape.est_poses[:, 0, 3], ape.est_poses[:, 1, 3], "C1-", label="estimate (Sim(3)-aligned)")
    ax0.set_xlabel("x [m]")
    ax0.set_ylabel("y [m]")
    ax0.set_aspect("equal")
    ax0.legend()
    ax1.plot(ape.stamps - ape.stamps[0], ape.errors, "C0-")
    ax1.axhline(ape.stats["rmse"], color="C3", ls="--", label=f"rmse {ape.stats['rmse']:.3f} m")
    ax1.set_xlabel("time [s]")
    ax1.set_ylabel("APE (translation) [m]")
    ax1.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")

    # The alignment recovers the inverse of the simulated scale, and removes the frame error.
    if not (abs(scale - 1 / 0.37) < 0.05 and ape.stats["rmse"] < 0.5 < raw.stats["rmse"]):
        print("unexpected result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
