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
import functools
import importlib
import os
from typing import Optional

from . import _core
from ._args import integer


class _Lazy:
    """NumPy and the array layer are imported on first use: :func:`evaluate_files` (what the
    command line runs) returns plain numbers and never needs them, which saves most of the
    start-up time of ``locuskit traj ape``."""

    def __init__(self, module: str):
        self._module = module

    def __getattr__(self, name):
        value = importlib.import_module(self._module)
        globals()["np"] = value
        return getattr(value, name)


np = _Lazy("numpy")


def as_array(*args, **kwargs):
    from ._arrays import as_array as impl

    return impl(*args, **kwargs)


def tensor_io(fn):
    """``_arrays.tensor_io`` applied on the first call (torch in, torch out)."""
    wrapped = []

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if not wrapped:
            from ._arrays import tensor_io as impl

            wrapped.append(impl(fn))
        return wrapped[0](*args, **kwargs)
    return call

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
    "RELATIONS",
    "FORMATS",
    "detect_format",
    "write_trajectory",
    "select_time_range",
    "downsample",
    "motion_filter",
    "save_result",
    "load_result",
    "evaluate_files",
]

APE_ALIGN_MODES = ("none", "se3", "sim3", "scale", "origin")
FORMATS = ("tum", "kitti", "euroc")


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


def detect_format(path) -> str:
    """The format of a trajectory file from its first data line: commas -> ``"euroc"``, 8
    whitespace-separated fields -> ``"tum"``, 12 -> ``"kitti"``. Reads at most 64 KiB. Raises
    ValueError naming the file, the line and what was found when none fits."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a directory, not a trajectory file")
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    lines = head.split(b"\n")
    if len(head) == 1 << 16 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    for number, raw in enumerate(lines, 1):
        line = raw.strip().lstrip(b"\xef\xbb\xbf").strip()
        if not line or line.startswith(b"#"):
            continue
        if b"," in line:
            return "euroc"
        fields = len(line.split())
        if fields == 8:
            return "tum"
        if fields == 12:
            return "kitti"
        raise ValueError(
            f"{path}:{number}: cannot tell the trajectory format: {fields} fields "
            "(TUM has 8: t tx ty tz qx qy qz qw; KITTI has 12: a row-major 3x4 [R|t]; EuRoC is "
            "comma-separated); give the format explicitly")
    raise ValueError(f"{path}: no poses found (only blank or comment lines)")


def read_trajectory(path, format: str = "tum") -> Trajectory:
    """Reads a TUM (``t tx ty tz qx qy qz qw``), KITTI (12 numbers [R|t] per line) or EuRoC csv
    (``t_ns, px, py, pz, qw, qx, qy, qz, ...``) file; ``format="auto"`` detects it
    (:func:`detect_format`). Whitespace, blank lines and ``#`` comments are tolerated; errors raise
    ValueError naming the file, the line and the problem. Quaternions are normalized; KITTI
    rotations are kept as written (evo parity). Parsing runs in C++ (no Python per line)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if format == "auto":
        format = detect_format(path)
    return _make(_core.traj.read(path, format), path)


def write_trajectory(path, trajectory: "Trajectory", format: str = "tum") -> None:
    """Writes ``trajectory`` as TUM (``t x y z qx qy qz qw``), KITTI (12 numbers) or EuRoC csv
    (``#timestamp [ns],p_x,p_y,p_z,q_w,q_x,q_y,q_z``), every number with 17 significant digits
    (read back bit for bit, rotations through a unit quaternion except for KITTI). TUM and EuRoC
    need stamps; EuRoC writes ``stamps_ns`` when present, else round(stamps * 1e9)."""
    from .pose import matrix_to_quaternion

    P = np.asarray(trajectory.poses, dtype=np.float64)
    if format == "kitti":
        rows = P[:, :3, :4].reshape(len(P), 12)
        np.savetxt(path, rows, fmt="%.17g", delimiter=" ")
        return
    if format not in ("tum", "euroc"):
        raise ValueError(f"format: expected one of {FORMATS}, got {format!r}")
    if trajectory.stamps is None:
        raise ValueError(f"{format} files need timestamps and {trajectory.name or 'this trajectory'} has none "
                         "(a KITTI file): write it as kitti")
    q = matrix_to_quaternion(np.ascontiguousarray(P[:, :3, :3]))  # x, y, z, w
    t = P[:, :3, 3]
    if format == "tum":
        np.savetxt(path, np.column_stack([trajectory.stamps, t, q]), fmt="%.17g", delimiter=" ")
        return
    ns = (trajectory.stamps_ns if trajectory.stamps_ns is not None
          else np.round(np.asarray(trajectory.stamps) * 1e9).astype(np.int64))
    with open(path, "w") as f:
        f.write("#timestamp [ns],p_RS_R_x [m],p_RS_R_y [m],p_RS_R_z [m],q_RS_w [],q_RS_x [],q_RS_y [],q_RS_z []\n")
        body = np.column_stack([t, q[:, 3:], q[:, :3]])
        for stamp, row in zip(ns.tolist(), body.tolist()):
            f.write(f"{stamp}," + ",".join(repr(v) for v in row) + "\n")


def _subset(t: "Trajectory", keep) -> "Trajectory":
    return Trajectory(poses=np.ascontiguousarray(t.poses[keep]),
                      stamps=None if t.stamps is None else t.stamps[keep],
                      stamps_ns=None if t.stamps_ns is None else t.stamps_ns[keep],
                      name=t.name, warnings=list(t.warnings))


def select_time_range(t: "Trajectory", t_start=None, t_end=None) -> "Trajectory":
    """Poses with ``t_start <= stamp <= t_end`` (evo's ``reduce_to_time_range``; a missing bound is
    the first/last stamp of the file). Raises ValueError if ``t_start > t_end`` or nothing is left."""
    if t.stamps is None:
        raise ValueError(f"{t.name or 'trajectory'}: --t_start/--t_end need timestamps (KITTI files have none)")
    start = t.stamps[0] if t_start is None else float(t_start)
    end = t.stamps[-1] if t_end is None else float(t_end)
    if start > end:
        raise ValueError(f"t_start is greater than t_end ({start} > {end})")
    keep = (t.stamps >= start) & (t.stamps <= end)
    if not keep.any():
        raise ValueError(f"{t.name or 'trajectory'}: no pose within [{start}, {end}] s")
    return _subset(t, keep)


def downsample(t: "Trajectory", num_poses: int) -> "Trajectory":
    """At most ``num_poses`` evenly spaced poses (evo's ``downsample``:
    ``linspace(0, n - 1, num_poses).astype(int)``); unchanged when already short enough."""
    num_poses = integer(num_poses, "num_poses", minimum=1)
    if len(t) <= num_poses:
        return t
    return _subset(t, np.linspace(0, len(t) - 1, num_poses, dtype=int))


def motion_filter(t: "Trajectory", distance: float, angle_deg: float) -> "Trajectory":
    """Keeps pose 0 and every pose that moved at least ``distance`` metres of path or
    ``angle_deg`` degrees of rotation since the last kept one (evo's ``filter_by_motion``)."""
    if distance < 0 or angle_deg < 0:
        raise ValueError("motion_filter: thresholds must be >= 0")
    if len(t) < 2:
        raise ValueError("motion_filter: needs at least two poses")
    p = t.positions
    dist = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
    angle = np.deg2rad(angle_deg)
    R = t.poses[:, :3, :3]
    keep, last, last_d = [0], 0, 0.0
    for i in range(1, len(t)):
        if dist[i] - last_d >= distance:
            keep.append(i); last = i; last_d = dist[i]
            continue
        rel = np.ascontiguousarray((R[last].T @ R[i])[None])
        if np.linalg.norm(_core.pose.so3_log(rel)[0]) >= angle:
            keep.append(i); last = i; last_d = dist[i]
    return _subset(t, np.asarray(keep))


def read_tum(path) -> Trajectory:
    return read_trajectory(path, "tum")


def read_kitti(path) -> Trajectory:
    return read_trajectory(path, "kitti")


def read_euroc(path) -> Trajectory:
    return read_trajectory(path, "euroc")


def parse_trajectory(text: str, format: str = "tum", name: str = "<string>") -> Trajectory:
    """Like :func:`read_trajectory` on a string."""
    return _make(_core.traj.parse(text, format, name), name)


def associate(ref: Trajectory, est: Trajectory, max_diff: float = 0.01, offset: float = 0.0):
    """evo's timestamp association: returns (ref_rows, est_rows) int64 index arrays.

    The shorter side queries (the estimate on a tie); each query stamp takes the nearest stamp of
    the other side (+ ``offset`` on the estimate; lowest index on ties), kept if
    ``|diff| <= max_diff``. Not one-to-one, in the query side's file order, exactly as evo; but
    O((N + M) log M) instead of O(N M)."""
    if ref.stamps is None or est.stamps is None:
        raise ValueError("associate: both trajectories need timestamps (KITTI files are matched by index)")
    return _core.traj.associate(ref.stamps, est.stamps, float(max_diff), float(offset))


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
    return _core.traj.umeyama(e, r, bool(with_scale), integer(n_to_align, "n_to_align", minimum=-1))


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
        T = r[0] @ _core.pose.se3_inverse(np.ascontiguousarray(e[:1]))[0]
        return _core.pose.se3_compose(np.ascontiguousarray(T[None]), e), {"T": T}
    if mode not in ("se3", "sim3", "scale"):
        raise ValueError(f"align: expected one of {APE_ALIGN_MODES}, got {mode!r}")
    R, t, s = _core.traj.umeyama(e, r, mode != "se3", integer(n_to_align, "n_to_align", minimum=-1))
    if mode == "scale":
        return _core.traj.apply_alignment(e, R, t, s, True), {"s": s, "unused_R": R, "unused_t": t}
    return _core.traj.apply_alignment(e, R, t, s, False), {"R": R, "t": t, "s": s}


def statistics(errors) -> dict:
    """evo's statistics: rmse, mean, median (mean of the two middle values for even n), std
    (population, ddof=0), min, max, sse, n."""
    return _core.traj.statistics(np.ascontiguousarray(as_array(errors, "errors"), dtype=np.float64))


@dataclasses.dataclass
class MetricResult:
    """A metric's per-pose (APE) or per-pair (RPE) errors and their statistics. ``stamps`` are the
    estimate's stamps of each error (RPE: of the pair's second pose), ``pairs`` the RPE index
    pairs into the associated arrays, ``settings`` the options that produced it."""

    metric: str
    relation: str
    errors: np.ndarray
    stats: dict
    ref_poses: np.ndarray
    est_poses: np.ndarray  # aligned
    alignment: dict
    stamps: Optional[np.ndarray] = None
    pairs: Optional[tuple] = None
    settings: dict = dataclasses.field(default_factory=dict)

    @property
    def unit(self) -> str:
        """The unit of ``errors`` as evo names it (m, deg, rad, %, unit-less)."""
        return _RELATION_UNITS[self.relation]

    def distances_from_start(self) -> np.ndarray:
        """Path length of the reference from its first associated pose to each error's pose (m)."""
        d = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(self.ref_poses[:, :3, 3], axis=0), axis=1))])
        return d if self.pairs is None else d[self.pairs[1]]

    def as_dict(self, arrays: bool = True) -> dict:
        """JSON-ready dict: metric, relation, unit, stats, alignment, settings and (``arrays``) the
        per-pose/per-pair ``errors``, ``stamps``, ``pairs`` (first, second)."""
        al = {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v) for k, v in self.alignment.items()}
        d = {"metric": self.metric, "relation": self.relation, "unit": self.unit, "stats": self.stats,
             "alignment": al, "settings": dict(self.settings)}
        if arrays:
            d["errors"] = self.errors.tolist()
            d["stamps"] = None if self.stamps is None else np.asarray(self.stamps).tolist()
            if self.pairs is not None:
                d["pairs"] = {"first": self.pairs[0].tolist(), "second": self.pairs[1].tolist()}
        return d


RELATIONS = ("trans_part", "angle_deg", "angle_rad", "rot_part", "full", "point_distance", "point_distance_error_ratio")
_RELATIONS = RELATIONS[:-1]
_RELATION_UNITS = {"trans_part": "m", "point_distance": "m", "angle_deg": "deg", "angle_rad": "rad",
                   "rot_part": "unit-less", "full": "unit-less", "point_distance_error_ratio": "%"}


def _settings(**kw) -> dict:
    return {k: v for k, v in kw.items()}


def ape(ref, est, relation: str = "trans_part", align_mode: str = "none", n_to_align: int = -1,
        max_diff: float = 0.01, offset: float = 0.0) -> MetricResult:
    """Absolute pose error, evo's ``evo_ape`` (E_i = Q_i^-1 P_i after alignment).

    ``relation``: ``trans_part`` (‖p_est - p_ref‖), ``angle_deg``/``angle_rad`` (‖log R(E)‖),
    ``rot_part`` (‖R(E) - I‖_F), ``full`` (‖E - I‖_F), ``point_distance``.
    ``align_mode``: see :func:`align`."""
    r, e, stamps = _pair_up(ref, est, max_diff, offset)
    e_al, info = align(r, e, align_mode, n_to_align)
    err = _core.traj.ape(r, e_al, relation)
    return MetricResult("ape", relation, err, statistics(err), r, e_al, info, stamps,
                        settings=_settings(relation=relation, align_mode=align_mode, n_to_align=n_to_align,
                                           t_max_diff=max_diff, t_offset=offset))


def rpe(ref, est, relation: str = "trans_part", delta: float = 1, unit: str = "f", all_pairs: bool = False,
        align_mode: str = "none", n_to_align: int = -1, rel_tol: float = 0.1, max_diff: float = 0.01,
        offset: float = 0.0, pairs_from_reference: bool = False) -> MetricResult:
    """Relative pose error, evo's ``evo_rpe``: E = (Q_i^-1 Q_j)^-1 (P_i^-1 P_j) over pairs chosen on
    the (aligned) estimate, or on the reference with ``pairs_from_reference``: ``unit="f"`` frames
    (consecutive (0, d), (d, 2d), ... or ``all_pairs``), ``unit="m"`` metres of path (evo's rules,
    incl. its first-segment quirk; ``all_pairs`` keeps pairs within ``delta * rel_tol``),
    ``unit="d"``/``"r"`` degrees/radians of rotation (accumulated; ``all_pairs``: the direct angle
    within ``delta * rel_tol``, O(n^2) as evo). ``relation="point_distance_error_ratio"`` is
    100 | ‖Δp_ref‖ - ‖Δp_est‖ | / ‖Δp_ref‖ with pairs of zero reference distance dropped (evo)."""
    r, e, stamps = _pair_up(ref, est, max_diff, offset)
    e_al, info = align(r, e, align_mode, n_to_align)
    first, second = _core.traj.rpe_pairs(r if pairs_from_reference else e_al, float(delta), unit, bool(all_pairs),
                                         float(rel_tol))
    if relation == "point_distance_error_ratio":
        err = _core.traj.rpe(r, e_al, first, second, "point_distance")
        ref_dist = np.linalg.norm(r[first, :3, 3] - r[second, :3, 3], axis=1)
        nonzero = ref_dist != 0
        if not nonzero.all():
            first, second = first[nonzero], second[nonzero]
            info = dict(info, ignored_zero_distance_pairs=int((~nonzero).sum()))
        err = err[nonzero] / ref_dist[nonzero] * 100
        if err.size == 0:
            raise ValueError("rpe: every pair has a zero reference distance (point_distance_error_ratio undefined)")
    else:
        err = _core.traj.rpe(r, e_al, first, second, relation)
    st = stamps[second] if stamps is not None else None
    return MetricResult("rpe", relation, err, statistics(err), r, e_al, info, st, (first, second),
                        settings=_settings(relation=relation, delta=delta, delta_unit=unit, all_pairs=bool(all_pairs),
                                           delta_tol=rel_tol, align_mode=align_mode, n_to_align=n_to_align,
                                           t_max_diff=max_diff, t_offset=offset,
                                           pairs_from_reference=bool(pairs_from_reference)))


def evaluate_files(ref_path, est_path, metric: str = "ape", relation: str = "trans_part", align_mode: str = "none",
                   *, ref_format: str = "auto", est_format: Optional[str] = None, n_to_align: int = -1,
                   max_diff: float = 0.01, offset: float = 0.0, t_start: Optional[float] = None,
                   t_end: Optional[float] = None, delta: float = 1, unit: str = "f", all_pairs: bool = False,
                   rel_tol: float = 0.1, pairs_from_reference: bool = False) -> dict:
    """A whole ``evo_ape``/``evo_rpe`` evaluation from two files in one call into C++ (read,
    ``t_start``/``t_end`` on the reference, associate, align, pairs, errors, statistics): the
    numbers of :func:`ape`/:func:`rpe` without NumPy arrays, for command lines and scripts that
    only need the statistics. ``ref_format="auto"`` detects the format; ``est_format=None`` reads
    the estimate as TUM when the reference is EuRoC (evo) and detects it otherwise.

    Returns a dict: ``stats`` (rmse, mean, median, std, min, max, sse, n), ``scale``,
    ``associated`` (pairs compared), ``shorter_side``, ``reused_rows`` (long-side rows matched more
    than once), ``zero_reference_steps`` (RPE pairs whose reference poses coincide),
    ``ignored_zero_distance_pairs``, ``warnings`` (the readers'), ``formats``."""
    ref_path, est_path = os.fspath(ref_path), os.fspath(est_path)
    for path in (ref_path, est_path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such file")
    if ref_format == "auto":
        ref_format = detect_format(ref_path)
    if est_format is None:
        est_format = "tum" if ref_format == "euroc" else "auto"
    if est_format == "auto":
        est_format = detect_format(est_path)
    d = _core.traj.evaluate_files(ref_path, est_path, ref_format, est_format, metric, relation, align_mode,
                                  integer(n_to_align, "n_to_align", minimum=-1), float(max_diff), float(offset),
                                  None if t_start is None else float(t_start), None if t_end is None else float(t_end),
                                  float(delta), unit, bool(all_pairs), float(rel_tol), bool(pairs_from_reference))
    d["formats"] = (ref_format, est_format)
    return d


_EVO_STAT_KEYS = ("rmse", "mean", "median", "std", "min", "max", "sse")


def save_result(path, result: MetricResult, title: str = "", ref_name: str = "reference",
                est_name: str = "estimate") -> None:
    """Writes ``result`` as a zip in evo's result layout (``evo_res`` and ``evo.tools.file_interface
    .load_res_file`` read it): ``info.json`` (title, ref_name, est_name, label, plus locuskit's
    metric/relation/settings), ``stats.json`` (evo's seven statistics), ``error_array.npy`` and,
    with stamps, ``timestamps.npy``, ``seconds_from_start.npy``, ``distances_from_start.npy``;
    ``alignment_transformation_sim3.npy`` when aligned; ``pairs.npy`` (RPE, 2 x K)."""
    import io
    import json
    import zipfile

    name = {"ape": "APE", "rpe": "RPE"}[result.metric]
    info = {"title": title or f"{name} w.r.t. {result.relation} ({result.unit})", "ref_name": ref_name,
            "est_name": est_name, "label": f"{name} ({result.unit})", "metric": result.metric,
            "relation": result.relation, "unit": result.unit, "settings": result.settings, "generator": "locuskit"}
    arrays = {"error_array": result.errors}
    if result.stamps is not None:
        st = np.asarray(result.stamps, dtype=np.float64)
        arrays["timestamps"] = st
        arrays["seconds_from_start"] = st - st[0]
        arrays["distances_from_start"] = result.distances_from_start()
    al = result.alignment
    if "R" in al or "T" in al or "unused_R" in al:
        S = np.eye(4)
        if "T" in al:
            S = np.asarray(al["T"], dtype=np.float64)
        elif "R" in al:
            S[:3, :3] = al["s"] * np.asarray(al["R"])
            S[:3, 3] = al["t"]
        else:
            S[:3, :3] *= al["s"]
        arrays["alignment_transformation_sim3"] = S
    if result.pairs is not None:
        arrays["pairs"] = np.stack(result.pairs)
    with zipfile.ZipFile(os.fspath(path), "w") as z:
        z.writestr("info.json", json.dumps(info))
        z.writestr("stats.json", json.dumps({k: float(result.stats[k]) for k in _EVO_STAT_KEYS}))
        for key, a in arrays.items():
            buf = io.BytesIO()
            np.save(buf, np.asarray(a))
            z.writestr(f"{key}.npy", buf.getvalue())


def load_result(path) -> dict:
    """Reads a result zip written by :func:`save_result` or by evo (``--save_results``): a dict
    with ``info``, ``stats`` and ``arrays`` (name -> ndarray). Raises ValueError naming the file if
    it is not a result zip."""
    import io
    import json
    import zipfile

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if not {"info.json", "stats.json"} <= set(names):
                raise ValueError(f"{path}: not a result file (no info.json/stats.json)")
            info = json.loads(z.read("info.json").decode("utf-8"))
            stats = json.loads(z.read("stats.json").decode("utf-8"))
            arrays = {}
            for n in names:
                if n.endswith((".npy", ".npz")):
                    arrays[os.path.splitext(os.path.basename(n))[0]] = np.load(io.BytesIO(z.read(n)),
                                                                                allow_pickle=False)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path}: not a result zip ({exc})") from exc
    return {"info": info, "stats": stats, "arrays": arrays, "path": path}


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
    d = _core.traj.kitti(g, e, precision)
    d["num_segments"] = int(d["segments"].shape[0])
    d["t_err_percent"] = 100.0 * d["t_err_fraction"]
    d["r_err_deg_per_m"] = d["r_err_rad_per_m"] * 180.0 / np.pi
    d["r_err_deg_per_100m"] = d["r_err_deg_per_m"] * 100.0
    d["stats_txt_line"] = "%f %f" % (d["t_err_fraction"], d["r_err_rad_per_m"])
    for v in d["per_length"].values():
        v["t_err_percent"] = 100.0 * v["t_err_fraction"]
        v["r_err_deg_per_m"] = v["r_err_rad_per_m"] * 180.0 / np.pi
    return d
