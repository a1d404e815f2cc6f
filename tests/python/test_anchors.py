"""Anchor generators: live parity with torchvision 0.14 (AnchorGenerator, DefaultBoxGenerator) and
hand-checked detectron2 / mmdet / YOLO / point formulas."""
from __future__ import annotations

import math

import numpy as np
import pytest

from locuskit import anchors as A

torch = pytest.importorskip("torch")
tv_anchor_utils = pytest.importorskip("torchvision.models.detection.anchor_utils")
from torchvision.models.detection.image_list import ImageList  # noqa: E402


def tv_anchors(gen, image_size, feature_shapes, dtype):
    img = torch.zeros((1, 3) + tuple(image_size), dtype=dtype)
    feats = [torch.zeros((1, 1) + tuple(s), dtype=dtype) for s in feature_shapes]
    return gen(ImageList(img, [tuple(image_size)]), feats)[0].numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_anchor_generator_matches_torchvision_random(dtype):
    rng = np.random.default_rng(1)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    for case in range(60):
        levels = int(rng.integers(1, 5))
        sizes = tuple(tuple(int(v) for v in rng.integers(1, 600, size=rng.integers(1, 4))) for _ in range(levels))
        ratios = tuple(tuple(float(v) for v in np.round(rng.uniform(0.2, 4.0, size=rng.integers(1, 4)), 3))
                       for _ in range(levels))
        image = (int(rng.integers(16, 1400)), int(rng.integers(16, 1400)))
        shapes = [(int(rng.integers(1, 60)), int(rng.integers(1, 60))) for _ in range(levels)]
        shapes = [(min(h, image[0]), min(w, image[1])) for h, w in shapes]
        ref = tv_anchors(tv_anchor_utils.AnchorGenerator(sizes, ratios), image, shapes, tdtype)
        ours = A.AnchorGenerator(sizes, ratios)(image, shapes, dtype=dtype)
        assert ours.dtype == dtype
        np.testing.assert_array_equal(ours, ref, err_msg=f"case {case}")


def test_anchor_generator_fpn_1333x800_and_rounding():
    sizes = ((32,), (64,), (128,), (256,), (512,))
    ratios = ((0.5, 1.0, 2.0),) * 5
    image = (800, 1344)
    shapes = [(100, 168), (50, 84), (25, 42), (13, 21), (7, 11)]
    ref = tv_anchors(tv_anchor_utils.AnchorGenerator(sizes, ratios), image, shapes, torch.float32)
    ours = A.AnchorGenerator(sizes, ratios)(image, shapes)
    np.testing.assert_array_equal(ours, ref)
    # Notes §4: (32, 0.5) -> [-23, -11, 23, 11] (round half to even); size 5 -> ±2 (2.5 rounds to 2).
    np.testing.assert_array_equal(A.AnchorGenerator(((32,),), ((0.5,),)).cell_anchors()[0], [[-23, -11, 23, 11]])
    np.testing.assert_array_equal(A.AnchorGenerator(((5,),), ((1.0,),)).cell_anchors()[0], [[-2, -2, 2, 2]])
    # Stride = image // grid per axis: 70x100 over 2x3 -> (35, 33).
    a = A.AnchorGenerator(((8,),), ((1.0,),))((70, 100), [(2, 3)])
    np.testing.assert_array_equal(a[:, 0] + 4, [0, 33, 66, 0, 33, 66])
    np.testing.assert_array_equal(a[:, 1] + 4, [0, 0, 0, 35, 35, 35])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", ["ssd300", "default", "single", "noclip"])
def test_default_box_generator_matches_torchvision(dtype, config):
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    if config == "ssd300":
        kw = dict(aspect_ratios=[[2], [2, 3], [2, 3], [2, 3], [2], [2]],
                  scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05], steps=[8, 16, 32, 64, 100, 300])
        image, shapes = (300, 300), [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)]
    elif config == "default":
        kw = dict(aspect_ratios=[[2, 3], [2], [2, 3]])
        image, shapes = (320, 480), [(20, 30), (10, 15), (5, 8)]
    elif config == "single":
        kw = dict(aspect_ratios=[[2]], min_ratio=0.2, max_ratio=0.95)
        image, shapes = (64, 96), [(4, 6)]
    else:
        kw = dict(aspect_ratios=[[2, 3], [2]], scales=[0.5, 0.9, 1.3], clip=False, steps=[16, 32])
        image, shapes = (200, 300), [(13, 19), (7, 10)]
    ref = tv_anchors(tv_anchor_utils.DefaultBoxGenerator(**kw), image, shapes, tdtype)
    ours = A.DefaultBoxGenerator(**kw)(image, shapes, dtype=dtype)
    assert ours.shape == ref.shape
    np.testing.assert_array_equal(ours, ref)


def test_detectron2_cell_anchors_hand_checked():
    # detectron2 generate_cell_anchors: w = sqrt(size^2 / ar), h = ar * w, [-w/2, -h/2, w/2, h/2],
    # loop "for size in sizes: for aspect_ratio in aspect_ratios" (size-major).
    gen = A.DefaultAnchorGenerator(sizes=[[32, 64]], aspect_ratios=[[0.5, 1.0, 2.0]], strides=[16], offset=0.0)
    cell = gen.cell_anchors(np.float64)[0]
    expected = []
    for s in (32, 64):
        for ar in (0.5, 1.0, 2.0):
            w = math.sqrt(s * s / ar)
            h = ar * w
            expected.append([-w / 2, -h / 2, w / 2, h / 2])
    np.testing.assert_array_equal(cell, expected)
    assert cell[0, 2] == pytest.approx(22.627416997969522)  # not rounded (torchvision gives 23)
    # Shifts (x + offset) * stride, location-major.
    gen = A.DefaultAnchorGenerator(sizes=[[32]], aspect_ratios=[[1.0]], strides=[16], offset=0.5)
    a = gen([(2, 3)], dtype=np.float64)[0]
    np.testing.assert_array_equal(a[:, 0] + 16, [8, 24, 40, 8, 24, 40])
    np.testing.assert_array_equal(a[:, 1] + 16, [8, 8, 8, 24, 24, 24])


def test_mmdet_retinanet_anchors_hand_checked():
    # RetinaNet: octave_base_scale=4, scales_per_octave=3 -> scales 4 * 2^(i/3); base_size = stride;
    # w = base * (1/sqrt(r)) * scale, centre 0 (center_offset 0); scale_major=True -> ratio-major rows.
    gen = A.MMDetAnchorGenerator(strides=[8, 16], ratios=[0.5, 1.0, 2.0], octave_base_scale=4, scales_per_octave=3)
    scales = [4 * 2 ** (i / 3) for i in range(3)]
    base = gen.base_anchors(np.float64)[0]
    assert base.shape == (9, 4)
    f = np.float32
    for r_i, r in enumerate((0.5, 1.0, 2.0)):
        for s_i, s in enumerate(scales):
            # mmdet's tensors are float32: ws = (w * w_ratios) * scales, h_ratio = sqrt(ratio).
            hr = np.sqrt(f(r))
            w = (f(8) * (f(1) / hr)) * f(s)
            h = (f(8) * hr) * f(s)
            np.testing.assert_array_equal(base[r_i * 3 + s_i], [-f(0.5) * w, -f(0.5) * h, f(0.5) * w, f(0.5) * h])
    np.testing.assert_array_equal(base[3], [-16, -16, 16, 16])  # ratio 1, scale 4, stride 8
    level1 = gen.grid_priors([(4, 5), (2, 3)], dtype=np.float64)[1]
    assert level1.shape == (2 * 3 * 9, 4)
    np.testing.assert_array_equal(level1[9 * 4 + 3], [16 - 32, 16 - 32, 16 + 32, 16 + 32])  # y=1, x=1


def test_yolo_anchors_and_points_hand_checked():
    # mmdet YOLOAnchorGenerator: centre stride/2, box centre ∓ (w, h)/2, shifted by x*stride.
    gen = A.YOLOAnchorGenerator(strides=[32], base_sizes=[[(116, 90), (156, 198), (373, 326)]])
    a = gen.grid_priors([(2, 2)])[0]
    assert a.shape == (12, 4)
    np.testing.assert_array_equal(a[0], [16 - 58, 16 - 45, 16 + 58, 16 + 45])
    np.testing.assert_array_equal(a[3 * 3 + 1], [48 - 78, 48 - 99, 48 + 78, 48 + 99])
    # MlvlPointGenerator: ((x + 0.5) * s, (y + 0.5) * s).
    p = A.MlvlPointGenerator([8, 16]).grid_priors([(2, 3), (1, 1)])
    np.testing.assert_array_equal(p[0], [[4, 4], [12, 4], [20, 4], [4, 12], [12, 12], [20, 12]])
    np.testing.assert_array_equal(p[1], [[8, 8]])
    np.testing.assert_array_equal(A.MlvlPointGenerator([8], offset=0.0).grid_priors([(1, 2)])[0], [[0, 0], [8, 0]])


def test_inside_flags():
    a = np.array([[0, 0, 10, 10], [-1, 0, 10, 10], [0, 0, 100, 50], [0, 0, 99.5, 49.5], [-5, -5, 104, 54]],
                 np.float32)
    # mmdet anchor_inside_flags: x1 >= -b, y1 >= -b, x2 < W + b, y2 < H + b.
    np.testing.assert_array_equal(A.anchor_inside_flags(a, (50, 100)), [True, False, False, True, False])
    np.testing.assert_array_equal(A.anchor_inside_flags(a, (50, 100), allowed_border=5),
                                  [True, True, True, True, True])
    np.testing.assert_array_equal(A.anchor_inside_flags(a, (50, 100), allowed_border=-1), [True] * 5)
    assert A.anchor_inside_flags(np.zeros((0, 4), np.float64), (5, 5)).shape == (0,)


def yolov5_metrics(wh, k, thr=4.0):
    # Transcription of ultralytics utils/autoanchor.py `metric` / `anchor_fitness` / `print_results`.
    r = wh[:, None] / k[None]
    x = np.minimum(r, 1 / r).min(2)
    best = x.max(1)
    bpr = (best > 1 / thr).mean()
    aat = (x > 1 / thr).sum(1).mean()
    fitness = (best * (best > 1 / thr)).mean()
    inter = np.minimum(wh[:, None, 0], k[None, :, 0]) * np.minimum(wh[:, None, 1], k[None, :, 1])
    iou = inter / (wh[:, None, 0] * wh[:, None, 1] + k[None, :, 0] * k[None, :, 1] - inter)
    return iou.max(1).mean(), bpr, aat, fitness


def test_kmeans_anchors_deterministic_and_recovers_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[10, 14], [40, 30], [120, 200]], np.float64)
    wh = np.concatenate([c * rng.uniform(0.95, 1.05, size=(300, 2)) for c in centres])
    anchors, report = A.kmeans_anchors(wh, 3, seed=7)
    anchors2, report2 = A.kmeans_anchors(wh, 3, seed=7)
    np.testing.assert_array_equal(anchors, anchors2)
    assert report == report2
    np.testing.assert_allclose(anchors, centres, rtol=0.02)  # sorted by area
    miou, bpr, aat, fitness = yolov5_metrics(wh, anchors)
    assert report["mean_iou"] == pytest.approx(miou, rel=1e-12)
    assert report["best_possible_recall"] == pytest.approx(bpr)
    assert report["anchors_above_threshold"] == pytest.approx(aat)
    assert report["fitness"] == pytest.approx(fitness, rel=1e-12)
    fit = A.anchor_fit(wh.astype(np.float32), np.array([[10, 10]], np.float32))
    assert fit["best_possible_recall"] < 1.0
    # Different seeds may pick different seeds but the clusters are well separated.
    np.testing.assert_allclose(A.kmeans_anchors(wh, 3, seed=123)[0], centres, rtol=0.02)
    a32, _ = A.kmeans_anchors(wh.astype(np.float32), 9, seed=1)
    assert a32.dtype == np.float32 and a32.shape == (9, 2)
    assert np.all(np.diff(a32[:, 0] * a32[:, 1]) >= 0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="sizes"):
        A.AnchorGenerator(((0,),), ((1.0,),))
    with pytest.raises(ValueError, match="aspect_ratios"):
        A.AnchorGenerator(((32,),), ((-1.0,),))
    with pytest.raises(ValueError, match="levels"):
        A.AnchorGenerator(((32,),), ((1.0,),))((64, 64), [(8, 8), (4, 4)])
    with pytest.raises(ValueError, match="zero-sized"):
        A.AnchorGenerator(((32,),), ((1.0,),))((64, 64), [(0, 8)])
    with pytest.raises(ValueError, match="strides"):
        A.DefaultAnchorGenerator([[32]], [[1.0]], strides=[0])([(2, 2)])
    with pytest.raises(ValueError, match="strides"):
        A.grid_anchors(np.zeros((1, 4), np.float32), (2, 2), -8)
    with pytest.raises(ValueError, match="positive"):
        A.kmeans_anchors(np.array([[1.0, 0.0], [2, 2]]), 1)
    with pytest.raises(ValueError, match="exceeds"):
        A.kmeans_anchors(np.ones((2, 2)), 3)
    with pytest.raises(TypeError):
        A.AnchorGenerator()((64, 64), [(8, 8)], dtype=np.int32)
    with pytest.raises(ValueError):
        A.YOLOAnchorGenerator([32], [[(0, 10)]]).grid_priors([(1, 1)])


def test_mmdet_ssd_anchors_hand_checked():
    # mmdet SSDAnchorGenerator, SSD300 COCO: basesize_ratio_range (0.15, 0.9), step
    # int(floor(90 - 15) / 4) = 18 -> min % 15, 33, 51, 69, 87 (+ the first level 7%-15%).
    mins, maxs = A.ssd_anchor_sizes(300, (0.15, 0.9), 6)
    assert mins == [21, 45, 99, 153, 207, 261]
    assert maxs == [45, 99, 153, 207, 261, 315]
    gen = A.SSDAnchorGenerator(strides=[8, 16, 32, 64, 100, 300], ratios=[[2], [2, 3], [2, 3], [2, 3], [2], [2]])
    assert gen.num_base_anchors == [4, 6, 6, 6, 4, 4]
    base = gen.base_anchors(np.float64)[0]
    # Rows [min, sqrt(min*max), 1/r, r], centre stride/2 = 4; w = (base*scale)*(1/sqrt(ratio)) in float32.
    c = 4.0
    s2 = math.sqrt(45 / 21)
    w1 = np.float32(21) * np.float32(s2)
    wr = np.float32(21) * (np.float32(1) / np.sqrt(np.float32(0.5)))
    hr = np.float32(21) * np.sqrt(np.float32(0.5))
    np.testing.assert_array_equal(base[0], [c - 10.5, c - 10.5, c + 10.5, c + 10.5])
    np.testing.assert_array_equal(base[1], np.float32([c - 0.5 * w1, c - 0.5 * w1, c + 0.5 * w1, c + 0.5 * w1]))
    np.testing.assert_array_equal(base[2], np.float32([c - np.float32(0.5) * wr, c - np.float32(0.5) * hr,
                                                       c + np.float32(0.5) * wr, c + np.float32(0.5) * hr]))
    assert base[3, 2] - base[3, 0] < base[3, 3] - base[3, 1]  # ratio 2: taller than wide
    levels = gen.grid_priors([(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)])
    assert sum(len(a) for a in levels) == 8732  # the SSD300 prior count
    with pytest.raises(ValueError):
        A.ssd_anchor_sizes(320, (0.15, 0.9), 6)


def test_detectron2_broadcasting():
    # detectron2 _broadcast_params: list[float] is every level's list; [[...]] is repeated.
    gen = A.DefaultAnchorGenerator(sizes=[32, 64], aspect_ratios=[0.5, 1.0], strides=[8, 16])
    assert gen.num_anchors == [4, 4]
    gen = A.DefaultAnchorGenerator(sizes=[[32], [64]], aspect_ratios=[[1.0]], strides=[8, 16])
    assert gen.num_anchors == [1, 1]
    out = gen([(2, 2), (1, 1)])
    np.testing.assert_array_equal(out[1], [[8 - 32, 8 - 32, 8 + 32, 8 + 32]])
    with pytest.raises(ValueError):
        A.DefaultAnchorGenerator(sizes=[[32], [64], [128]], aspect_ratios=[[1.0]], strides=[8, 16])


def test_ssd_min_sizes_without_max_sizes_is_a_value_error():
    # Was a TypeError from len(None) inside the constructor.
    with pytest.raises(ValueError, match="max_sizes"):
        A.SSDAnchorGenerator(strides=[8, 16, 32], ratios=[[2], [2], [2]], min_sizes=[10, 20, 30])
