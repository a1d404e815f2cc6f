"""ByteTrack / SORT parity with the reference trackers' frame-by-frame outputs
(shared/reference/tracking/tracker_behaviour; a lean copy of SYN-01 in tests/data/track)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import locuskit
from locuskit import track
from conftest import DATA, SHARED_REFERENCE

BEHAVIOUR = SHARED_REFERENCE / "tracking" / "tracker_behaviour"
LEAN = DATA / "track"
BOX_TOL = 1e-6  # px; the reference's Kalman filter goes through BLAS/LAPACK (see the reference README)

BYTETRACK_CONFIGS = {
    "mot17_eval": dict(track_thresh=0.6, track_buffer=30, match_thresh=0.9, mot20=False, frame_rate=30),
    "demo": dict(track_thresh=0.5, track_buffer=30, match_thresh=0.8, mot20=False, frame_rate=30),
    "mot20_fr15": dict(track_thresh=0.6, track_buffer=30, match_thresh=0.9, mot20=True, frame_rate=15),
}
SORT_CONFIGS = {
    "default": dict(max_age=1, min_hits=3, iou_threshold=0.3),
    "age5_hits1": dict(max_age=5, min_hits=1, iou_threshold=0.3),
}


def load_dets(path):
    """MOT det rows -> {frame: (N, 5) x1, y1, x2, y2, score} as the reference fed them."""
    a = np.loadtxt(path, delimiter=",", ndmin=2)
    out = {}
    for f in np.unique(a[:, 0]).astype(int):
        r = a[a[:, 0] == f]
        out[f] = np.column_stack([r[:, 2], r[:, 3], r[:, 2] + r[:, 4], r[:, 3] + r[:, 5], r[:, 6]])
    return out


def make(kind, cfg):
    return track.ByteTracker(**BYTETRACK_CONFIGS[cfg]) if kind == "bytetrack" else track.SortTracker(**SORT_CONFIGS[cfg])


def stream(tracker, dets, num_frames):
    """Every frame 1..num_frames through update(): rows (frame, id, x1, y1, x2, y2) and lost ids."""
    rows, lost = [], {}
    for f in range(1, num_frames + 1):
        out = tracker.update(dets.get(f, np.empty((0, 5))))
        rows += [[f, t[4], *t[:4]] for t in out]
        if isinstance(tracker, track.ByteTracker):
            lost[f] = sorted(tracker.lost_ids.tolist())
    return np.array(rows).reshape(-1, 6), lost


def assert_same_tracks(mine, ref):
    assert mine.shape == ref.shape
    np.testing.assert_array_equal(mine[:, :2], ref[:, :2])  # frames and ids, in the reference's order
    np.testing.assert_allclose(mine[:, 2:], ref[:, 2:], rtol=0, atol=BOX_TOL)


@pytest.mark.parametrize("kind,cfg", [("bytetrack", "mot17_eval"), ("sort", "default"), ("sort", "age5_hits1")])
def test_lean_fixture_frame_by_frame(kind, cfg):
    ref = np.load(LEAN / "reference_SYN-01.npz")
    n = int(ref[f"{kind}_{cfg}_num_frames"])
    mine, lost = stream(make(kind, cfg), load_dets(LEAN / "SYN-01.det.txt"), n)
    assert_same_tracks(mine, ref[f"{kind}_{cfg}_rows"])
    if kind == "bytetrack":
        ref_lost = {f: [] for f in range(1, n + 1)}
        for f, i in ref[f"{kind}_{cfg}_lost"]:
            ref_lost[int(f)].append(int(i))
        assert lost == {f: sorted(v) for f, v in ref_lost.items()}


def _full_cases():
    cases = [("bytetrack", c) for c in BYTETRACK_CONFIGS] + [("sort", c) for c in SORT_CONFIGS]
    return [(k, c, s) for k, c in cases for s in ("SYN-01", "SYN-02", "SYN-03")]


@pytest.mark.parametrize("kind,cfg,seq", _full_cases())
def test_reference_frame_by_frame(kind, cfg, seq):
    path = BEHAVIOUR / kind / cfg / f"{seq}.frames.json"
    if not path.exists():
        pytest.skip(f"{path} absent (../shared/reference not beside the checkout)")
    ref = json.loads(path.read_text())
    rows, lost = [], {}
    for fr in ref["frames"]:
        for t in fr["tracks"]:
            if kind == "bytetrack":
                x, y, w, h = t["tlwh"]
                box = [x, y, x + w, y + h]
            else:
                box = t["tlbr"]
            rows.append([fr["frame"], t["id"], *box])
        lost[fr["frame"]] = sorted(fr.get("lost_ids", []))
    mine, my_lost = stream(make(kind, cfg), load_dets(BEHAVIOUR / "input" / "detections" / f"{seq}.txt"),
                           len(ref["frames"]))
    assert_same_tracks(mine, np.array(rows).reshape(-1, 6))
    if kind == "bytetrack":
        assert my_lost == lost


@pytest.mark.parametrize("kind,cfg", [("bytetrack", "demo"), ("sort", "default")])
def test_run_equals_streaming(kind, cfg):
    a = np.loadtxt(LEAN / "SYN-01.det.txt", delimiter=",")
    dets = np.column_stack([a[:, 2], a[:, 3], a[:, 2] + a[:, 4], a[:, 3] + a[:, 5], a[:, 6]])
    frames = a[:, 0].astype(np.int64)
    t = make(kind, cfg)
    ran = t.run(frames, dets, 185)
    t.reset()
    streamed, _ = stream(t, load_dets(LEAN / "SYN-01.det.txt"), 185)
    np.testing.assert_array_equal(ran[:, :2], streamed[:, :2])
    np.testing.assert_array_equal(ran[:, 2:6], streamed[:, 2:])
    # run() always starts fresh: a second call gives the same rows.
    np.testing.assert_array_equal(t.run(frames, dets, 185), ran)


def test_bytetrack_evaluator_output_file():
    """bytetrack_output_filter + ByteTrack's rounding reproduce the file its evaluator wrote."""
    out = track.track_detections(np.loadtxt(LEAN / "SYN-01.det.txt", delimiter=","), "bytetrack",
                                 num_frames=180, **BYTETRACK_CONFIGS["mot17_eval"])
    xyxy = out.copy()
    xyxy[:, 4:6] += xyxy[:, 2:4]
    kept = track.bytetrack_output_filter(xyxy, min_box_area=100, aspect_ratio_thresh=1.6, box_columns=2)
    ref = np.loadtxt(LEAN / "bytetrack_mot17_eval_SYN-01.txt", delimiter=",")
    assert len(kept) == len(ref)
    np.testing.assert_array_equal(kept[:, :2], ref[:, :2])
    tlwh = kept[:, 2:6].copy()
    tlwh[:, 2:] -= tlwh[:, :2]
    np.testing.assert_allclose(tlwh, ref[:, 2:6], atol=0.05 + 1e-9)  # the file holds round(v, 1)
    np.testing.assert_array_equal([round(v, 2) for v in kept[:, 6].tolist()], ref[:, 6])  # scores: Python round


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    d = np.array([[10, 10, 50, 110, 0.9], [200, 10, 240, 110, 0.8]])
    out = track.ByteTracker().update(torch.from_numpy(d))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    assert out[:, 4].tolist() == [1.0, 2.0]
    out = track.SortTracker().update(torch.from_numpy(d.astype(np.float32)))
    assert isinstance(out, torch.Tensor) and out[:, 4].tolist() == [2.0, 1.0]


def test_layouts_and_dtypes():
    d = np.array([[10, 10, 50, 110, 0.9], [200, 10, 240, 110, 0.8]])
    ref = track.ByteTracker().update(d)
    np.testing.assert_array_equal(track.ByteTracker().update(np.asfortranarray(d)), ref)
    f32 = track.ByteTracker().update(d.astype(np.float32))
    np.testing.assert_allclose(f32, ref, atol=1e-4)
    assert track.ByteTracker().update(np.empty((0, 5))).shape == (0, 6)
    assert track.SortTracker().update(np.empty((0, 0))).shape == (0, 6)


def test_bad_input():
    t = track.ByteTracker()
    with pytest.raises(ValueError, match="row 1 has a negative width"):
        t.update(np.array([[0, 0, 10, 10, 0.9], [10, 10, 5, 20, 0.9]]))
    with pytest.raises(ValueError, match="row 0 has a NaN score"):
        t.update(np.array([[0, 0, 10, 10, np.nan]]))
    with pytest.raises(ValueError, match="non-finite"):
        track.SortTracker().update(np.array([[0, 0, np.inf, 10, 0.5]]))
    with pytest.raises(ValueError, match=r"\(N, 5\)"):
        t.update(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="detections"):
        t.update(np.zeros((3, 5), dtype=np.int32))
    with pytest.raises(ValueError, match="row 2 has frame 1 after frame 2 .frames out of order"):
        t.run(np.array([1, 2, 1]), np.array([[0, 0, 10, 10, 0.9]] * 3))
    with pytest.raises(ValueError, match="frames start at 1"):
        t.run(np.array([0]), np.array([[0, 0, 10, 10, 0.9]]))
    with pytest.raises(ValueError, match="beyond num_frames"):
        t.run(np.array([5]), np.array([[0, 0, 10, 10, 0.9]]), num_frames=3)
    with pytest.raises(ValueError, match="metric"):
        track.SortTracker(metric="l2")
    with pytest.raises(ValueError, match="frame_rate"):
        track.ByteTracker(frame_rate=0)


def test_giou_association_follows_a_box_that_no_longer_overlaps():
    """GIoU (a locuskit option) still scores boxes that do not overlap: an object jumping past its
    predicted box keeps its id with metric="giou" (threshold -0.3), gets a new one with IoU."""
    first = np.array([[0, 0, 40, 100, 0.9]])
    jumped = np.array([[50, 0, 90, 100, 0.9]])  # 10 px gap: IoU 0, GIoU -1000/9000
    for metric, threshold, expected in [("iou", 0.3, []), ("giou", -0.3, [1.0])]:
        t = track.SortTracker(min_hits=1, iou_threshold=threshold, metric=metric)
        t.update(first)
        assert t.update(jumped)[:, 4].tolist() == expected  # IoU: a new, unconfirmed track
    assert locuskit.track is track
