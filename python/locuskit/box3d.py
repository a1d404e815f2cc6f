"""3D boxes with a yaw and the KITTI 3D object evaluation.

Boxes are ``(N, 7)`` rows ``(x, y, z, l, w, h, yaw)`` in one of two conventions (docs/box3d.md):

- ``"lidar"`` (OpenPCDet): x forward, y left, z up; (x, y, z) the box centre; yaw the heading,
  counter-clockwise from +x seen from above.
- ``"kitti_camera"`` (KITTI ``label_2``): x right, y down, z forward; (x, y, z) the centre of the
  bottom face; yaw = rotation_y about +y.

- ``box3d_corners``: the 8 corners in pytorch3d's order; ``boxes3d_lidar_to_camera`` /
  ``boxes3d_camera_to_lidar``: OpenPCDet's conversion rule, with a calibration or the plain axis
  permutation.
- ``box3d_iou`` / ``box3d_iou_bev``: pairwise exact 3D / bird's-eye-view IoU (equal to the exact
  oracle within 1e-12 relative, also for touching and coplanar faces); ``nms3d``: greedy NMS on
  either (OpenPCDet's ``>`` rule).
- ``read_kitti_label``: a ``label_2`` file as arrays (ValueError naming file and line).
- ``evaluate_kitti3d``: AP|R11 and AP|R40 of bbox/BEV/3D/AOS for Car/Pedestrian/Cyclist at
  easy/moderate/hard, the numbers of OpenPCDet's ``kitti_object_eval_python`` with exact
  (double-precision) BEV/3D overlaps; one call into C++, frames in parallel
  (``locuskit.set_num_threads``), results independent of the thread count.

NumPy arrays in give NumPy arrays out; torch tensors give tensors. A non-contiguous input is
copied once (contiguous inputs never are). float32 and float64 are accepted; non-finite boxes raise
ValueError.
"""
from __future__ import annotations

import os
import pathlib
import re
from typing import Optional, Sequence, Union

import numpy as np

from . import _core
from ._arrays import as_array, tensor_io

_b3 = _core.box3d

__all__ = [
    "box3d_corners",
    "boxes3d_lidar_to_camera",
    "boxes3d_camera_to_lidar",
    "box3d_iou",
    "box3d_iou_bev",
    "nms3d",
    "read_kitti_label",
    "evaluate_kitti3d",
    "Kitti3dResult",
    "KITTI_CLASSES",
    "KITTI_MIN_OVERLAPS",
]

KITTI_CLASSES = ("Car", "Pedestrian", "Cyclist")
_METRICS = ("bbox", "bev", "3d", "aos")
_DIFFICULTIES = ("easy", "moderate", "hard")
#: The official overlap sets, [set][metric bbox/bev/3d][class Car/Pedestrian/Cyclist].
KITTI_MIN_OVERLAPS = np.array(
    [[[0.7, 0.5, 0.5], [0.7, 0.5, 0.5], [0.7, 0.5, 0.5]], [[0.7, 0.5, 0.5], [0.5, 0.25, 0.25], [0.5, 0.25, 0.25]]]
)
_PathLike = Union[str, os.PathLike]


def _check_convention(convention: str) -> str:
    if convention not in ("lidar", "kitti_camera"):
        raise ValueError(f"convention: expected 'lidar' or 'kitti_camera', got {convention!r}")
    return convention


@tensor_io
def box3d_corners(boxes, convention: str = "lidar"):
    """The 8 corners, ``(N, 8, 3)``: 0-3 the bottom face counter-clockwise seen from above
    (local (-l/2, -w/2), (+l/2, -w/2), (+l/2, +w/2), (-l/2, +w/2)), 4-7 the top face above them
    (pytorch3d's ``box3d_overlap`` order)."""
    return _b3.corners(as_array(boxes, "boxes"), _check_convention(convention))


def _calib(rotation, translation):
    if rotation is None and translation is None:
        return np.array([[0.0, -1, 0], [0, 0, -1], [1, 0, 0]]), np.zeros(3)
    r = np.eye(3) if rotation is None else np.asarray(as_array(rotation, "rotation"), dtype=np.float64)
    t = np.zeros(3) if translation is None else np.asarray(as_array(translation, "translation"), dtype=np.float64)
    return r, t


@tensor_io
def boxes3d_lidar_to_camera(boxes, rotation=None, translation=None):
    """LiDAR boxes → KITTI camera boxes (OpenPCDet ``boxes3d_lidar_to_kitti_camera``): the centre
    mapped by ``p_cam = rotation @ p + translation`` (KITTI: R0_rect · Tr_velo_to_cam), moved to the
    bottom face (y += h/2), yaw = -heading - pi/2; sizes unchanged. Without a calibration the
    axis permutation x_c = -y, y_c = -z, z_c = x is used."""
    r, t = _calib(rotation, translation)
    return _b3.convert(as_array(boxes, "boxes"), r, t, True)


@tensor_io
def boxes3d_camera_to_lidar(boxes, rotation=None, translation=None):
    """KITTI camera boxes → LiDAR boxes, the inverse of :func:`boxes3d_lidar_to_camera` (same
    ``rotation``/``translation``, LiDAR → camera)."""
    r, t = _calib(rotation, translation)
    return _b3.convert(as_array(boxes, "boxes"), r, t, False)


@tensor_io
def box3d_iou(boxes1, boxes2, convention: str = "lidar"):
    """Pairwise 3D IoU ``(N, M)`` of yaw-only boxes: the exact BEV intersection times the overlap of
    the vertical extents, over the union of the volumes (0 where the union is 0). Computed in double,
    rounded once to the input dtype. OpenPCDet's ``boxes_iou3d_gpu`` / pytorch3d's ``box3d_overlap``
    compute the same quantity in float32 (with the failures listed in docs/box3d.md)."""
    b1, b2 = as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2")
    return _b3.iou(b1, b2, _check_convention(convention), False)


@tensor_io
def box3d_iou_bev(boxes1, boxes2, convention: str = "lidar"):
    """Pairwise bird's-eye-view IoU ``(N, M)``: the rectangles (x, y, l, w, yaw) of LiDAR boxes or
    (x, z, l, w, ry) of KITTI camera boxes (OpenPCDet ``boxes_iou_bev``; KITTI eval's BEV metric)."""
    b1, b2 = as_array(boxes1, "boxes1"), as_array(boxes2, "boxes2")
    return _b3.iou(b1, b2, _check_convention(convention), True)


@tensor_io
def nms3d(boxes, scores, iou_threshold: float, convention: str = "lidar", bev: bool = False):
    """Greedy NMS of 3D boxes: indices kept (int64), by descending score (ties: lower index first;
    NaN scores last); a box is removed when its IoU with a kept box is ``> iou_threshold``, with the
    3D IoU or (``bev=True``) the BEV IoU — OpenPCDet's ``nms_normal_gpu`` / ``nms_gpu`` rule with exact
    overlaps."""
    b = as_array(boxes, "boxes")
    s = as_array(scores, "scores")
    if s.dtype != b.dtype:
        s = s.astype(b.dtype)
    return _b3.nms(b, s, float(iou_threshold), _check_convention(convention), bool(bev))


def read_kitti_label(path: _PathLike) -> dict:
    """One KITTI ``label_2`` file (ground truth or detections) as a dict: ``name`` (list of str),
    ``truncated``, ``occluded``, ``alpha``, ``bbox`` (N, 4), ``dimensions_hwl`` (N, 3, file order),
    ``location`` (N, 3), ``rotation_y``, ``score`` (0 when the file has 15 columns), and
    ``boxes_camera`` (N, 7) = (x, y, z, l, w, h, rotation_y) in the ``kitti_camera`` convention.
    Blank lines are skipped; malformed lines raise ValueError naming the file and line."""
    d = _b3.read_kitti_labels([os.fspath(path)])
    for k in ("frame_begin", "frame_has_score"):
        d.pop(k)
    hwl = d["dimensions_hwl"]
    d["boxes_camera"] = np.concatenate(
        [d["location"], hwl[:, [2, 1, 0]], d["rotation_y"][:, None]], axis=1)
    return d


def _frame_ids(label_dir: pathlib.Path, split) -> list:
    if split is None:  # OpenPCDet's rule: every NNNNNN.txt of the label directory, sorted
        prog = re.compile(r"^\d{6}\.txt$")
        return sorted(int(p.name[:6]) for p in label_dir.iterdir() if prog.match(p.name))
    if isinstance(split, (str, os.PathLike)):
        ids = []
        with open(split) as f:
            for n, line in enumerate(f, 1):
                s = line.strip()
                if not s:
                    continue
                try:
                    ids.append(int(s))
                except ValueError:
                    raise ValueError(f"{split}:{n}: '{s}' is not a frame number") from None
        return ids
    return [int(i) for i in split]


class Kitti3dResult:
    """Result of :func:`evaluate_kitti3d`.

    ``ap11``, ``ap40``: ``(4, 3, 3, 2)`` [metric bbox/bev/3d/aos][class Car/Pedestrian/Cyclist]
    [difficulty easy/moderate/hard][overlap set], percent (AOS NaN when ``compute_aos`` is False);
    ``precision``, ``recall``: ``(3, 3, 3, 2, 41)`` indexed by score threshold as in the peer;
    ``orientation``: ``(3, 3, 2, 41)``; ``num_valid_gt``: ``(3, 3)``; ``min_overlaps``: ``(2, 3, 3)``.
    ``ret_dict()`` is OpenPCDet's dict (``'Car_3d/moderate_R40'``, ...), ``summary()`` its printout.
    """

    def __init__(self, raw: dict, min_overlaps: np.ndarray, frames: int):
        self.ap11 = raw["ap11"]
        self.ap40 = raw["ap40"]
        self.precision = raw["precision"]
        self.recall = raw["recall"]
        self.orientation = raw["orientation"]
        self.num_valid_gt = raw["num_valid_gt"]
        self.compute_aos = bool(raw["compute_aos"])
        self.min_overlaps = min_overlaps
        self.frames = frames

    def ap(self, metric: str, cls: str, difficulty: str, r40: bool = True, overlap_set: int = 0) -> float:
        """One AP value, e.g. ``ap("3d", "Car", "moderate")`` (R40, overlap set 0)."""
        a = self.ap40 if r40 else self.ap11
        return float(a[_METRICS.index(metric), KITTI_CLASSES.index(cls), _DIFFICULTIES.index(difficulty), overlap_set])

    def ret_dict(self) -> dict:
        """OpenPCDet's ``ret_dict``: R40 values of overlap set 0, keys ``<Class>_<aos|3d|bev|image>/<diff>_R40``."""
        out = {}
        for c, name in enumerate(KITTI_CLASSES):
            for m, key in ((3, "aos"), (2, "3d"), (1, "bev"), (0, "image")):
                if m == 3 and not self.compute_aos:
                    continue
                for d, diff in enumerate(_DIFFICULTIES):
                    out[f"{name}_{key}/{diff}_R40"] = float(self.ap40[m, c, d, 0])
        return out

    def summary(self) -> str:
        """The table OpenPCDet's ``get_official_eval_result`` prints, character for character."""
        lines = []
        for c, name in enumerate(KITTI_CLASSES):
            for i in range(self.min_overlaps.shape[0]):
                ov = ", ".join(f"{v:.2f}" for v in self.min_overlaps[i, :, c])
                for tag, a in (("AP", self.ap11), ("AP_R40", self.ap40)):
                    lines.append(f"{name} {tag}@{ov}:")
                    for m, label in ((0, "bbox"), (1, "bev "), (2, "3d  ")):
                        lines.append(f"{label} AP:" + ", ".join(f"{a[m, c, d, i]:.4f}" for d in range(3)))
                    if self.compute_aos:
                        lines.append("aos  AP:" + ", ".join(f"{a[3, c, d, i]:.2f}" for d in range(3)))
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return (f"Kitti3dResult(frames={self.frames}, Car 3d moderate R40={self.ap('3d', 'Car', 'moderate'):.4f}, "
                f"compute_aos={self.compute_aos})")


def evaluate_kitti3d(
    label_dir: _PathLike,
    det_dir: _PathLike,
    split: Optional[Union[_PathLike, Sequence[int]]] = None,
    *,
    min_overlaps=None,
    devkit_height_rule: bool = False,
) -> Kitti3dResult:
    """KITTI 3D object evaluation of the detection files ``det_dir/NNNNNN.txt`` against
    ``label_dir/NNNNNN.txt`` for the frames of ``split`` (a file with one frame number per line,
    or a sequence of ints; default: every ``NNNNNN.txt`` of ``label_dir``, as OpenPCDet).

    Equals OpenPCDet's ``get_official_eval_result(gt, dt, ['Car', 'Pedestrian', 'Cyclist'])`` except
    that BEV/3D overlaps are exact (double precision) where the peer's float32 ``rotate_iou`` is
    wrong for some pairs; frames are matched by number (a missing detection file is an error, the
    peer silently misaligns). ``min_overlaps``: ``(2, 3, 3)`` [set][metric][class] (default
    ``KITTI_MIN_OVERLAPS``). ``devkit_height_rule=True`` ignores GT with height < 40/25/25 px as
    the C++ devkit does (the peer: <=). See docs/box3d.md.
    """
    label_dir, det_dir = pathlib.Path(label_dir), pathlib.Path(det_dir)
    for d, what in ((label_dir, "label_dir"), (det_dir, "det_dir")):
        if not d.is_dir():
            raise FileNotFoundError(f"{what}: {d} is not a directory")
    ids = _frame_ids(label_dir, split)
    mo = KITTI_MIN_OVERLAPS if min_overlaps is None else np.asarray(as_array(min_overlaps, "min_overlaps"), dtype=np.float64)
    gt = [os.fspath(label_dir / f"{i:06d}.txt") for i in ids]
    det = [os.fspath(det_dir / f"{i:06d}.txt") for i in ids]
    raw = _b3.evaluate_kitti3d(gt, det, mo, bool(devkit_height_rule))
    return Kitti3dResult(raw, np.array(mo, dtype=np.float64, copy=True), len(ids))
