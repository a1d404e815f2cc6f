"""Property tests (hypothesis, derandomized: fixed seeds) for the NMS family on the Python API:
nms and batched_nms against torchvision live (float32 and float64, C/strided/torch inputs, ties,
zero-area and identical boxes, empty input, sparse and negative class ids, max_output), soft-NMS
against OpenCV live (cv2.dnn.softNMSBoxes, gaussian, integer boxes), cluster_nms against greedy NMS
(its documented fixed point), and invalid inputs (NaN scores, thresholds outside [0, 1]) raising
ValueError."""
from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings, strategies as st

from conftest import as_numpy, laid_out

import locuskit

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")
from torchvision.ops import boxes as tv_boxes  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)
DTYPES = st.sampled_from([np.float32, np.float64])
LAYOUTS = st.sampled_from(["c", "row_view", "readonly", "torch"])
THRESHOLDS = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.6, 0.7, 1.0]), st.floats(0.0, 1.0))


@st.composite
def detections(draw, max_n=48):
    """(boxes (n, 4) xyxy float64, scores (n,)): clustered integer/half boxes, some zero-area or
    duplicated, scores from a small set (ties) or arbitrary in [0, 1]."""
    n = draw(st.integers(0, max_n))
    rows = []
    for _ in range(n):
        if rows and draw(st.integers(0, 6)) == 0:
            rows.append(list(rows[draw(st.integers(0, len(rows) - 1))]))
            continue
        x, y = draw(st.integers(0, 30)) / 2.0, draw(st.integers(0, 30)) / 2.0
        w, h = draw(st.integers(0, 24)) / 2.0, draw(st.integers(0, 24)) / 2.0
        rows.append([x, y, x + w, y + h])
    boxes = np.array(rows, np.float64).reshape(n, 4)
    tie_scores = draw(st.booleans())
    scores = np.array([draw(st.sampled_from([0.1, 0.5, 0.9]) if tie_scores else st.floats(0.0, 1.0))
                       for _ in range(n)], np.float64)
    return boxes, scores


@SETTINGS
@given(detections(), THRESHOLDS, DTYPES, LAYOUTS, st.one_of(st.none(), st.integers(0, 50)))
def test_nms_equals_torchvision(det, thr, dtype, layout, max_output):
    boxes, scores = det[0].astype(dtype), det[1].astype(dtype)
    ref = tvops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), thr).numpy()
    got = as_numpy(locuskit.nms(laid_out(boxes, layout), laid_out(scores, layout), thr, max_output=max_output))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, ref if max_output is None else ref[:max_output])


@SETTINGS
@given(detections(), THRESHOLDS, DTYPES, st.sampled_from(["small", "sparse", "negative"]), LAYOUTS)
def test_batched_nms_equals_torchvision_per_class_loop(det, thr, dtype, ids, layout):
    boxes, scores = det[0].astype(dtype), det[1].astype(dtype)
    n = len(boxes)
    rng = np.random.default_rng(n)
    if ids == "small":
        idxs = rng.integers(0, 4, n)
    elif ids == "sparse":
        idxs = rng.choice(np.array([0, 7, 1 << 40, (1 << 62) - 1], np.int64), n)
    else:
        idxs = rng.choice(np.array([-(1 << 62), -5, -1, 3], np.int64), n)
    idxs = idxs.astype(np.int64)
    # torchvision's exact per-class loop (its default switches to the coordinate-offset trick,
    # which differs for overlapping classes' boxes by rounding).
    ref = tv_boxes._batched_nms_vanilla(torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(idxs),
                                        thr).numpy()
    got = as_numpy(locuskit.batched_nms(laid_out(boxes, layout), laid_out(scores, layout), laid_out(idxs, layout), thr))
    # torchvision sorts the union by score with an unstable sort: compare as sets, then the order
    # by (score descending, index ascending), locuskit's documented tie rule.
    assert sorted(got.tolist()) == sorted(ref.tolist())
    assert got.tolist() == sorted(got.tolist(), key=lambda i: (-scores[i], i))


@SETTINGS
@given(detections(), THRESHOLDS, DTYPES)
def test_cluster_nms_reaches_greedy_nms(det, thr, dtype):
    boxes, scores = det[0].astype(dtype), det[1].astype(dtype)
    np.testing.assert_array_equal(locuskit.cluster_nms(boxes, scores, thr), locuskit.nms(boxes, scores, thr))
    # Fast NMS suppresses a superset of greedy NMS.
    assert set(locuskit.fast_nms(boxes, scores, thr).tolist()) <= set(locuskit.nms(boxes, scores, thr).tolist())


cv2 = pytest.importorskip("cv2")


@SETTINGS
@given(st.integers(1, 40), st.integers(0, 2**32 - 1), st.sampled_from([0.5, 1.0]),
       st.sampled_from([0.0, 0.1, 0.3]), DTYPES)
def test_soft_nms_gaussian_equals_opencv(n, seed, sigma, score_threshold, dtype):
    # cv2 4.6's binding takes integer Rects (x, y, w, h) and computes their IoU in double.
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 60, (n, 2))
    wh = rng.integers(1, 40, (n, 2))
    scores = rng.random(n).astype(np.float32)
    rects = [[int(x), int(y), int(w), int(h)] for (x, y), (w, h) in zip(xy, wh)]
    cv_scores, cv_idx = cv2.dnn.softNMSBoxes(rects, scores.tolist(), score_threshold, 0.3, sigma=sigma,
                                             method=cv2.dnn.SoftNMSMethod_SOFTNMS_GAUSSIAN)
    boxes = np.concatenate([xy, xy + wh], 1).astype(dtype)
    keep, upd = locuskit.soft_nms(boxes, scores.astype(dtype), method="gaussian", sigma=sigma,
                                  score_threshold=score_threshold)
    np.testing.assert_array_equal(keep, np.asarray(cv_idx, np.int64).reshape(-1))
    np.testing.assert_allclose(upd, np.asarray(cv_scores).reshape(-1), rtol=1e-5, atol=1e-7)


@SETTINGS
@given(detections(max_n=8).filter(lambda d: len(d[0]) > 0), DTYPES,
       st.sampled_from(["nan_score", "threshold_low", "threshold_high", "threshold_nan"]))
def test_invalid_nms_inputs_raise_value_error(det, dtype, kind):
    boxes, scores = det[0].astype(dtype), det[1].astype(dtype)
    thr = {"threshold_low": -0.01, "threshold_high": 1.5, "threshold_nan": float("nan")}.get(kind, 0.5)
    if kind == "nan_score":
        scores[-1] = np.nan
    for f in (lambda: locuskit.nms(boxes, scores, thr),
              lambda: locuskit.batched_nms(boxes, scores, np.zeros(len(boxes), np.int64), thr)):
        with pytest.raises(ValueError):
            f()
