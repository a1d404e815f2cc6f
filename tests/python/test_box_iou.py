"""box_iou / box_iou_max: bitwise parity with torchvision, every SIMD arch, threads, bad input."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
from conftest import random_boxes

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")


def tv_iou(a, b):
    return tvops.box_iou(torch.from_numpy(a), torch.from_numpy(b)).numpy()


@pytest.fixture(params=locuskit.available_simd_archs() or ["auto"])
def arch(request):
    locuskit.set_simd_arch(request.param)
    yield request.param
    locuskit.set_simd_arch("auto")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_box_iou_bitwise_equals_torchvision(dtype, arch):
    rng = np.random.default_rng(7)
    for case in range(300):
        n, m = int(rng.integers(0, 40)), int(rng.integers(0, 300))
        a = random_boxes(rng, n, dtype, negative=case % 3 == 0)
        b = random_boxes(rng, m, dtype)
        got = locuskit.box_iou(a, b, degenerate="nan")
        assert got.dtype == dtype and got.shape == (n, m)
        # equal_nan: torchvision gives NaN for two zero-area boxes, as the "nan" policy does.
        np.testing.assert_array_equal(got, tv_iou(a, b))


def test_box_iou_default_degenerate_is_zero(rng):
    a = np.array([[1, 1, 1, 1], [0, 0, 5, 0]], np.float32)
    assert np.isnan(tv_iou(a, a)).all()
    np.testing.assert_array_equal(locuskit.box_iou(a, a), np.zeros((2, 2), np.float32))
    np.testing.assert_array_equal(locuskit.box_iou(a, a, degenerate="one"), np.ones((2, 2), np.float32))


def test_box_iou_thread_count_does_not_change_results():
    rng = np.random.default_rng(3)
    a, b = random_boxes(rng, 700), random_boxes(rng, 900)
    before = locuskit.get_num_threads()
    try:
        locuskit.set_num_threads(1)
        one = locuskit.box_iou(a, b)
        locuskit.set_num_threads(4)
        four = locuskit.box_iou(a, b)
    finally:
        locuskit.set_num_threads(before)
    assert one.tobytes() == four.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_box_iou_max_equals_matrix_reduction(dtype, arch):
    rng = np.random.default_rng(11)
    for _ in range(60):
        n, m = int(rng.integers(1, 30)), int(rng.integers(1, 2000))
        a, b = random_boxes(rng, n, dtype), random_boxes(rng, m, dtype)
        full = tv_iou(a, b)
        full = np.where(np.isnan(full), 0, full)
        max1, arg1, max2, arg2 = locuskit.box_iou_max(a, b)
        np.testing.assert_array_equal(max1, full.max(axis=1))
        np.testing.assert_array_equal(arg1, full.argmax(axis=1))  # numpy: first index on ties
        np.testing.assert_array_equal(max2, full.max(axis=0))
        np.testing.assert_array_equal(arg2, full.argmax(axis=0))
        assert arg1.dtype == np.int64


def test_box_iou_accepts_torch_tensors_zero_copy():
    rng = np.random.default_rng(5)
    a = torch.from_numpy(random_boxes(rng, 10))
    b = random_boxes(rng, 20)
    got = locuskit.box_iou(a, b)
    assert isinstance(got, torch.Tensor)  # tensors in, tensors out (docs/torch.md)
    np.testing.assert_array_equal(got.numpy(), locuskit.box_iou(a.numpy(), b))
    a.requires_grad_(True)
    r = locuskit.box_iou(a, b)  # differentiable (docs/torch.md), never detached silently
    assert r.shape == (10, 20) and r.requires_grad


def test_empty_inputs_give_empty_outputs():
    e = np.zeros((0, 4), np.float32)
    b = np.array([[0, 0, 1, 1]], np.float32)
    assert locuskit.box_iou(e, b).shape == (0, 1)
    assert locuskit.box_iou(b, e).shape == (1, 0)
    max1, arg1, max2, arg2 = locuskit.box_iou_max(b, e)
    assert max1[0] == -np.inf and arg1[0] == -1 and max2.shape == (0,)


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (np.zeros((3, 4), np.int64), TypeError, "dtype int64"),
        (np.zeros((3, 4), np.complex64), TypeError, "complex64"),
        (np.zeros((3, 5), np.float32), ValueError, "(N, 4)"),
        (np.zeros((4,), np.float32), ValueError, "(N, 4)"),
        (np.array([[0, 0, np.nan, 1]], np.float32), ValueError, "non-finite"),
        (np.array([[0, 0, np.inf, 1]], np.float32), ValueError, "non-finite"),
        (np.array([[2, 0, 1, 1]], np.float32), ValueError, "inverted"),
    ],
)
def test_bad_input_raises_with_argument_name(bad, exc, words):
    # (float16 and non-contiguous inputs are accepted since issue 16: tests/python/test_torch_io.py)
    ok = np.array([[0, 0, 1, 1]], np.float32)
    with pytest.raises(exc, match="boxes1") as info:
        locuskit.box_iou(bad, ok)
    assert words in str(info.value)
    if bad.dtype == np.float32:
        with pytest.raises(exc, match="boxes2"):
            locuskit.box_iou(ok, bad)


def test_mismatched_dtypes_and_bad_policy():
    a = np.zeros((1, 4), np.float32)
    with pytest.raises(TypeError, match="boxes2.*float64.*float32"):
        locuskit.box_iou(a, a.astype(np.float64))
    with pytest.raises(ValueError, match="degenerate"):
        locuskit.box_iou(a, a, degenerate="bogus")
    with pytest.raises(ValueError, match="set_num_threads"):
        locuskit.set_num_threads(0)
    with pytest.raises(ValueError, match="set_simd_arch"):
        locuskit.set_simd_arch("neon9000")
