"""Matchers: live parity with torchvision 0.14 Matcher / SSDMatcher and scipy's
linear_sum_assignment; mmdet MaxIoUAssigner / ATSS and DETR's cost against transcriptions of the
peers' code (cited)."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import random_boxes
from locuskit import match as M
from locuskit.ops import box_iou

torch = pytest.importorskip("torch")
scipy_opt = pytest.importorskip("scipy.optimize")
import torchvision  # noqa: E402
from torchvision.models.detection import _utils as det_utils  # noqa: E402


def boxes_pair(rng, n_gt, n_pred, dtype, grid=False):
    gt = random_boxes(rng, n_gt, dtype=dtype, degenerate_fraction=0.0)
    if grid:  # integer-coordinate boxes: many exact IoU ties
        pred = rng.integers(0, 90, size=(n_pred, 2)).astype(dtype)
        pred = np.concatenate([pred, pred + rng.integers(1, 30, size=(n_pred, 2)).astype(dtype)], 1)
        gt = np.round(gt)
        gt[:, 2:] = np.maximum(gt[:, 2:], gt[:, :2] + 1)
    else:
        pred = random_boxes(rng, n_pred, dtype=dtype, degenerate_fraction=0.0)
        pred[: n_pred // 10] = gt[rng.integers(0, n_gt, n_pred // 10)]  # exact duplicates of gt: ties at 1.0
    keep = (pred[:, 2] > pred[:, 0]) & (pred[:, 3] > pred[:, 1])
    gkeep = (gt[:, 2] > gt[:, 0]) & (gt[:, 3] > gt[:, 1])
    return np.ascontiguousarray(gt[gkeep]), np.ascontiguousarray(pred[keep])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("allow_low", [False, True])
def test_matcher_matches_torchvision(dtype, allow_low):
    rng = np.random.default_rng(21)
    for case in range(120):
        gt, pred = boxes_pair(rng, int(rng.integers(1, 30)), int(rng.integers(1, 400)), dtype, grid=case % 2 == 0)
        high = float(rng.choice([0.5, 0.7, 0.4, 0.3]))
        low = float(min(high, rng.choice([0.3, 0.4, 0.5, 0.0])))
        q = torchvision.ops.box_iou(torch.from_numpy(gt), torch.from_numpy(pred))
        ref = det_utils.Matcher(high, low, allow_low)(q.clone()).numpy()
        ours_m = M.Matcher(high, low, allow_low)
        np.testing.assert_array_equal(ours_m(q.numpy()), ref, err_msg=f"dense case {case}")
        matches, vals = ours_m.match_boxes(gt, pred)
        np.testing.assert_array_equal(matches, ref, err_msg=f"fused case {case}")
        np.testing.assert_array_equal(vals, q.max(0).values.numpy())


def test_matcher_quality_matrix_ties_nan_and_low_quality_subtleties():
    rng = np.random.default_rng(22)
    for case in range(300):
        m, n = int(rng.integers(1, 6)), int(rng.integers(1, 12))
        q = rng.choice(np.array([0.0, 0.2, 0.3, 0.5, 0.7, 0.9], np.float32), size=(m, n))
        if case % 5 == 0:
            q[rng.integers(0, m), rng.integers(0, n)] = np.nan
        for allow in (False, True):
            ref = det_utils.Matcher(0.7, 0.3, allow)(torch.from_numpy(q.copy())).numpy()
            np.testing.assert_array_equal(M.Matcher(0.7, 0.3, allow)(q), ref, err_msg=f"case {case}")
    # Notes §4: a prediction best for gt0 and gt1 goes back to its own argmax (gt1 here).
    q = np.array([[0.4, 0.1], [0.4, 0.2]], np.float32)
    np.testing.assert_array_equal(M.Matcher(0.5, 0.3, True)(q), det_utils.Matcher(0.5, 0.3, True)(torch.from_numpy(q)))
    # Threshold compared in float32: value == f32(0.7) is >= high.
    q = np.array([[np.float32(0.7)]], np.float32)
    assert M.Matcher(0.7, 0.3)(q)[0] == det_utils.Matcher(0.7, 0.3)(torch.from_numpy(q))[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ssd_matcher_matches_torchvision(dtype):
    rng = np.random.default_rng(23)
    for case in range(80):
        gt, pred = boxes_pair(rng, int(rng.integers(1, 20)), int(rng.integers(1, 300)), dtype, grid=case % 2 == 0)
        q = torchvision.ops.box_iou(torch.from_numpy(gt), torch.from_numpy(pred))
        ref = det_utils.SSDMatcher(0.5)(q.clone()).numpy()
        np.testing.assert_array_equal(M.SSDMatcher(0.5)(q.numpy()), ref, err_msg=f"dense {case}")
        np.testing.assert_array_equal(M.SSDMatcher(0.5).match_boxes(gt, pred)[0], ref, err_msg=f"fused {case}")


def test_fused_matcher_large_equals_dense():
    rng = np.random.default_rng(24)
    gt, pred = boxes_pair(rng, 60, 30000, np.float32, grid=True)
    q = box_iou(gt, pred)
    for allow in (False, True):
        dense = M.Matcher(0.7, 0.3, allow).match(q)
        fused = M.Matcher(0.7, 0.3, allow).match_boxes(gt, pred)
        np.testing.assert_array_equal(fused[0], dense[0])
        np.testing.assert_array_equal(fused[1], dense[1])


def test_empty_gt_is_background():
    pred = random_boxes(np.random.default_rng(0), 10, degenerate_fraction=0.0)
    gt = np.zeros((0, 4), np.float32)
    np.testing.assert_array_equal(M.Matcher(0.7, 0.3, True).match_boxes(gt, pred)[0], -1)
    np.testing.assert_array_equal(M.Matcher(0.7, 0.3, True)(np.zeros((0, 10), np.float32)), -1)
    np.testing.assert_array_equal(M.SSDMatcher(0.5).match_boxes(gt, pred)[0], -1)
    assigned, ov = M.MaxIoUAssigner(0.5, 0.4).assign(pred, gt)
    np.testing.assert_array_equal(assigned, 0)
    np.testing.assert_array_equal(ov, 0)
    assigned, _ = M.ATSSAssigner().assign(pred, [10], gt)
    np.testing.assert_array_equal(assigned, 0)
    assert M.Matcher(0.7, 0.3).match_boxes(gt, np.zeros((0, 4), np.float32))[0].shape == (0,)
    # Gt but no predictions: empty outputs everywhere.
    none = np.zeros((0, 4), np.float32)
    assert M.Matcher(0.7, 0.3, True).match_boxes(pred, none)[0].shape == (0,)
    assert M.SSDMatcher(0.5).match_boxes(pred, none)[0].shape == (0,)
    for all_ in (True, False):
        assert M.MaxIoUAssigner(0.5, 0.4, gt_max_assign_all=all_).assign(none, pred)[0].shape == (0,)
    assert M.ATSSAssigner().assign(none, [0], pred)[0].shape == (0,)


def mmdet_max_iou_reference(overlaps, pos, neg, min_pos, assign_all, low_quality):
    # Transcription of mmdet MaxIoUAssigner.assign_wrt_overlaps (overlaps: (num_gts, num_bboxes)).
    num_gts, n = overlaps.shape
    assigned = np.full(n, -1, np.int64)
    max_ov = overlaps.max(0)
    argmax = overlaps.argmax(0)
    gt_max = overlaps.max(1)
    gt_arg = overlaps.argmax(1)
    if np.isscalar(neg):
        assigned[(max_ov >= 0) & (max_ov < neg)] = 0
    else:
        assigned[(max_ov >= neg[0]) & (max_ov < neg[1])] = 0
    pos_inds = max_ov >= pos
    assigned[pos_inds] = argmax[pos_inds] + 1
    if low_quality:
        for i in range(num_gts):
            if gt_max[i] >= min_pos:
                if assign_all:
                    assigned[overlaps[i, :] == gt_max[i]] = i + 1
                else:
                    assigned[gt_arg[i]] = i + 1
    return assigned, max_ov


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_iou_assigner_against_mmdet_transcription(dtype):
    rng = np.random.default_rng(25)
    for case in range(100):
        gt, pred = boxes_pair(rng, int(rng.integers(1, 25)), int(rng.integers(1, 300)), dtype, grid=case % 2 == 0)
        q = box_iou(gt, pred)
        pos = float(rng.choice([0.5, 0.7, 0.4]))
        neg = float(rng.choice([0.3, 0.4])) if case % 3 else (0.1, 0.4)
        min_pos = float(rng.choice([0.0, 0.3]))
        assign_all, low = bool(case % 2), bool(case % 5 != 0)
        ref = mmdet_max_iou_reference(q, pos, neg, min_pos, assign_all, low)
        ours = M.MaxIoUAssigner(pos, neg, min_pos, assign_all, low).assign(pred, gt)
        np.testing.assert_array_equal(ours[0], ref[0], err_msg=f"case {case}")
        np.testing.assert_array_equal(ours[1], ref[1])


def atss_reference(bboxes, num_level, gt, topk=9):
    # Transcription of mmdet ATSSAssigner.assign (no ignore boxes), numpy, float64.
    ov = box_iou(bboxes, gt)  # (n, m)
    n, m = ov.shape
    assigned = np.zeros(n, np.int64)
    gcx, gcy = (gt[:, 0] + gt[:, 2]) / 2.0, (gt[:, 1] + gt[:, 3]) / 2.0
    bcx, bcy = (bboxes[:, 0] + bboxes[:, 2]) / 2.0, (bboxes[:, 1] + bboxes[:, 3]) / 2.0
    dist = np.sqrt((bcx[:, None] - gcx[None]) ** 2 + (bcy[:, None] - gcy[None]) ** 2)
    cand = []
    start = 0
    for cnt in num_level:
        k = min(topk, cnt)
        d = dist[start:start + cnt]
        cand.append(np.argsort(d, axis=0, kind="stable")[:k] + start)
        start += cnt
    cand = np.concatenate(cand, 0)  # (K, m)
    cov = ov[cand, np.arange(m)]
    thr = cov.mean(0) + cov.std(0, ddof=1)
    is_pos = cov >= thr[None]
    l_ = bcx[cand] - gt[:, 0]
    t_ = bcy[cand] - gt[:, 1]
    r_ = gt[:, 2] - bcx[cand]
    b_ = gt[:, 3] - bcy[cand]
    is_pos &= np.stack([l_, t_, r_, b_], 1).min(1) > 0.01
    ov_inf = np.full((m, n), -np.inf)
    for g in range(m):
        idx = cand[is_pos[:, g], g]
        ov_inf[g, idx] = ov[idx, g]
    ov_inf = ov_inf.T
    mx, am = ov_inf.max(1), ov_inf.argmax(1)
    assigned[mx != -np.inf] = am[mx != -np.inf] + 1
    return assigned, mx


def test_atss_against_mmdet_transcription():
    from locuskit.anchors import AnchorGenerator
    rng = np.random.default_rng(26)
    gen = AnchorGenerator(((16,), (32,), (64,)), ((0.5, 1.0, 2.0),) * 3)
    shapes = [(16, 16), (8, 8), (4, 4)]
    anchors = gen((128, 128), shapes, dtype=np.float64) + rng.uniform(-0.01, 0.01, size=(3 * (256 + 64 + 16), 4))
    levels = [3 * h * w for h, w in shapes]
    for case in range(30):
        gt = random_boxes(rng, int(rng.integers(1, 12)), dtype=np.float64, extent=128.0, degenerate_fraction=0.0)
        gt[:, 2:] += 4
        ref = atss_reference(anchors, levels, gt)
        ours = M.ATSSAssigner(9).assign(anchors, levels, gt)
        np.testing.assert_array_equal(ours[0], ref[0], err_msg=f"case {case}")
        np.testing.assert_array_equal(ours[1], ref[1])
    with pytest.raises(ValueError, match="num_level_anchors"):
        M.ATSSAssigner().assign(anchors, [1, 2], gt)


def test_linear_sum_assignment_matches_scipy():
    rng = np.random.default_rng(27)
    for case in range(400):
        r, c = int(rng.integers(0, 25)), int(rng.integers(0, 25))
        maximize = case % 3 == 0
        if case % 2:  # continuous costs: a unique optimum, compare the assignment exactly
            cost = rng.normal(size=(r, c))
        else:  # few distinct integers: ties, compare the optimal total only
            cost = rng.integers(0, 4, size=(r, c)).astype(np.float64)
        if case % 7 == 0 and r and c:
            cost[rng.random((r, c)) < 0.2] = np.inf if not maximize else -np.inf
        try:
            sr, sc = scipy_opt.linear_sum_assignment(cost, maximize=maximize)
        except ValueError:
            with pytest.raises(ValueError, match="infeasible"):
                M.linear_sum_assignment(cost, maximize=maximize)
            continue
        lr, lc = M.linear_sum_assignment(cost, maximize=maximize)
        assert lr.dtype == np.int64 and len(lr) == len(sr) == min(r, c)
        assert np.all(np.diff(lr) > 0)
        assert len(set(lc.tolist())) == len(lc)
        np.testing.assert_allclose(cost[lr, lc].sum(), cost[sr, sc].sum(), rtol=1e-12, atol=1e-12)
        if case % 2:
            np.testing.assert_array_equal(lr, sr)
            np.testing.assert_array_equal(lc, sc)
    f32 = rng.normal(size=(7, 9)).astype(np.float32)
    np.testing.assert_array_equal(M.linear_sum_assignment(f32)[1], scipy_opt.linear_sum_assignment(f32)[1])
    with pytest.raises(ValueError, match="invalid"):
        M.linear_sum_assignment(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="infeasible"):
        M.linear_sum_assignment(np.array([[np.inf, np.inf], [1.0, 2.0]]))


def detr_reference(probs, pred, labels, gt, wc, wb, wg):
    # facebookresearch/detr models/matcher.py HungarianMatcher.forward for one image.
    out_prob, out_bbox = torch.from_numpy(probs), torch.from_numpy(pred)
    tgt_ids, tgt_bbox = torch.from_numpy(labels), torch.from_numpy(gt)
    cost_class = -out_prob[:, tgt_ids]
    cost_bbox = torch.cdist(out_bbox, tgt_bbox, p=1)
    cv = torchvision.ops.box_convert
    cost_giou = -torchvision.ops.generalized_box_iou(cv(out_bbox, "cxcywh", "xyxy"), cv(tgt_bbox, "cxcywh", "xyxy"))
    return (wb * cost_bbox + wc * cost_class + wg * cost_giou).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_detr_cost_and_hungarian(dtype):
    rng = np.random.default_rng(28)
    for case in range(20):
        n, m, nc = 100, int(rng.integers(1, 30)), 92
        logits = rng.normal(size=(n, nc))
        probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(dtype)
        pred = np.concatenate([rng.uniform(0.1, 0.9, (n, 2)), rng.uniform(0.01, 0.5, (n, 2))], 1).astype(dtype)
        gt = np.concatenate([rng.uniform(0.1, 0.9, (m, 2)), rng.uniform(0.01, 0.5, (m, 2))], 1).astype(dtype)
        labels = rng.integers(0, nc, m)
        ref = detr_reference(probs, pred, labels, gt, 1.0, 5.0, 2.0)
        ours = M.detr_cost_matrix(probs, pred, labels, gt, cost_class=1, cost_bbox=5, cost_giou=2)
        tol = 2e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol)
        pi, gi = M.HungarianMatcher(1, 5, 2)(probs, pred, labels, gt)
        si, sj = scipy_opt.linear_sum_assignment(ref)
        np.testing.assert_allclose(ref[pi, gi].sum(), ref[si, sj].sum(), rtol=1e-6)
    with pytest.raises(ValueError, match="gt_labels"):
        M.detr_cost_matrix(probs, pred, np.array([nc] * m), gt)


def test_bad_inputs():
    with pytest.raises(ValueError, match="low_threshold"):
        M.Matcher(0.3, 0.7)
    a = np.zeros((2, 4), np.float32)
    with pytest.raises(TypeError, match="anchors"):
        M.Matcher(0.7, 0.3).match_boxes(a, a.astype(np.float64))
    with pytest.raises(ValueError, match="inverted"):
        M.Matcher(0.7, 0.3).match_boxes(np.array([[1, 1, 0, 0]], np.float32), a)
    with pytest.raises(ValueError, match="2-D"):
        M.linear_sum_assignment(np.zeros(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_detectron2_matcher_equals_torchvision_relabelled(dtype):
    # detectron2 Matcher([low, high], [0, -1, 1], allow) makes torchvision's decision with other
    # labels: tv -1 (below low) -> 0, tv -2 (between) -> -1, tv index -> 1; matches = argmax.
    rng = np.random.default_rng(29)
    for case in range(60):
        gt, pred = boxes_pair(rng, int(rng.integers(1, 20)), int(rng.integers(1, 300)), dtype, grid=case % 2 == 0)
        allow = bool(case % 2)
        q = torchvision.ops.box_iou(torch.from_numpy(gt), torch.from_numpy(pred))
        tv = det_utils.Matcher(0.7, 0.3, allow)(q.clone()).numpy()
        expected_labels = np.where(tv == -1, 0, np.where(tv == -2, -1, 1))
        d2 = M.Detectron2Matcher([0.3, 0.7], [0, -1, 1], allow)
        for matches, labels in (d2(q.numpy()), d2.match_boxes(gt, pred)):
            np.testing.assert_array_equal(labels, expected_labels, err_msg=f"case {case}")
            np.testing.assert_array_equal(matches, q.argmax(0).numpy())
    # Four bins, hand-checked: [-inf, .3) -> 0, [.3, .5) -> -1, [.5, .7) -> 0, [.7, inf) -> 1.
    q = np.array([[0.1, 0.35, 0.55, 0.8]], np.float32)
    m, lab = M.Detectron2Matcher([0.3, 0.5, 0.7], [0, -1, 0, 1])(q)
    np.testing.assert_array_equal(lab, [0, -1, 0, 1])
    m, lab = M.Detectron2Matcher([0.3, 0.7], [0, -1, 1])(np.zeros((0, 3), np.float32))
    np.testing.assert_array_equal(m, 0)
    np.testing.assert_array_equal(lab, 0)
    with pytest.raises(ValueError):
        M.Detectron2Matcher([0.7, 0.3], [0, -1, 1])
    with pytest.raises(ValueError):
        M.Detectron2Matcher([0.3, 0.7], [0, -1, 2])(q)
