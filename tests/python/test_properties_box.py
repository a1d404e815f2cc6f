"""Property tests (hypothesis, derandomized: fixed seeds) for the IoU family on the Python API,
against torchvision live: float32 and float64, the memory layouts a caller may pass (C-contiguous
views with an offset, read-only, misaligned, torch tensors; Fortran-order, strided and
negative-stride arrays raise ValueError as documented), degenerate values (zero
width/height, identical boxes, empty sets, huge and tiny coordinates) and invalid ones (inverted,
NaN/Inf: ValueError naming the argument)."""
from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings, strategies as st

from conftest import as_numpy, laid_out

import locuskit

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)
DTYPES = st.sampled_from([np.float32, np.float64])
LAYOUTS = st.sampled_from(["c", "row_view", "readonly", "torch"])

# Coordinates: small integers and halves (exact ties, touching and zero-area boxes) or floats in
# a wide range (the float32-representable part of it, so both dtypes see the same values).
_coord = st.one_of(
    st.integers(-8, 40).map(float),
    st.integers(-40, 200).map(lambda v: v / 2.0),
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([0.0, -0.0, 1e-30, 3e-38, 1e20]),
)


@st.composite
def box_sets(draw, max_n=24):
    n = draw(st.integers(0, max_n))
    rows = []
    for _ in range(n):
        if rows and draw(st.integers(0, 5)) == 0:
            rows.append(list(rows[draw(st.integers(0, len(rows) - 1))]))  # exact duplicate
            continue
        x1, x2 = sorted(draw(st.lists(_coord, min_size=2, max_size=2)))
        y1, y2 = sorted(draw(st.lists(_coord, min_size=2, max_size=2)))
        if draw(st.integers(0, 7)) == 0:
            x2 = x1  # zero width
        rows.append([x1, y1, x2, y2])
    return np.array(rows, np.float64).reshape(n, 4)


def tv(a):
    return torch.from_numpy(np.ascontiguousarray(a))


@SETTINGS
@given(box_sets(), box_sets(), DTYPES, LAYOUTS, LAYOUTS)
def test_box_iou_family_equals_torchvision(a, b, dtype, layout_a, layout_b):
    a, b = a.astype(dtype), b.astype(dtype)
    # Casting to float32 can round a tiny positive width to zero but never invert a box.
    pairs = [(locuskit.box_iou, tvops.box_iou), (locuskit.generalized_box_iou, tvops.generalized_box_iou),
             (locuskit.distance_box_iou, tvops.distance_box_iou)]
    with np.errstate(all="ignore"):
        for ours, theirs in pairs:
            got = as_numpy(ours(laid_out(a, layout_a), laid_out(b, layout_b), degenerate="nan"))
            assert got.dtype == dtype and got.shape == (len(a), len(b))
            ref = theirs(tv(a), tv(b)).numpy()
            np.testing.assert_array_equal(got, ref, err_msg=ours.__name__)  # bitwise, NaN where torchvision has NaN
        got = as_numpy(locuskit.complete_box_iou(laid_out(a, layout_a), laid_out(b, layout_b), degenerate="nan"))
        ref = tvops.complete_box_iou(tv(a), tv(b)).numpy()
    # SLEEF's atan (torchvision) vs the C library's: an absolute bound, not ulps (docs/box.md).
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    finite = np.isfinite(ref) & (np.abs(ref) < 1e3)
    assert np.all(np.abs(got[finite].astype(np.float64) - ref[finite]) <= 4 * np.finfo(dtype).eps * np.maximum(1, np.abs(ref[finite])))


@SETTINGS
@given(box_sets(), box_sets(), DTYPES, LAYOUTS)
def test_aligned_is_the_diagonal_and_zero_policy_replaces_nan(a, b, dtype, layout):
    k = min(len(a), len(b))
    a, b = a[:k].astype(dtype), b[:k].astype(dtype)
    with np.errstate(all="ignore"):
        ref = tvops.box_iou(tv(a), tv(b)).numpy()
        diag = np.diagonal(ref)
        np.testing.assert_array_equal(as_numpy(locuskit.box_iou_aligned(laid_out(a, layout), b, degenerate="nan")), diag)
        giou = np.diagonal(tvops.generalized_box_iou(tv(a), tv(b)).numpy())
        np.testing.assert_array_equal(locuskit.generalized_box_iou_aligned(a, laid_out(b, layout), degenerate="nan"),
                                      giou)
    # degenerate="zero" (the default): exactly torchvision's values with its 0/0 NaNs replaced by 0.
    zero = locuskit.box_iou(a, b)
    np.testing.assert_array_equal(zero, np.where(np.isnan(ref), 0, ref).astype(dtype))


def first_max(m: np.ndarray, axis: int):
    """Max and first arg-max where a NaN never wins (-inf/-1 for an all-NaN or empty line)."""
    m = np.where(np.isnan(m), -np.inf, m)
    if m.shape[axis] == 0:
        shape = m.shape[1 - axis]
        return np.full(shape, -np.inf, m.dtype), np.full(shape, -1, np.int64)
    best, arg = m.max(axis=axis), m.argmax(axis=axis)
    return best, np.where(np.isneginf(best), -1, arg)


@SETTINGS
@given(box_sets(), box_sets(max_n=40), DTYPES, LAYOUTS, st.sampled_from(["zero", "nan"]))
def test_box_iou_max_equals_torch_max(a, b, dtype, layout, degenerate):
    # "nan": zero-area pairs give NaN (torchvision's values), which never win (found by fuzz_iou).
    a, b = a.astype(dtype), b.astype(dtype)
    with np.errstate(all="ignore"):
        ref = tvops.box_iou(tv(a), tv(b)).numpy()
    if degenerate == "zero":
        ref = np.nan_to_num(ref, nan=0.0)
    a_max, a_arg, b_max, b_arg = map(as_numpy, locuskit.box_iou_max(laid_out(a, layout), b, degenerate=degenerate))
    for (got_max, got_arg), axis in (((a_max, a_arg), 1), ((b_max, b_arg), 0)):
        want_max, want_arg = first_max(ref, axis)
        np.testing.assert_array_equal(got_max, want_max.astype(dtype))
        np.testing.assert_array_equal(got_arg, want_arg)


@SETTINGS
@given(box_sets(max_n=6).filter(len), st.integers(0, 3), st.sampled_from(["inverted", "nan", "inf"]), DTYPES)
def test_invalid_boxes_raise_value_error_naming_the_argument(a, col, kind, dtype):
    bad = a.astype(dtype)
    row = len(bad) - 1
    if kind == "inverted":
        bad[row, col % 2], bad[row, col % 2 + 2] = 1.0, 0.0
    else:
        bad[row, col] = np.nan if kind == "nan" else np.inf
    ok = np.array([[0, 0, 1, 1]], dtype)
    for f in (locuskit.box_iou, locuskit.generalized_box_iou, locuskit.complete_box_iou, locuskit.box_iou_max):
        with pytest.raises(ValueError, match="boxes2"):
            f(ok, bad)
        with pytest.raises(ValueError, match="boxes1"):
            f(bad, ok)


@SETTINGS
@given(box_sets(max_n=6).filter(lambda a: len(a) > 1), DTYPES,
       st.sampled_from(["fortran", "row_strided", "reversed", "misaligned"]))
def test_non_contiguous_inputs_are_copied_once_misaligned_ones_raise(a, dtype, layout):
    # Misaligned (a C-contiguous view at an odd byte offset) was read in place before: undefined
    # behaviour (UBSan in scripts/test-sanitized-python: "load of misaligned address"); now a
    # ValueError naming the argument. Non-contiguous layouts are copied once (docs/semantics.md):
    # the result equals the contiguous one, and set_copy_policy("raise") names the argument.
    a = a.astype(dtype)
    ok = np.ascontiguousarray(a)
    if layout == "misaligned":
        bad = laid_out(a, "misaligned")
        assert bad.flags.c_contiguous and not bad.flags.aligned
        with pytest.raises(ValueError, match="boxes2.*aligned"):
            locuskit.box_iou(ok, bad)
        with pytest.raises(ValueError, match="boxes1.*aligned"):
            locuskit.generalized_box_iou(bad, ok)
        with pytest.raises(ValueError, match="boxes.*aligned"):
            locuskit.nms(bad, np.ones(len(a), dtype), 0.5)
        return
    if layout == "fortran":
        bad = np.asfortranarray(a)
    elif layout == "row_strided":
        big = np.zeros((2 * len(a), 4), dtype)
        big[::2] = a
        bad = big[::2]
    else:
        bad = np.ascontiguousarray(a[::-1])[::-1]
    np.testing.assert_array_equal(locuskit.box_iou(ok, bad), locuskit.box_iou(ok, ok))
    np.testing.assert_array_equal(locuskit.nms(bad, np.ones(len(a), dtype), 0.5),
                                  locuskit.nms(ok, np.ones(len(a), dtype), 0.5))
    previous = locuskit.set_copy_policy("raise")
    try:
        with pytest.raises(ValueError, match="boxes2"):
            locuskit.box_iou(ok, bad)
    finally:
        locuskit.set_copy_policy(previous)
