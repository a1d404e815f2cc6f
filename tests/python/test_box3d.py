"""locuskit.box3d geometry: corners, LiDAR <-> KITTI camera, exact BEV/3D IoU and 3D NMS, against
the exact oracle of shared/reference/oriented/iou3d (copied to tests/data/box3d: rational /
60-digit arithmetic, plus pytorch3d / OpenPCDet / KITTI-eval outputs for contrast)."""
from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from locuskit import box3d

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "box3d"
CASES = [c for c in json.loads((DATA / "iou3d_cases.json").read_text())["cases"] if "box1_lidar" in c]
RANDOM = np.load(DATA / "iou3d_random_yaw.npz")


def _camera(b):
    """The fixture's camera boxes are OpenPCDet's (x, y, z, l, h, w, ry); locuskit's (x, y, z, l, w, h, ry)."""
    b = np.asarray(b, dtype=np.float64)
    return b[..., [0, 1, 2, 3, 5, 4, 6]]


def _close(got, exact):
    np.testing.assert_allclose(got, exact, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_iou_equals_exact_oracle(case):
    a, b = np.array([case["box1_lidar"]]), np.array([case["box2_lidar"]])
    _close(box3d.box3d_iou(a, b)[0, 0], case["exact"]["iou3d_f64"])
    _close(box3d.box3d_iou_bev(a, b)[0, 0], case["exact"]["bev_iou_f64"])
    ca, cb = _camera([case["box1_kitti_camera"]]), _camera([case["box2_kitti_camera"]])
    _close(box3d.box3d_iou(ca, cb, "kitti_camera")[0, 0], case["exact"]["iou3d_f64"])
    _close(box3d.box3d_iou_bev(cb, ca, "kitti_camera")[0, 0], case["exact"]["bev_iou_f64"])


def test_where_the_peers_fail_locuskit_does_not():
    by_id = {c["id"]: c for c in CASES}
    # OpenPCDet's 1 cm margin: a box 5 mm away overlaps in OpenPCDet, not in fact.
    c = by_id["pcdet_margin"]
    assert c["peers"]["openpcdet_iou3d_f32"] > 0
    assert box3d.box3d_iou(np.array([c["box1_lidar"]]), np.array([c["box2_lidar"]]))[0, 0] == 0.0
    # far from the origin: identical boxes are IoU 1 (OpenPCDet's BEV kernel gives 0 far away)
    c = by_id["far_from_origin"]
    assert box3d.box3d_iou(np.array([c["box1_lidar"]]), np.array([c["box2_lidar"]]))[0, 0] == 1.0


def test_random_yaw_pairs():
    a, b = RANDOM["boxes1_lidar"], RANDOM["boxes2_lidar"]
    got3d = np.diagonal(box3d.box3d_iou(a, b))
    gotbev = np.diagonal(box3d.box3d_iou_bev(a, b))
    _close(got3d, RANDOM["exact_iou3d"])
    _close(gotbev, RANDOM["exact_bev_iou"])
    # and better than every float32 peer on the same pairs
    err = np.abs(got3d - RANDOM["exact_iou3d"]).max()
    for peer in ("pytorch3d_cpu_f32", "openpcdet_iou3d_f32", "kitti_eval_d3_f32"):
        assert err < np.abs(RANDOM[peer] - RANDOM["exact_iou3d"]).max()


def test_corners_and_conversion_match_the_fixture():
    c = CASES[0]
    corners = box3d.box3d_corners(np.array([c["box1_lidar"]]))
    np.testing.assert_allclose(corners[0], c["box1_corners"], rtol=0, atol=1e-12)
    cam = box3d.boxes3d_lidar_to_camera(np.array([b["box1_lidar"] for b in CASES]))
    np.testing.assert_allclose(cam, _camera([b["box1_kitti_camera"] for b in CASES]), rtol=1e-13, atol=1e-9)
    back = box3d.boxes3d_camera_to_lidar(cam)
    np.testing.assert_allclose(back, [b["box1_lidar"] for b in CASES], rtol=1e-13, atol=1e-9)
    # camera corners are the same points as the LiDAR corners (axis permutation), same order
    cc = box3d.box3d_corners(cam, "kitti_camera")
    cl = box3d.box3d_corners(np.array([b["box1_lidar"] for b in CASES]))
    np.testing.assert_allclose(np.stack([cc[..., 2], -cc[..., 0], -cc[..., 1]], -1), cl, rtol=0, atol=1e-9)


def test_nms3d():
    boxes = np.array([[0, 0, 0, 4, 2, 1.5, 0], [1, 0, 0, 4, 2, 1.5, 0], [50, 0, 0, 4, 2, 1.5, 0],
                      [0, 0, 1.5, 4, 2, 1.5, 0]], dtype=np.float64)
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    assert box3d.nms3d(boxes, scores, 0.5).tolist() == [0, 2, 3]
    assert box3d.nms3d(boxes, scores, 0.5, bev=True).tolist() == [0, 2]
    # agrees with a brute-force greedy NMS on the pairwise IoU (random boxes)
    rng = np.random.default_rng(3)
    b = np.concatenate([rng.uniform(0, 20, (300, 3)), rng.uniform(1, 5, (300, 3)), rng.uniform(-3, 3, (300, 1))], 1)
    s = rng.random(300)
    for bev in (False, True):
        iou = (box3d.box3d_iou_bev if bev else box3d.box3d_iou)(b, b)
        keep, removed = [], np.zeros(300, bool)
        for i in np.argsort(-s, kind="stable"):
            if removed[i]:
                continue
            keep.append(i)
            removed |= iou[i] > 0.3
        assert box3d.nms3d(b, s, 0.3, bev=bev).tolist() == keep


def test_torch_in_torch_out_and_layouts():
    torch = pytest.importorskip("torch")
    a = torch.tensor([c["box1_lidar"] for c in CASES], dtype=torch.float32)
    b = torch.tensor([c["box2_lidar"] for c in CASES], dtype=torch.float32)
    r = box3d.box3d_iou(a, b)
    assert isinstance(r, torch.Tensor) and r.dtype == torch.float32 and r.shape == (len(CASES), len(CASES))
    # float32 boxes are rounded (1e-3 m at 40 km): the result is the double computation on the
    # rounded boxes, rounded once
    expected = box3d.box3d_iou(a.double().numpy(), b.double().numpy())
    np.testing.assert_array_equal(r.numpy(), expected.astype(np.float32))
    # a non-contiguous view (every other column of a wider tensor) is copied once, same result
    wide = torch.zeros(len(CASES), 14, dtype=torch.float64)
    wide[:, ::2] = a.double()
    r2 = box3d.box3d_iou(wide[:, ::2], b.double())
    np.testing.assert_array_equal(r2.numpy(), expected)
    keep = box3d.nms3d(a, torch.arange(len(CASES), dtype=torch.float32), 0.5)
    assert isinstance(keep, torch.Tensor) and keep.dtype == torch.int64


def test_errors_name_the_argument():
    good = np.zeros((2, 7))
    with pytest.raises(ValueError, match=r"boxes1: expected shape \(N, 7\)"):
        box3d.box3d_iou(np.zeros((2, 6)), good)
    with pytest.raises(ValueError, match="boxes2: row 1 is not finite"):
        box3d.box3d_iou(good, np.array([[0.0] * 7, [np.nan] * 7]))
    with pytest.raises(TypeError, match="boxes2"):
        box3d.box3d_iou(good, good.astype(np.float32))
    with pytest.raises(TypeError, match="boxes"):
        box3d.box3d_corners(np.zeros((2, 7), dtype=np.int64))
    with pytest.raises(ValueError, match="convention"):
        box3d.box3d_iou(good, good, "camera")
    with pytest.raises(ValueError, match=r"scores: expected shape \(2,\)"):
        box3d.nms3d(good, np.zeros(3), 0.5)
    with pytest.raises(ValueError, match="rotation"):
        box3d.boxes3d_lidar_to_camera(good, rotation=np.eye(2))
    assert box3d.box3d_iou(np.zeros((0, 7)), good).shape == (0, 2)
