"""GIoU / DIoU / CIoU / IoA, pairwise and aligned: parity with torchvision on randomized boxes."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
from conftest import random_boxes

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")

PAIRWISE = {
    "giou": (locuskit.generalized_box_iou, tvops.generalized_box_iou, locuskit.generalized_box_iou_aligned),
    "diou": (locuskit.distance_box_iou, tvops.distance_box_iou, locuskit.distance_box_iou_aligned),
    "ciou": (locuskit.complete_box_iou, tvops.complete_box_iou, locuskit.complete_box_iou_aligned),
    "iou": (locuskit.box_iou, tvops.box_iou, locuskit.box_iou_aligned),
}


def np_ioa(a, b):
    """IoA written out in NumPy (float64): inter / area of the first box (mmdet iof)."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(area[:, None] > 0, inter / area[:, None], 0.0)


@pytest.fixture(params=locuskit.available_simd_archs() or ["auto"])
def arch(request):
    locuskit.set_simd_arch(request.param)
    yield request.param
    locuskit.set_simd_arch("auto")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["giou", "diou", "ciou"])
def test_pairwise_matches_torchvision(dtype, kind, arch):
    ours, theirs, _ = PAIRWISE[kind]
    rng = np.random.default_rng(101)
    for case in range(60):
        n, m = int(rng.integers(0, 30)), int(rng.integers(0, 300))
        a = random_boxes(rng, n, dtype, negative=case % 3 == 0)
        b = random_boxes(rng, m, dtype, negative=case % 4 == 0)
        got = ours(a, b, degenerate="nan")
        assert got.dtype == dtype and got.shape == (n, m)
        ref = theirs(torch.from_numpy(a), torch.from_numpy(b)).numpy()
        if kind == "ciou":
            # SLEEF's atan (torchvision) vs the C library's: a few ulp of the result's scale.
            np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
            tol = 4 * np.finfo(dtype).eps
            np.testing.assert_allclose(got, ref, rtol=0, atol=tol, equal_nan=True)
        else:
            np.testing.assert_array_equal(got, ref)  # bitwise (NaN where torchvision has NaN)


@pytest.mark.parametrize("kind", ["diou", "ciou"])
def test_eps_is_passed_through(kind):
    ours, theirs, _ = PAIRWISE[kind]
    rng = np.random.default_rng(5)
    a, b = random_boxes(rng, 20, np.float64, degenerate_fraction=0), random_boxes(rng, 30, np.float64,
                                                                                 degenerate_fraction=0)
    for eps in (0.0, 1e-3, 0.5):
        np.testing.assert_allclose(ours(a, b, eps), theirs(torch.from_numpy(a), torch.from_numpy(b), eps).numpy(),
                                   rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_degenerate_policy_default_zero(dtype):
    pts = np.array([[1, 1, 1, 1], [2, 2, 2, 2], [0, 0, 5, 0]], dtype)
    for kind, (ours, theirs, _) in PAIRWISE.items():
        ref = theirs(torch.from_numpy(pts), torch.from_numpy(pts)).numpy()
        assert np.isnan(np.diag(ref)).all()  # torchvision: NaN for two zero-area boxes
        got = ours(pts, pts)
        assert np.isfinite(got).all()
        assert got[0, 0] == 0 and got[2, 2] == 0
        assert ours(pts, pts, degenerate="one")[0, 0] == 1
        assert np.isnan(ours(pts, pts, degenerate="nan")).all() == np.isnan(ref).all()
    # Zero-size box vs a normal one: torchvision's CIoU is NaN (atan(0/0)); ours is defined.
    a, b = np.array([[3, 3, 3, 3]], dtype), np.array([[0, 0, 10, 10]], dtype)
    assert np.isnan(tvops.complete_box_iou(torch.from_numpy(a), torch.from_numpy(b)).numpy()).all()
    # atan(0/0) -> 0, so v = 4/pi^2 (pi/4)^2 = 1/4 against the square, alpha = v / (1 - 0 + v).
    expected = locuskit.distance_box_iou(a, b).astype(np.float64) - 0.25 / 1.25 * 0.25
    np.testing.assert_allclose(locuskit.complete_box_iou(a, b), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_box_ioa_against_numpy_and_detectron2_convention(dtype, arch):
    rng = np.random.default_rng(31)
    for case in range(60):
        a = random_boxes(rng, int(rng.integers(0, 30)), dtype, negative=case % 2 == 0)
        b = random_boxes(rng, int(rng.integers(0, 200)), dtype)
        got = locuskit.box_ioa(a, b)
        np.testing.assert_allclose(got, np_ioa(a, b), rtol=2 * np.finfo(dtype).eps, atol=0)
        # detectron2's pairwise_ioa(b, a) divides by area(a): our box_ioa(a, b).T.
        assert np.all(got <= 1) and np.all(got >= 0)
    zero = np.array([[1, 1, 1, 4]], dtype)
    assert np.isnan(locuskit.box_ioa(zero, zero, degenerate="nan")).all()
    assert locuskit.box_ioa(zero, zero, degenerate="one")[0, 0] == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["iou", "giou", "diou", "ciou", "ioa"])
def test_aligned_equals_pairwise_diagonal(dtype, kind):
    rng = np.random.default_rng(41)
    if kind == "ioa":
        pair, aligned = locuskit.box_ioa, locuskit.box_ioa_aligned
    else:
        pair, _, aligned = PAIRWISE[kind]
    for case in range(20):
        n = int(rng.integers(0, 400))
        a, b = random_boxes(rng, n, dtype, negative=case % 2 == 0), random_boxes(rng, n, dtype)
        for degenerate in ("zero", "nan"):
            got = aligned(a, b, degenerate=degenerate)
            assert got.shape == (n,) and got.dtype == dtype
            np.testing.assert_array_equal(got, np.diagonal(pair(a, b, degenerate=degenerate)))


def test_threads_do_not_change_results():
    rng = np.random.default_rng(3)
    a, b = random_boxes(rng, 500), random_boxes(rng, 700)
    before = locuskit.get_num_threads()
    try:
        outs = []
        for threads in (1, 3):
            locuskit.set_num_threads(threads)
            outs.append([f(a, b).tobytes() for f in (locuskit.generalized_box_iou, locuskit.complete_box_iou)])
        assert outs[0] == outs[1]
    finally:
        locuskit.set_num_threads(before)


def test_iou_family_bad_input_and_empty():
    ok = np.array([[0, 0, 1, 1]], np.float32)
    e = np.zeros((0, 4), np.float32)
    for f in (locuskit.generalized_box_iou, locuskit.distance_box_iou, locuskit.complete_box_iou,
              locuskit.box_ioa):
        assert f(e, ok).shape == (0, 1) and f(ok, e).shape == (1, 0)
        with pytest.raises(TypeError, match="boxes2.*float64.*float32"):
            f(ok, ok.astype(np.float64))
        with pytest.raises(ValueError, match="boxes1.*inverted"):
            f(np.array([[1, 0, 0, 1]], np.float32), ok)
        with pytest.raises(ValueError, match="boxes2.*non-finite"):
            f(ok, np.array([[0, 0, np.nan, 1]], np.float32))
        strided = np.arange(32, dtype=np.float32).reshape(8, 4)[::2]  # copied once, same result
        np.testing.assert_array_equal(f(strided, ok), f(np.ascontiguousarray(strided), ok))
        with pytest.raises(ValueError, match="degenerate"):
            f(ok, ok, degenerate="maybe")
    with pytest.raises(ValueError, match="eps"):
        locuskit.distance_box_iou(ok, ok, -1.0)
    for f in (locuskit.box_iou_aligned, locuskit.generalized_box_iou_aligned, locuskit.distance_box_iou_aligned,
              locuskit.complete_box_iou_aligned, locuskit.box_ioa_aligned):
        assert f(e, e).shape == (0,)
        with pytest.raises(ValueError, match="boxes2.*same number"):
            f(np.zeros((3, 4), np.float32), np.zeros((2, 4), np.float32))
        with pytest.raises(ValueError, match=r"\(N, 4\)"):
            f(np.zeros((3, 5), np.float32), np.zeros((3, 4), np.float32))
