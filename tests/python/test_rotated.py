"""Rotated boxes: IoU parity with the exact oracle and detectron2 (fixtures in
../shared/reference/oriented/rotated_iou, a copy of the pairs in tests/data/rotated), conventions,
tensor_io behaviour and argument checks."""
from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import locuskit
from locuskit import rotated

from conftest import DATA, SHARED_REFERENCE

RANDOM_NPZ = SHARED_REFERENCE / "oriented" / "rotated_iou" / "random.npz"


def _pairs():
    rows = []
    with open(DATA / "rotated" / "iou_pairs.csv") as f:
        for r in csv.reader(row for row in f if not row.startswith("#")):
            rows.append((r[0], [float(x) for x in r[1:6]], [float(x) for x in r[6:11]], float(r[11]), float(r[12])))
    return rows


def test_pairs_equal_exact_oracle_float64():
    rows = _pairs()
    a = np.array([r[1] for r in rows])
    b = np.array([r[2] for r in rows])
    exact = np.array([r[3] for r in rows])
    got = rotated.box_iou_rotated_aligned(a, b)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, exact, rtol=1e-12, atol=1e-15)
    assert (got <= 1).all()


def test_pairs_detectron2_mode_bitwise_float32():
    rows = _pairs()
    a = np.array([r[1] for r in rows], np.float32)
    b = np.array([r[2] for r in rows], np.float32)
    want = np.array([r[4] for r in rows], np.float32)
    got = rotated.box_iou_rotated_aligned(a, b, arithmetic="detectron2")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@pytest.mark.skipif(not RANDOM_NPZ.exists(), reason="needs ../shared/reference/oriented (random.npz)")
def test_pairwise_48x48_against_exact_and_detectron2():
    z = np.load(RANDOM_NPZ)
    b1, b2 = z["pairwise_boxes1"], z["pairwise_boxes2"]
    np.testing.assert_allclose(locuskit.ops.box_iou_rotated(b1, b2), z["pairwise_exact_iou"], rtol=1e-12, atol=1e-15)
    d2 = rotated.box_iou_rotated(b1.astype(np.float32), b2.astype(np.float32), arithmetic="detectron2")
    np.testing.assert_array_equal(d2, z["pairwise_detectron2_cpu_f32"])
    # mmcv iof (float32, its own clipping): close to our exact IoF
    iof = rotated.box_iof_rotated(b1, b2)
    np.testing.assert_allclose(iof, z["pairwise_mmcv_cpu_f32_iof"], atol=2e-6)


def test_conventions_are_the_same_boxes():
    rng = np.random.default_rng(3)
    n = 50
    b = np.column_stack([rng.uniform(0, 50, (n, 2)), rng.uniform(1, 20, (n, 2)), rng.uniform(-180, 180, n)])
    c = b[::-1].copy()
    ref = rotated.box_iou_rotated(b, c)  # detectron2 degrees, CCW
    mm = lambda x: np.column_stack([x[:, :4], -np.deg2rad(x[:, 4])])  # noqa: E731
    np.testing.assert_allclose(rotated.box_iou_rotated(mm(b), mm(c), convention="le90"), ref, atol=1e-13)
    ccw = lambda x: np.column_stack([x[:, :4], np.deg2rad(x[:, 4])])  # noqa: E731
    np.testing.assert_allclose(rotated.box_iou_rotated(ccw(b), ccw(c), convention="radians_ccw"), ref, atol=1e-13)
    cv = lambda x: np.column_stack([x[:, :4], -x[:, 4]])  # noqa: E731
    np.testing.assert_array_equal(rotated.box_iou_rotated(cv(b), cv(c), convention="opencv"), ref)
    # corners: the same points whatever the spelling
    np.testing.assert_allclose(rotated.rotated_boxes_to_polygons(mm(b), convention="mmrotate"),
                               rotated.rotated_boxes_to_polygons(b), atol=1e-12)


def test_polygons_round_trip_through_polygon_iou():
    rng = np.random.default_rng(5)
    b = np.column_stack([rng.uniform(0, 30, (20, 2)), rng.uniform(1, 10, (20, 2)), rng.uniform(-90, 90, 20)])
    c = b + rng.normal(0, 1, b.shape)
    c[:, 2:4] = np.abs(c[:, 2:4]) + 0.5
    p, q = rotated.rotated_boxes_to_polygons(b), rotated.rotated_boxes_to_polygons(c)
    np.testing.assert_allclose(rotated.polygon_iou(p, q), rotated.box_iou_rotated(b, c), atol=1e-12)


def test_torch_in_torch_out_and_layouts():
    torch = pytest.importorskip("torch")
    rows = _pairs()
    a = torch.tensor([r[1] for r in rows], dtype=torch.float64)
    b = torch.tensor([r[2] for r in rows], dtype=torch.float64)
    full = locuskit.box_iou_rotated(a, b)
    assert isinstance(full, torch.Tensor) and full.shape == (len(rows), len(rows))
    # a non-contiguous view (transposed storage) gives the same numbers
    at = a.t().contiguous().t()
    assert not at.is_contiguous()
    assert torch.equal(locuskit.box_iou_rotated(at, b), full)
    assert torch.equal(rotated.box_iou_rotated_aligned(a, b), torch.diagonal(full))


def test_argument_errors_name_the_argument():
    ok = np.zeros((2, 5))
    ok[:, 2:4] = 1
    with pytest.raises(ValueError, match="boxes1"):
        rotated.box_iou_rotated(np.zeros((2, 4)), ok)
    with pytest.raises(TypeError, match="boxes2"):
        rotated.box_iou_rotated(ok, ok.astype(np.float32))
    bad = ok.copy()
    bad[1, 4] = np.nan
    with pytest.raises(ValueError, match="boxes2"):
        rotated.box_iou_rotated(ok, bad)
    with pytest.raises(ValueError, match="convention"):
        rotated.box_iou_rotated(ok, ok, convention="deg")
    with pytest.raises(ValueError, match="arithmetic"):
        rotated.box_iou_rotated(ok, ok, convention="le90", arithmetic="detectron2")
    with pytest.raises(ValueError, match="aligned"):
        rotated.box_iou_rotated_aligned(ok, ok[:1])
    assert rotated.box_iou_rotated(np.zeros((0, 5)), ok).shape == (0, 2)


def test_degenerate_and_threads():
    z = np.array([[0, 0, 0, 10, 0.0]])
    assert rotated.box_iou_rotated(z, z)[0, 0] == 0
    assert math.isnan(rotated.box_iou_rotated(z, z, degenerate="nan")[0, 0])
    rng = np.random.default_rng(7)
    b = np.column_stack([rng.uniform(0, 50, (300, 2)), rng.uniform(1, 20, (300, 2)), rng.uniform(-180, 180, 300)])
    prev = locuskit.get_num_threads()
    try:
        locuskit.set_num_threads(1)
        one = rotated.box_iou_rotated(b, b)
        locuskit.set_num_threads(3)
        np.testing.assert_array_equal(rotated.box_iou_rotated(b, b), one)
    finally:
        locuskit.set_num_threads(prev)


def test_detectron2_rotated_anchors_layout():
    gen = rotated.RotatedAnchorGenerator(sizes=[[32, 64]], aspect_ratios=[[0.5, 1.0, 2.0]],
                                         angles=[[-90, -60, -30, 0, 30, 60]], strides=[8, 16], offset=0.5)
    assert gen.num_anchors == [36, 36]
    levels = gen([(3, 5), (2, 2)])
    assert [a.shape for a in levels] == [(3 * 5 * 36, 5), (2 * 2 * 36, 5)]
    a = levels[0].reshape(3, 5, 36, 5)
    assert a.dtype == np.float32
    # centres: (x + 0.5)·stride, (y + 0.5)·stride; cells: size-major, ratio, angle
    np.testing.assert_array_equal(a[2, 4, :, 0], np.float32(4.5 * 8))
    np.testing.assert_array_equal(a[2, 4, :, 1], np.float32(2.5 * 8))
    cell = a[0, 0]
    np.testing.assert_array_equal(cell[:6, 4], [-90, -60, -30, 0, 30, 60])
    np.testing.assert_allclose(cell[:, 2] * cell[:, 3], np.repeat([32.0 ** 2, 64.0 ** 2], 18), rtol=1e-6)
    np.testing.assert_allclose(cell[::6, 3] / cell[::6, 2], [0.5, 1, 2, 0.5, 1, 2], rtol=1e-6)
    with pytest.raises(ValueError, match="levels"):
        gen([(3, 5)])


def test_mmrotate_anchors_are_the_horizontal_anchors():
    from locuskit.anchors import MMDetAnchorGenerator

    kw = dict(strides=[8, 16], ratios=[0.5, 1.0, 2.0], octave_base_scale=4, scales_per_octave=3)
    rot = rotated.MMRotateAnchorGenerator(**kw).grid_priors([(4, 6), (2, 3)])
    hor = MMDetAnchorGenerator(**kw).grid_priors([(4, 6), (2, 3)])
    for r, h in zip(rot, hor):
        assert r.shape == (len(h), 5) and (r[:, 4] == 0).all()
        # the rotated box at angle 0 has exactly the horizontal box's corners (up to rounding)
        poly = rotated.rotated_boxes_to_polygons(r.astype(np.float64), convention="le90")
        np.testing.assert_allclose(poly[:, [4, 5, 0, 1]], h, atol=1e-4)


@pytest.mark.skipif(not RANDOM_NPZ.exists(), reason="needs ../shared/reference/oriented")
def test_detectron2_mode_float64_equals_its_double_template():
    """detectron2's template instantiated for double (what its nms_rotated runs on float64 boxes)."""
    import json

    cases = json.loads((RANDOM_NPZ.parent / "cases.json").read_text())["cases"]
    a = np.array([c["box1"] for c in cases])
    b = np.array([c["box2"] for c in cases])
    want = np.array([float(c["peers"]["detectron2_template_f64"]) for c in cases])
    got = rotated.box_iou_rotated_aligned(a, b, arithmetic="detectron2")
    np.testing.assert_array_equal(got, want)
    z = np.load(RANDOM_NPZ)
    np.testing.assert_array_equal(rotated.box_iou_rotated_aligned(z["aligned_boxes1"], z["aligned_boxes2"],
                                                                  arithmetic="detectron2"),
                                  z["aligned_detectron2_template_f64"])


@pytest.mark.parametrize("convention", ["detectron2", "le90", "opencv", "radians_ccw"])
def test_polygons_to_rotated_boxes_round_trip(convention):
    rng = np.random.default_rng(11)
    n = 200
    deg = convention in ("detectron2", "opencv")
    span = 180.0 if deg else np.pi
    b = np.column_stack([rng.uniform(-50, 50, (n, 2)), rng.uniform(0.5, 40, (n, 2)),
                         rng.uniform(-2 * span, 2 * span, n)])
    poly = rotated.rotated_boxes_to_polygons(b, convention=convention)
    back = rotated.polygons_to_rotated_boxes(poly, convention=convention)
    # the same rectangle (IoU 1), angle in the half-open range
    np.testing.assert_allclose(rotated.box_iou_rotated_aligned(b, back, convention=convention), 1.0, atol=1e-9)
    assert (back[:, 4] >= -span / 2).all() and (back[:, 4] < span / 2).all()
    np.testing.assert_allclose(back[:, 2] * back[:, 3], b[:, 2] * b[:, 3], rtol=1e-9)
    # a DOTA-like jittered quadrilateral: the rectangle contains it and is not larger than its box
    q = poly + rng.uniform(-0.3, 0.3, poly.shape)
    r = rotated.polygons_to_rotated_boxes(q, convention=convention)
    inter = rotated.polygon_iou(q, rotated.rotated_boxes_to_polygons(r, convention=convention))
    area_q = np.diag(inter)  # iou(q, rect) = area(q) / area(rect) when rect contains q
    assert (area_q > 0.5).all()
    with pytest.raises(ValueError, match="polygons"):
        rotated.polygons_to_rotated_boxes(np.zeros((2, 6)))
