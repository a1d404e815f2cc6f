"""Tracking by detection: ByteTrack and SORT on a C++ core, for a live detector or a whole sequence.

``ByteTracker`` behaves as ByteTrack's ``BYTETracker`` (``ifzhang/ByteTrack`` @ d1bf0191) and
``SortTracker`` as ``sort.Sort`` (``abewley/sort`` @ 2236dff5): ids, frames and (ByteTrack) lost
lists equal theirs frame by frame, boxes agree to rounding (~1e-12 px; see docs/track.md).

Streaming::

    tracker = locuskit.track.ByteTracker(track_thresh=0.5)
    for dets in detector:                      # (N, 5) x1, y1, x2, y2, score
        tracks = tracker.update(dets)          # (M, 6) x1, y1, x2, y2, track_id, score

NumPy in gives NumPy out, a torch tensor in gives a tensor out (float64, CPU). Inputs of any layout
are accepted (non-contiguous ones are copied once); float16 is computed in float32.
"""
from __future__ import annotations


import numpy as np

from . import _core
from ._arrays import Array, as_array, tensor_io

__all__ = [
    "ByteTracker",
    "SortTracker",
    "track_detections",
    "track_file",
    "bytetrack_output_filter",
    "TRACK_COLUMNS",
    "RUN_COLUMNS",
]

#: Columns of ``update``'s result.
TRACK_COLUMNS = ("x1", "y1", "x2", "y2", "track_id", "score")
#: Columns of ``run``'s result.
RUN_COLUMNS = ("frame", "track_id", "x1", "y1", "x2", "y2", "score")

_METRICS = ("iou", "giou")


def _dets(detections, name: str = "detections") -> np.ndarray:
    a = as_array(detections, name)
    if a.ndim == 2 and a.shape[0] == 0 and a.shape[1] in (0, 5):
        return np.empty((0, 5), dtype=np.float64)  # "no detections" may come as any empty array
    if a.dtype.kind in "iub":
        raise TypeError(f"{name}: dtype {a.dtype} is not supported; use float32 or float64")
    return a


def _make_tracker(tracker: str, params: dict):
    if tracker == "bytetrack":
        return ByteTracker(**params)
    if tracker == "sort":
        return SortTracker(**params)
    raise ValueError(f"tracker: expected 'bytetrack' or 'sort', got {tracker!r}")


class _Tracker:
    _impl = None

    @tensor_io
    def update(self, detections: Array) -> Array:
        """One frame: ``detections`` (N, 5) rows ``(x1, y1, x2, y2, score)``, float32 or float64;
        pass an empty (0, 5) array for a frame without detections (every frame must be passed).
        Returns (M, 6) float64 rows ``(x1, y1, x2, y2, track_id, score)`` (:data:`TRACK_COLUMNS`).
        ValueError for a negative width/height, a non-finite coordinate or a NaN score (naming the
        row)."""
        return self._impl.update(_dets(detections))

    @tensor_io
    def run(self, frames: Array, detections: Array, num_frames: int | None = None) -> Array:
        """A whole sequence from a fresh state: ``frames`` (N,) integer frame numbers >= 1,
        non-decreasing; ``detections`` (N, 5) as in :meth:`update`. Updates once per frame
        1..``num_frames`` (default: the last frame), also for frames without detections, and
        returns (K, 7) float64 rows ``(frame, track_id, x1, y1, x2, y2, score)``
        (:data:`RUN_COLUMNS`). ValueError naming the row for frames out of order."""
        f = as_array(frames, "frames")
        if f.dtype.kind not in "iu":
            raise TypeError(f"frames: dtype {f.dtype} is not supported; use an integer dtype")
        f = np.ascontiguousarray(f, dtype=np.int64)
        self.reset()
        return self._impl.run(f, _dets(detections), int(num_frames or 0))

    def reset(self) -> None:
        """Forgets every track; ids restart at 1."""
        self._impl.reset()


class ByteTracker(_Tracker):
    """ByteTrack (two-stage association of high- and low-score detections).

    Parameters are ``BYTETracker``'s (defaults: ``tools/demo_track.py``; ByteTrack's MOT17
    evaluation uses ``track_thresh=0.6, match_thresh=0.9``): detections scoring above
    ``track_thresh`` are associated first (cost ``1 - IoU * score``, or ``1 - IoU`` with
    ``mot20=True``, pairs taken only below ``match_thresh``), then those in
    (``low_thresh``, ``track_thresh``) with the remaining tracked tracks (cost limit
    ``second_match_thresh``); new tracks need ``score >= track_thresh + new_track_offset``
    and a second hit (except on frame 1); lost tracks are kept ``int(frame_rate / 30 *
    track_buffer)`` frames. IoU uses ByteTrack's +1 pixel convention; ``metric="giou"`` uses
    GIoU instead (torchvision's, no +1; not a ByteTrack option). Not thread-safe.
    """

    def __init__(self, track_thresh: float = 0.5, track_buffer: int = 30, match_thresh: float = 0.8,
                 mot20: bool = False, frame_rate: float = 30, *, low_thresh: float = 0.1,
                 second_match_thresh: float = 0.5, unconfirmed_match_thresh: float = 0.7,
                 new_track_offset: float = 0.1, duplicate_distance: float = 0.15, metric: str = "iou"):
        if metric not in _METRICS:
            raise ValueError(f"metric: expected one of {_METRICS}, got {metric!r}")
        self._impl = _core.track.ByteTracker(
            float(track_thresh), int(track_buffer), float(match_thresh), bool(mot20), float(frame_rate),
            float(low_thresh), float(second_match_thresh), float(unconfirmed_match_thresh),
            float(new_track_offset), float(duplicate_distance), metric)

    @property
    def lost_ids(self) -> np.ndarray:
        """Ids of the lost tracks (int64), in ByteTrack's ``lost_stracks`` order."""
        return self._impl.lost_ids()

    @property
    def frame_id(self) -> int:
        """Frames seen since the last reset."""
        return self._impl.frame_id


class SortTracker(_Tracker):
    """SORT: Kalman filter in (cx, cy, area, aspect), IoU association, a track reported after
    ``min_hits`` consecutive hits (or in the first ``min_hits`` frames), removed after ``max_age``
    frames without a detection. Results in sort.py's order (newest track first); ``score`` is the
    score of the track's last detection (sort.py reports none). ``metric="giou"`` thresholds GIoU
    instead of IoU. Not thread-safe."""

    def __init__(self, max_age: int = 1, min_hits: int = 3, iou_threshold: float = 0.3, *, metric: str = "iou"):
        if metric not in _METRICS:
            raise ValueError(f"metric: expected one of {_METRICS}, got {metric!r}")
        self._impl = _core.track.SortTracker(int(max_age), int(min_hits), float(iou_threshold), metric)

    @property
    def frame_count(self) -> int:
        """Frames seen since the last reset."""
        return self._impl.frame_count


def bytetrack_output_filter(tracks: Array, min_box_area: float = 10.0, aspect_ratio_thresh: float = 1.6,
                            box_columns: int = 0) -> Array:
    """The filter ByteTrack's demo and MOT evaluator apply to what they write: keep rows with
    ``w * h > min_box_area`` and ``w / h <= aspect_ratio_thresh`` (boxes xyxy starting at column
    ``box_columns``: 0 for :meth:`ByteTracker.update` rows, 2 for :meth:`ByteTracker.run` rows)."""
    is_torch = not isinstance(tracks, np.ndarray) and hasattr(tracks, "numpy")
    t = np.asarray(as_array(tracks, "tracks"))
    b = t[:, box_columns:box_columns + 4]
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = (w * h > min_box_area) & ~(w / h > aspect_ratio_thresh)
    out = np.ascontiguousarray(t[keep])
    if is_torch:
        import torch

        return torch.from_numpy(out)
    return out


def track_detections(rows: Array, tracker: str = "bytetrack", num_frames: int | None = None,
                     **params) -> np.ndarray:
    """Tracks a MOTChallenge detection sequence: ``rows`` (N, >= 7) ``frame, id, x, y, w, h, score,
    ...`` (MOTChallenge det format, rows grouped by frame). ``tracker``: ``"bytetrack"`` or
    ``"sort"``; ``params`` go to its constructor. Returns (K, 7) float64 rows
    ``(frame, track_id, x, y, w, h, score)`` — MOTChallenge result columns (tlwh)."""
    a = np.asarray(as_array(rows, "rows"), dtype=np.float64)
    if a.ndim != 2 or (a.shape[0] and a.shape[1] < 7):
        raise ValueError(f"rows: expected shape (N, >= 7) (frame, id, x, y, w, h, score, ...), got {a.shape}")
    t = _make_tracker(tracker, params)
    if a.shape[0] == 0:
        return np.empty((0, 7))
    frame = a[:, 0]
    bad = np.flatnonzero(~np.isfinite(frame) | (frame != np.floor(frame)))
    if bad.size:
        raise ValueError(f"rows: row {bad[0]} has frame {frame[bad[0]]!r} (not an integer)")
    dets = np.empty((a.shape[0], 5))
    dets[:, 0:2] = a[:, 2:4]
    dets[:, 2:4] = a[:, 2:4] + a[:, 4:6]
    dets[:, 4] = a[:, 6]
    bad = np.flatnonzero((a[:, 4] < 0) | (a[:, 5] < 0))
    if bad.size:
        raise ValueError(f"rows: row {bad[0]} has a negative width or height")
    out = t.run(frame.astype(np.int64), dets, num_frames)
    res = out.copy()
    res[:, 4:6] = out[:, 4:6] - out[:, 2:4]
    return res


def track_file(detections_path, output_path=None, tracker: str = "bytetrack", num_frames: int | None = None, *,
               min_box_area: float | None = None, aspect_ratio_thresh: float | None = None,
               decimals: int | None = None, **params) -> np.ndarray:
    """Tracks a MOTChallenge detection file (``frame,-1,x,y,w,h,score,...``, rows grouped by
    increasing frame) and returns (K, 7) float64 rows ``(frame, track_id, x, y, w, h, score)``;
    with ``output_path`` ("-": standard output) also writes them as MOTChallenge results
    (``frame,id,x,y,w,h,score,-1,-1,-1``). ``tracker``: ``"bytetrack"`` or ``"sort"``; ``params``
    go to its constructor. Optional output filter and rounding as ByteTrack's evaluator:
    ``w * h > min_box_area``, ``w / h <= aspect_ratio_thresh``, boxes ``np.round(v, decimals)`` and
    scores ``round(s, 2)`` (as ByteTrack's writer rounds them: its boxes are numpy floats). Malformed rows, NaN/Inf, negative sizes and frames out of order raise
    ValueError naming the file and line."""
    t = _make_tracker(tracker, params)
    rows = _core.track.track_file(t._impl, str(detections_path), int(num_frames or 0))
    if min_box_area is not None or aspect_ratio_thresh is not None:
        w, h = rows[:, 4], rows[:, 5]
        keep = np.ones(len(rows), dtype=bool)
        if min_box_area is not None:
            keep &= w * h > float(min_box_area)
        if aspect_ratio_thresh is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                keep &= ~(w / h > float(aspect_ratio_thresh))
        rows = np.ascontiguousarray(rows[keep])
    if decimals is not None:
        # ByteTrack's writer calls round() on its boxes, numpy float64 values, i.e. np.round (scale,
        # round half to even, unscale: 764.85 -> 764.8, where Python's round gives 764.9); its
        # scores reach it as Python floats (correctly rounded round()). Both as in the reference file.
        rows[:, 2:6] = np.round(rows[:, 2:6], int(decimals))
        rows[:, 6] = [round(v, 2) for v in rows[:, 6].tolist()]
    if output_path is not None:
        text = _core.track.format_results(rows)
        if str(output_path) == "-":
            import sys

            sys.stdout.write(text)
        else:
            with open(output_path, "w", encoding="ascii") as f:
                f.write(text)
    return rows
