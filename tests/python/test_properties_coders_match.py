"""Property tests (hypothesis, derandomized: fixed seeds) for the box coder and the matchers on the
Python API against torchvision live: float32 and float64, C/strided/torch inputs, degenerate
values (identical boxes, boxes touching, a single gt, no gt, deltas beyond the scale clamp), and
thresholds on exact IoU values."""
from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings, strategies as st

from conftest import as_numpy, laid_out

import locuskit.coders as C
import locuskit.match as M

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torchvision.models.detection import _utils as det_utils  # noqa: E402

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None)
DTYPES = st.sampled_from([np.float32, np.float64])
LAYOUTS = st.sampled_from(["c", "row_view", "readonly", "torch"])


@st.composite
def positive_boxes(draw, min_n=0, max_n=30):
    """(n, 4) xyxy float64 boxes with positive width and height (torchvision's coder and matcher
    take log(w) and IoU of them; zero-area pairs are a documented difference, see docs/match.md)."""
    n = draw(st.integers(min_n, max_n))
    rows = []
    for _ in range(n):
        if rows and draw(st.integers(0, 5)) == 0:
            rows.append(list(rows[-1]))
            continue
        x, y = draw(st.integers(0, 40)) / 2.0, draw(st.integers(0, 40)) / 2.0
        w, h = draw(st.integers(1, 30)) / 2.0, draw(st.integers(1, 30)) / 2.0
        rows.append([x, y, x + w, y + h])
    return np.array(rows, np.float64).reshape(n, 4)


def assert_close_ulps(ours, ref, dtype, max_ulps):
    # torch's vectorised exp/log vs the C library's: a few ulps of each box's magnitude (x1 =
    # cx - w/2 cancels, so the error scales with the box's largest coordinate, not with x1).
    ref = np.asarray(ref, np.float64)
    scale = np.abs(ref).reshape(len(ref), -1, 4).max(axis=2, keepdims=True)
    scale = np.broadcast_to(np.maximum(scale, 1.0), ref.reshape(len(ref), -1, 4).shape).reshape(ref.shape)
    tol = max_ulps * np.finfo(dtype).eps * scale
    assert np.all(np.abs(np.asarray(ours, np.float64) - ref) <= tol)


WEIGHTS = st.sampled_from([(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0), (2.0, 3.0, 0.5, 7.0)])


@SETTINGS
@given(positive_boxes(min_n=1), st.integers(0, 2**32 - 1), WEIGHTS, DTYPES, LAYOUTS)
def test_box_coder_equals_torchvision(anchors, seed, weights, dtype, layout):
    rng = np.random.default_rng(seed)
    n = len(anchors)
    a = anchors.astype(dtype)
    g = anchors[rng.permutation(n)].astype(dtype)  # gt drawn from the same boxes: identical pairs too
    tv = det_utils.BoxCoder(weights)
    ref = tv.encode_single(torch.from_numpy(g), torch.from_numpy(a)).numpy()
    ours = as_numpy(C.BoxCoder(weights).encode(laid_out(g, layout), laid_out(a, layout)))
    assert ours.dtype == dtype
    assert_close_ulps(ours, ref, dtype, 8)
    k = int(rng.integers(1, 4))
    deltas = (rng.normal(0, 2.0, size=(n, 4 * k)) * np.array(weights * k)).astype(dtype)
    deltas[rng.random((n, 4 * k)) < 0.1] = 60.0  # beyond the scale clamp (upper side only)
    ref = tv.decode_single(torch.from_numpy(deltas), torch.from_numpy(a)).numpy()
    ours = as_numpy(C.BoxCoder(weights).decode(laid_out(deltas, layout), laid_out(a, layout)))
    assert ours.shape == (n, 4 * k)
    assert_close_ulps(ours, ref, dtype, 4)


THRESHOLDS = st.sampled_from([0.0, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0])


@SETTINGS
@given(positive_boxes(max_n=12), positive_boxes(min_n=1, max_n=60), THRESHOLDS, THRESHOLDS, st.booleans(), DTYPES,
       LAYOUTS)
def test_matcher_equals_torchvision(gt, preds, t1, t2, allow_low, dtype, layout):
    high, low = max(t1, t2), min(t1, t2)
    gt, preds = gt.astype(dtype), preds.astype(dtype)
    ours = M.Matcher(high, low, allow_low)
    if len(gt) == 0:
        # torchvision raises on an empty quality matrix; locuskit documents all-background (-1).
        matches, _ = ours.match_boxes(gt, preds)
        assert (matches == -1).all()
        return
    q = torchvision.ops.box_iou(torch.from_numpy(gt), torch.from_numpy(preds))
    ref = det_utils.Matcher(high, low, allow_low)(q.clone()).numpy()
    np.testing.assert_array_equal(ours(q.numpy()), ref)
    matches, vals = map(as_numpy, ours.match_boxes(laid_out(gt, layout), laid_out(preds, layout)))
    np.testing.assert_array_equal(matches, ref)
    np.testing.assert_array_equal(vals, q.max(0).values.numpy())


@SETTINGS
@given(positive_boxes(min_n=1, max_n=12), positive_boxes(min_n=1, max_n=60), THRESHOLDS, DTYPES)
def test_ssd_matcher_equals_torchvision(gt, preds, thr, dtype):
    gt, preds = gt.astype(dtype), preds.astype(dtype)
    q = torchvision.ops.box_iou(torch.from_numpy(gt), torch.from_numpy(preds))
    ref = det_utils.SSDMatcher(thr)(q.clone()).numpy()
    np.testing.assert_array_equal(M.SSDMatcher(thr)(q.numpy()), ref)
    matches, _ = M.SSDMatcher(thr).match_boxes(gt, preds)
    np.testing.assert_array_equal(matches, ref)
