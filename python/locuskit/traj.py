"""Trajectory evaluation: file readers, timestamp association, Umeyama alignment, APE/RPE with
evo's definitions and statistics, and the KITTI odometry devkit metric.

Numbers match evo v1.36.5 (``evo_ape``/``evo_rpe``) and the KITTI devkit on their own test data
(see ``docs/pose.md``); everything heavy runs in C++ (association O((N+M) log M), one pass per metric).

Poses are (N, 4, 4) float64 camera/body-to-world matrices; ``ref`` is the ground truth (Q) and
``est`` the estimate (P). Functions accept :class:`Trajectory` objects (associated by timestamp,
or by index when they carry none, as KITTI files) or already associated (N, 4, 4) arrays.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Optional

import numpy as np

from . import _core
from ._arrays import as_array, tensor_io

__all__ = [
    "Trajectory",
    "read_trajectory",
    "read_tum",
    "read_kitti",
    "read_euroc",
    "parse_trajectory",
    "associate",
    "synchronize",
    "umeyama_alignment",
    "align",
    "ape",
    "rpe",
    "kitti_metric",
    "statistics",
    "MetricResult",
    "APE_ALIGN_MODES",
]

APE_ALIGN_MODES = ("none", "se3", "sim3", "scale", "origin")


@dataclasses.dataclass
class Trajectory:
    """Poses (N, 4, 4) float64, optional stamps (N,) float64 seconds and, for EuRoC files, the exact
    integer nanoseconds ``stamps_ns``. ``warnings`` lists non-fatal findings of the reader
    (duplicated/decreasing stamps, large quaternion deviations)."""

    poses: np.ndarray
    stamps: Optional[np.ndarray] = None
    stamps_ns: Optional[np.ndarray] = None
    name: str = ""
    warnings: list = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return int(self.poses.shape[0])

    @property
    def positions(self) -> np.ndarray:
        return self.poses[:, :3, 3]

    def path_length(self) -> float:
        d = np.diff(self.positions, axis=0)
        return float(np.sum(np.linalg.norm(d, axis=1)))


def _make(t, name):
    stamps, ns, poses, warnings = t
    return Trajectory(poses=poses, stamps=stamps, stamps_ns=ns, name=name, warnings=list(warnings))


def read_trajectory(path, format: str = "tum") -> Trajectory:
    """Reads a TUM (``t tx ty tz qx qy qz qw``), KITTI (12 numbers [R|t] per line) or EuRoC csv
    (``t_ns, px, py, pz, qw, qx, qy, qz, ...``) file. Whitespace, blank lines and ``#`` comments
    are tolerated; errors raise ValueError naming the file, the line and the problem. Quaternions
    are normalized; KITTI rotations are kept as written (evo parity)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    return _make(_core.traj_read(path, format), path)


def read_tum(path) -> Trajectory:
    return read_trajectory(path, "tum")


def read_kitti(path) -> Trajectory:
    return read_trajectory(path, "kitti")


def read_euroc(path) -> Trajectory:
    return read_trajectory(path, "euroc")


def parse_trajectory(text: str, format: str = "tum", name: str = "<string>") -> Trajectory:
    """Like :func:`read_trajectory` on a string."""
    return _make(_core.traj_parse(text, format, name), name)


def associate(ref: Trajectory, est: Trajectory, max_diff: float = 0.01, offset: float = 0.0):
    """evo's timestamp association: returns (ref_rows, est_rows) int64 index arrays.

    The shorter side queries (the estimate on a tie); each query stamp takes the nearest stamp of
    the other side (+ ``offset`` on the estimate; lowest index on ties), kept if
    ``|diff| <= max_diff``. Not one-to-one, in the query side's file order, exactly as evo; but
    O((N + M) log M) instead of O(N M)."""
    if ref.stamps is None or est.stamps is None:
        raise ValueError("associate: both trajectories need timestamps (KITTI files are matched by index)")
    return _core.traj_associate(ref.stamps, est.stamps, float(max_diff), float(offset))


def _pair_up(ref, est, max_diff, offset):
    """Returns associated (ref_poses, est_poses, stamps or None)."""
    if isinstance(ref, Trajectory) and isinstance(est, Trajectory):
        if ref.stamps is not None and est.stamps is not None:
            ri, ei = associate(ref, est, max_diff, offset)
            if len(ri) == 0:
                raise ValueError(
                    f"associate: no matching timestamps between {ref.name or 'ref'} and {est.name or 'est'} "
                    f"(max_diff {max_diff} s, offset {offset} s)")
            return np.ascontiguousarray(ref.poses[ri]), np.ascontiguousarray(est.poses[ei]), est.stamps[ei]
        ref, est = ref.poses, est.poses
    elif isinstance(ref, Trajectory) or isinstance(est, Trajectory):
        ref = ref.poses if isinstance(ref, Trajectory) else ref
        est = est.poses if isinstance(est, Trajectory) else est
    r = np.ascontiguousarray(as_array(ref, "ref"), dtype=np.float64)
    e = np.ascontiguousarray(as_array(est, "est"), dtype=np.float64)
    if r.shape != e.shape:
        raise ValueError(f"ref has {r.shape[0]} poses and est has {e.shape[0]}: without timestamps they are "
                         "matched by index and must have equal length")
    if r.ndim != 3 or r.shape[1:] != (4, 4):
        raise ValueError(f"poses: expected shape (N, 4, 4), got {r.shape}")
    return r, e, None  # finiteness is checked by the compiled layer


def synchronize(ref, est, max_diff: float = 0.01, offset: float = 0.0):
    """Associated (ref_poses, est_poses, est_stamps or None), as every metric does internally.
    Use it once, then pass the arrays to several metrics (no repeated association)."""
    return _pair_up(ref, est, max_diff, offset)


@tensor_io
def umeyama_alignment(est_poses, ref_poses, with_scale: bool = False, n_to_align: int = -1):
    """Umeyama least squares (evo's ``umeyama_alignment``) moving the estimate's positions onto the
    reference's: returns (R (3, 3), t (3,), s) with p' = s R p + t. ``n_to_align`` uses only the
    first n pairs (-1: all). Raises ValueError for a degenerate configuration."""
    e = np.ascontiguousarray(as_array(est_poses, "est_poses"), dtype=np.float64)
    r = np.ascontiguousarray(as_array(ref_poses, "ref_poses"), dtype=np.float64)
    return _core.traj_umeyama(e, r, bool(with_scale), int(n_to_align))


@tensor_io
def align(ref_poses, est_poses, mode: str = "se3", n_to_align: int = -1):
    """Aligns associated estimate poses onto the reference as evo does.

    ``mode``: ``"se3"`` (evo ``-a``), ``"sim3"`` (``-as``), ``"scale"`` (``-s``: the full Sim(3) is
    fitted but only p <- s p is applied, about the world origin), ``"origin"``
    (``--align_origin``: T = Q0 P0^-1 left-multiplied), ``"none"``. Returns (aligned_est_poses,
    info dict with R, t, s or T)."""
    r = np.ascontiguousarray(ref_poses, dtype=np.float64)
    e = np.ascontiguousarray(est_poses, dtype=np.float64)
    if mode == "none":
        return e, {}
    if mode == "origin":
        T = r[0] @ _core.se3_inverse(np.ascontiguousarray(e[:1]))[0]
        return _core.se3_compose(np.ascontiguousarray(T[None]), e), {"T": T}
    if mode not in ("se3", "sim3", "scale"):
        raise ValueError(f"align: expected one of {APE_ALIGN_MODES}, got {mode!r}")
    R, t, s = _core.traj_umeyama(e, r, mode != "se3", int(n_to_align))
    if mode == "scale":
        return _core.traj_apply_alignment(e, R, t, s, True), {"s": s, "unused_R": R, "unused_t": t}
    return _core.traj_apply_alignment(e, R, t, s, False), {"R": R, "t": t, "s": s}


def statistics(errors) -> dict:
    """evo's statistics: rmse, mean, median (mean of the two middle values for even n), std
    (population, ddof=0), min, max, sse, n."""
    return _core.traj_statistics(np.ascontiguousarray(as_array(errors, "errors"), dtype=np.float64))


@dataclasses.dataclass
class MetricResult:
    """A metric's per-pose (APE) or per-pair (RPE) errors and their statistics."""

    metric: str
    relation: str
    errors: np.ndarray
    stats: dict
    ref_poses: np.ndarray
    est_poses: np.ndarray  # aligned
    alignment: dict
    stamps: Optional[np.ndarray] = None
    pairs: Optional[tuple] = None

    def as_dict(self) -> dict:
        al = {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v) for k, v in self.alignment.items()}
        return {"metric": self.metric, "relation": self.relation, "stats": self.stats, "alignment": al}


_RELATIONS = ("trans_part", "angle_deg", "angle_rad", "rot_part", "full", "point_distance")


def ape(ref, est, relation: str = "trans_part", align_mode: str = "none", n_to_align: int = -1,
        max_diff: float = 0.01, offset: float = 0.0) -> MetricResult:
    """Absolute pose error, evo's ``evo_ape`` (E_i = Q_i^-1 P_i after alignment).

    ``relation``: ``trans_part`` (‖p_est - p_ref‖), ``angle_deg``/``angle_rad`` (‖log R(E)‖),
    ``rot_part`` (‖R(E) - I‖_F), ``full`` (‖E - I‖_F), ``point_distance``.
    ``align_mode``: see :func:`align`."""
    r, e, stamps = _pair_up(ref, est, max_diff, offset)
    e_al, info = align(r, e, align_mode, n_to_align)
    err = _core.traj_ape(r, e_al, relation)
    return MetricResult("ape", relation, err, statistics(err), r, e_al, info, stamps)


def rpe(ref, est, relation: str = "trans_part", delta: float = 1, unit: str = "f", all_pairs: bool = False,
        align_mode: str = "none", n_to_align: int = -1, rel_tol: float = 0.1, max_diff: float = 0.01,
        offset: float = 0.0) -> MetricResult:
    """Relative pose error, evo's ``evo_rpe``: E = (Q_i^-1 Q_j)^-1 (P_i^-1 P_j) over pairs chosen on
    the (aligned) estimate: ``unit="f"`` frames (consecutive (0, d), (d, 2d), ... or
    ``all_pairs``), ``unit="m"`` metres of path (evo's rules, incl. its first-segment quirk;
    ``all_pairs`` keeps pairs within ``delta * rel_tol``)."""
    r, e, stamps = _pair_up(ref, est, max_diff, offset)
    e_al, info = align(r, e, align_mode, n_to_align)
    first, second = _core.traj_rpe_pairs(e_al, float(delta), unit, bool(all_pairs), float(rel_tol))
    err = _core.traj_rpe(r, e_al, first, second, relation)
    st = stamps[second] if stamps is not None else None
    return MetricResult("rpe", relation, err, statistics(err), r, e_al, info, st, (first, second))


def kitti_metric(gt, est, precision: str = "devkit") -> dict:
    """KITTI odometry devkit metric (segments of 100..800 m every 10 frames, no alignment).

    ``precision="devkit"`` reproduces the compiled devkit bit for bit (float32 arithmetic, acosf);
    ``"double"`` runs the same algorithm in float64. Returns a dict with ``t_err_percent``,
    ``r_err_deg_per_m``, ``r_err_deg_per_100m``, the devkit's ``t_err_fraction`` and
    ``r_err_rad_per_m``, ``per_length`` means, ``segments`` (K, 5: first_frame, r_err/len [rad/m],
    t_err/len [1/m], len, speed) and ``stats_txt_line`` (the devkit's ``%f %f``)."""
    g = gt.poses if isinstance(gt, Trajectory) else gt
    e = est.poses if isinstance(est, Trajectory) else est
    g = np.ascontiguousarray(as_array(g, "gt"), dtype=np.float64)
    e = np.ascontiguousarray(as_array(e, "est"), dtype=np.float64)
    d = _core.traj_kitti(g, e, precision)
    d["num_segments"] = int(d["segments"].shape[0])
    d["t_err_percent"] = 100.0 * d["t_err_fraction"]
    d["r_err_deg_per_m"] = d["r_err_rad_per_m"] * 180.0 / np.pi
    d["r_err_deg_per_100m"] = d["r_err_deg_per_m"] * 100.0
    d["stats_txt_line"] = "%f %f" % (d["t_err_fraction"], d["r_err_rad_per_m"])
    for v in d["per_length"].values():
        v["t_err_percent"] = 100.0 * v["t_err_fraction"]
        v["r_err_deg_per_m"] = v["r_err_rad_per_m"] * 180.0 / np.pi
    return d
