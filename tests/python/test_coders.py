"""Box coders: live parity with torchvision 0.14 BoxCoder / BoxLinearCoder and torch ops, hand-checked
mmdet / SSD / YOLO / CenterNet formulas, encode→decode round trips."""
from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import random_boxes
from locuskit import coders as C

torch = pytest.importorskip("torch")
from torchvision.models.detection import _utils as det_utils  # noqa: E402


def anchors_and_gt(rng, n, dtype):
    a = random_boxes(rng, n, dtype=np.float64, degenerate_fraction=0.0) + 1000.0
    g = random_boxes(rng, n, dtype=np.float64, degenerate_fraction=0.0) + 1000.0
    a[:, 2:] += 0.5  # strictly positive sizes
    g[:, 2:] += 0.5
    return a.astype(dtype), g.astype(dtype)


def assert_close_ulps(ours, ref, dtype, max_ulps=4):
    # torch's vectorised exp/log may differ from the C library's by an ulp; the arithmetic order is
    # identical, so the difference stays within a few ulps of the output magnitude.
    ref = np.asarray(ref)
    tol = max_ulps * np.finfo(dtype).eps * np.maximum(np.abs(ref), 1.0)
    assert np.all(np.abs(ours.astype(np.float64) - ref.astype(np.float64)) <= tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0), (2.0, 3.0, 0.5, 7.0)])
def test_box_coder_matches_torchvision(dtype, weights):
    rng = np.random.default_rng(3)
    a, g = anchors_and_gt(rng, 5000, dtype)
    tv = det_utils.BoxCoder(weights)
    ref = tv.encode_single(torch.from_numpy(g), torch.from_numpy(a)).numpy()
    ours = C.BoxCoder(weights).encode(g, a)
    assert ours.dtype == dtype
    assert_close_ulps(ours, ref, dtype, max_ulps=8)
    deltas = (rng.normal(0, 1.5, size=(5000, 4 * 3)) * np.array(weights * 3)).astype(dtype)
    deltas[::7, 2] = 50.0  # beyond scale_clamp (upper side)
    deltas[::11, 3] = -50.0  # far below: not clamped
    ref = tv.decode_single(torch.from_numpy(deltas), torch.from_numpy(a)).numpy()
    ours = C.BoxCoder(weights).decode(deltas, a)
    assert ours.shape == (5000, 12)
    assert_close_ulps(ours, ref, dtype)


def test_box_coder_clamp_is_upper_only_and_detectron2_alias():
    a = np.array([[0, 0, 10, 20]], np.float64)
    d = np.array([[0, 0, 10.0, -10.0]])
    out = C.Box2BoxTransform().apply_deltas(d, a)
    # detectron2 apply_deltas: dw = min(dw, log(1000/16)); pred_w = exp(dw)*w; x1 = cx - 0.5*pred_w.
    w = math.exp(math.log(1000 / 16)) * 10
    h = math.exp(-10.0) * 20
    np.testing.assert_allclose(out[0], [5 - 0.5 * w, 10 - 0.5 * h, 5 + 0.5 * w, 10 + 0.5 * h], rtol=1e-14)
    g = np.array([[1, 2, 13, 22]], np.float64)
    np.testing.assert_array_equal(C.Box2BoxTransform((10, 10, 5, 5)).get_deltas(a, g),
                                  C.BoxCoder((10, 10, 5, 5)).encode(g, a))
    # SSD variances (0.1, 0.2) are weights (10, 10, 5, 5): dx = (gcx - cx) / (0.1 * w).
    ssd = C.ssd_box_coder(0.1, 0.2).encode(g, a)
    np.testing.assert_allclose(ssd[0], [(7 - 5) / (0.1 * 10), (12 - 10) / (0.1 * 20), math.log(12 / 10) / 0.2,
                                        math.log(20 / 20) / 0.2], rtol=1e-14)


@pytest.mark.parametrize("normalize", [True, False])
def test_box_linear_coder_matches_torchvision(normalize):
    rng = np.random.default_rng(5)
    a, g = anchors_and_gt(rng, 3000, np.float32)
    tv = det_utils.BoxLinearCoder(normalize)
    ref = tv.encode(torch.from_numpy(a), torch.from_numpy(g)).numpy()
    ours = C.BoxLinearCoder(normalize).encode(a, g)
    np.testing.assert_array_equal(ours, ref)
    codes = rng.normal(0, 2, size=(3000, 4)).astype(np.float32)
    np.testing.assert_array_equal(C.BoxLinearCoder(normalize).decode(codes, a),
                                  tv.decode(torch.from_numpy(codes), torch.from_numpy(a)).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trips(dtype):
    rng = np.random.default_rng(7)
    a, g = anchors_and_gt(rng, 2000, dtype)
    tol = 1e-3 if dtype == np.float32 else 1e-9
    for coder in (C.BoxCoder(), C.BoxCoder((10, 10, 5, 5)), C.ssd_box_coder()):
        np.testing.assert_allclose(coder.decode(coder.encode(g, a), a), g, atol=tol)
    mm = C.DeltaXYWHBBoxCoder((0.0, 0.0, 0.0, 0.0), (0.1, 0.1, 0.2, 0.2))
    np.testing.assert_allclose(mm.decode(a, mm.encode(a, g)), g, atol=tol)
    lin = C.BoxLinearCoder(True)
    np.testing.assert_allclose(lin.decode(lin.encode(a, g), a), g, atol=tol)
    pts = np.stack([(g[:, 0] + g[:, 2]) / 2, (g[:, 1] + g[:, 3]) / 2], axis=1).astype(dtype)
    dist = C.DistancePointBBoxCoder()
    np.testing.assert_allclose(dist.decode(pts, dist.encode(pts, g)), g, atol=tol)


def test_mmdet_delta_xywh_hand_checked():
    # mmdet bbox2delta: px = (x1+x2)*0.5, pw = x2-x1, dx = (gx-px)/pw, dw = log(gw/pw), (d - mean)/std.
    a = np.array([[0.0, 0.0, 10.0, 20.0]])
    g = np.array([[2.0, 4.0, 14.0, 20.0]])
    coder = C.DeltaXYWHBBoxCoder((0.1, 0.0, 0.0, 0.2), (0.1, 0.1, 0.2, 0.2))
    d = coder.encode(a, g)
    np.testing.assert_allclose(d[0], [((8 - 5) / 10 - 0.1) / 0.1, ((12 - 10) / 20) / 0.1, math.log(12 / 10) / 0.2,
                                      (math.log(16 / 20) - 0.2) / 0.2], rtol=1e-12)
    # delta2bbox: symmetric clamp at |log(16/1000)|, then clip to max_shape (h, w).
    big = np.array([[0.0, 0.0, 10.0, -10.0]])
    r = abs(math.log(16 / 1000))
    out = C.DeltaXYWHBBoxCoder().decode(a, big)
    w, h = 10 * math.exp(r), 20 * math.exp(-r)
    np.testing.assert_allclose(out[0], [5 - w / 2, 10 - h / 2, 5 + w / 2, 10 + h / 2], rtol=1e-12)
    clipped = C.DeltaXYWHBBoxCoder().decode(a, big, max_shape=(15, 30))
    np.testing.assert_allclose(clipped[0], [0, 10 - h / 2, 30, 10 + h / 2], rtol=1e-12)
    # add_ctr_clamp (YOLOF): centre shift clamped to ±32 px, dw clamped on the upper side only.
    yolof = C.DeltaXYWHBBoxCoder(add_ctr_clamp=True, ctr_clamp=32)
    out = yolof.decode(a, np.array([[10.0, 0.0, -10.0, 0.0]]))
    w = 10 * math.exp(-10.0)
    np.testing.assert_allclose(out[0], [5 + 32 - w / 2, 0, 5 + 32 + w / 2, 20], rtol=1e-12)


def test_distance_coder_hand_checked():
    # mmdet bbox2distance: (px - x1, py - y1, x2 - px, y2 - py) clamped to [0, max_dis - eps].
    p = np.array([[5.0, 5.0], [50.0, 5.0]])
    g = np.array([[0.0, 2.0, 30.0, 6.0], [0.0, 2.0, 30.0, 6.0]])
    d = C.DistancePointBBoxCoder().encode(p, g, max_dis=16, eps=0.1)
    np.testing.assert_allclose(d, [[5, 3, 15.9, 1], [15.9, 3, 0, 1]])
    # distance2bbox clips x to [0, W], y to [0, H].
    b = C.DistancePointBBoxCoder().decode(p, np.array([[10.0, 1, 2, 3], [1, 1, 100, 1]]), max_shape=(7, 60))
    np.testing.assert_allclose(b, [[0, 4, 7, 7], [49, 4, 60, 6]])


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("version", [3, 5])
def test_yolo_decode_formula(version):
    rng = np.random.default_rng(11)
    na, nc, h, w, stride = 3, 4, 5, 7, 16.0
    anchors = np.array([[10, 13], [16, 30], [33, 23]], np.float64)
    raw = rng.normal(0, 2, size=(2, na * (5 + nc), h, w))
    boxes, scores, obj = C.yolo_decode(raw, anchors, stride, version=version)
    # ultralytics view(bs, na, no, ny, nx).permute(0, 1, 3, 4, 2): anchor-major rows.
    t = raw.reshape(2, na, 5 + nc, h, w).transpose(0, 1, 3, 4, 2)
    gy, gx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    if version == 3:  # darknet: b = (σ(t) + c)·s, w = a·e^t
        cx = (sigmoid(t[..., 0]) + gx) * stride
        cy = (sigmoid(t[..., 1]) + gy) * stride
        bw = anchors[None, :, None, None, 0] * np.exp(t[..., 2])
        bh = anchors[None, :, None, None, 1] * np.exp(t[..., 3])
    else:  # YOLOv5 Detect: xy = (2σ + grid - 0.5)·s, wh = (2σ)²·anchor
        cx = (sigmoid(t[..., 0]) * 2 + gx - 0.5) * stride
        cy = (sigmoid(t[..., 1]) * 2 + gy - 0.5) * stride
        bw = (sigmoid(t[..., 2]) * 2) ** 2 * anchors[None, :, None, None, 0]
        bh = (sigmoid(t[..., 3]) * 2) ** 2 * anchors[None, :, None, None, 1]
    ref = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1).reshape(2, -1, 4)
    np.testing.assert_allclose(boxes, ref, rtol=1e-12, atol=1e-9)
    ref_scores = (sigmoid(t[..., 4:5]) * sigmoid(t[..., 5:])).reshape(2, -1, nc)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-12)
    np.testing.assert_allclose(obj, sigmoid(t[..., 4]).reshape(2, -1), rtol=1e-12)
    b32, s32, _ = C.yolo_decode(raw.astype(np.float32), anchors, stride, version=version)
    np.testing.assert_allclose(b32, ref, rtol=1e-5, atol=1e-3)


def test_yolov8_dfl_decode_against_torch():
    rng = np.random.default_rng(13)
    R, nc, h, w, stride = 16, 3, 4, 6, 8.0
    raw = rng.normal(0, 3, size=(2, 4 * R + nc, h, w)).astype(np.float32)
    boxes, scores = C.yolov8_decode(raw, stride, reg_max=R)
    # ultralytics DFL: softmax over the R bins of each side, then the expectation Σ i·p_i;
    # dist2bbox: (anchor ∓ lt/rb) with anchors at cell centres, times the stride.
    x = torch.from_numpy(raw)
    box = x[:, :4 * R].view(2, 4, R, h * w).softmax(2)
    dist = (box * torch.arange(R, dtype=torch.float32).view(1, 1, R, 1)).sum(2)  # (B, 4, HW)
    gy, gx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
    px, py = gx.reshape(-1), gy.reshape(-1)
    ref = torch.stack([px - dist[:, 0], py - dist[:, 1], px + dist[:, 2], py + dist[:, 3]], -1) * stride
    np.testing.assert_allclose(boxes, ref.numpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(scores, torch.sigmoid(x[:, 4 * R:]).reshape(2, nc, -1).permute(0, 2, 1).numpy(),
                               rtol=1e-6)


def test_centernet_decode_against_torch():
    rng = np.random.default_rng(17)
    B, nc, h, w = 2, 5, 12, 16
    heat = rng.random((B, nc, h, w)).astype(np.float32)
    heat[0, 1, 3:5, 3:5] = 0.999  # a plateau: every equal neighbour is kept
    wh = rng.uniform(1, 10, size=(B, 2, h, w)).astype(np.float32)
    off = rng.random((B, 2, h, w)).astype(np.float32)
    t = torch.from_numpy(heat)
    # CenterNet _nms: hmax = max_pool2d(heat, 3, stride=1, padding=1); keep = (hmax == heat).
    peaks_ref = (t * (torch.nn.functional.max_pool2d(t, 3, stride=1, padding=1) == t).float()).numpy()
    np.testing.assert_array_equal(C.centernet_peaks(heat), peaks_ref)
    assert (C.centernet_peaks(heat)[0, 1, 3:5, 3:5] == np.float32(0.999)).all()
    K = 40
    boxes, scores, classes = C.centernet_decode(heat, wh, off, k=K, down_ratio=4.0)
    for b in range(B):
        flat = torch.from_numpy(peaks_ref[b].reshape(-1))
        vals, idx = torch.topk(flat, K)
        np.testing.assert_array_equal(scores[b], vals.numpy())
        # The plateau has 4 equal values: compare the tie-free tail exactly, and as sets overall.
        idx = idx.numpy()
        cls, pix = idx // (h * w), idx % (h * w)
        ys, xs = pix // w, pix % w
        cx = xs + off[b, 0, ys, xs]
        cy = ys + off[b, 1, ys, xs]
        bw, bh = wh[b, 0, ys, xs], wh[b, 1, ys, xs]
        ref = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1) * 4
        order = np.lexsort((idx, -vals.numpy()))
        np.testing.assert_array_equal(classes[b], cls[order])
        np.testing.assert_allclose(boxes[b], ref[order], rtol=1e-6, atol=1e-5)
    # k larger than C*H*W is cut; no offsets head.
    b2, s2, c2 = C.centernet_decode(np.ascontiguousarray(heat[:, :, :2, :2]), np.ascontiguousarray(wh[:, :, :2, :2]),
                                     None, k=1000)
    assert b2.shape == (B, nc * 4, 4)


def test_bad_inputs():
    a = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="gt_boxes"):
        C.BoxCoder().encode(np.zeros((2, 4), np.float32), a)
    with pytest.raises(TypeError, match="gt_boxes"):
        C.BoxCoder().encode(np.zeros((3, 4), np.float64), a)
    with pytest.raises(ValueError, match="deltas"):
        C.BoxCoder().decode(np.zeros((3, 5), np.float32), a)
    with pytest.raises(ValueError, match="weights"):
        C.BoxCoder((0, 1, 1, 1)).decode(np.zeros((3, 4), np.float32), a)
    with pytest.raises(ValueError, match="stds"):
        C.DeltaXYWHBBoxCoder(target_stds=(1, 1, 0, 1)).encode(a, a)
    with pytest.raises(ValueError, match="stride"):
        C.yolo_decode(np.zeros((1, 18, 2, 2)), [[1, 1], [2, 2]], stride=0)
    with pytest.raises(ValueError, match="channels"):
        C.yolo_decode(np.zeros((1, 17, 2, 2)), [[1, 1], [2, 2]], stride=8)
    with pytest.raises(ValueError, match="wh"):
        C.centernet_decode(np.zeros((1, 2, 4, 4), np.float32), np.zeros((1, 2, 4, 5), np.float32))
    with pytest.raises(ValueError, match="heat"):
        C.centernet_decode(np.full((1, 1, 2, 2), np.nan, np.float32), np.zeros((1, 2, 2, 2), np.float32))
    # Non-finite anchors are caught inside the SIMD decode (both code paths, both dtypes).
    for dtype in (np.float32, np.float64):
        bad = np.tile(np.array([[0, 0, 1, 1]], dtype), (37, 1))
        bad[33, 2] = np.nan
        for k in (1, 3):
            with pytest.raises(ValueError, match="anchors"):
                C.BoxCoder().decode(np.zeros((37, 4 * k), dtype), bad)
    # Empty inputs give empty outputs of the right shape.
    assert C.BoxCoder().decode(np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)).shape == (0, 4)
    assert C.BoxCoder().encode(np.zeros((0, 4), np.float64), np.zeros((0, 4), np.float64)).shape == (0, 4)
