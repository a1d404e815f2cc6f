"""Soft/DIoU/matrix/fast/cluster/weighted NMS, WBF and multiclass_nms: OpenCV parity, independent
NumPy transcriptions of the reference formulas, and hand-computed cases."""
from __future__ import annotations

import math

import numpy as np
import pytest

import locuskit as lk
from conftest import random_boxes

try:
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None
try:
    import torch
    import torchvision.ops as tv_ops
except ImportError:  # pragma: no cover
    torch = tv_ops = None


# ---------------------------------------------------------------------------------------- soft-NMS
def int_rects(rng, n_max, extent, wh_lo, wh_hi, dtype):
    """1..n_max integer rects: (xy, wh) for OpenCV and the same boxes as xyxy of `dtype`."""
    n = int(rng.integers(1, n_max))
    xy, wh = rng.integers(0, extent, (n, 2)), rng.integers(wh_lo, wh_hi, (n, 2))
    return xy, wh, np.concatenate([xy, xy + wh], 1).astype(dtype)


def cv_soft_nms(xy, wh, scores, score_threshold, iou_threshold, sigma, method):
    """cv2.dnn.softNMSBoxes on integer Rects (x, y, w, h): (indices int64, updated scores float32)."""
    cv_method = cv2.dnn.SoftNMSMethod_SOFTNMS_GAUSSIAN if method == "gaussian" else cv2.dnn.SoftNMSMethod_SOFTNMS_LINEAR
    rects = [[int(x), int(y), int(w), int(h)] for (x, y), (w, h) in zip(xy, wh)]
    cv_scores, cv_idx = cv2.dnn.softNMSBoxes(rects, scores.tolist(), score_threshold, iou_threshold, sigma=sigma,
                                             method=cv_method)
    return np.asarray(cv_idx).reshape(-1), np.asarray(cv_scores, np.float32).reshape(-1)


@pytest.mark.skipif(cv2 is None, reason="OpenCV not installed")
@pytest.mark.parametrize("method", ["gaussian", "linear"])
def test_soft_nms_equals_opencv(method):
    # cv2 4.6's binding takes integer Rects (x, y, w, h): integer-valued boxes, float64 IoU here.
    rng = np.random.default_rng(17 if method == "gaussian" else 18)
    for case in range(200):
        xy, wh, boxes = int_rects(rng, 60, 100, 1, 50, np.float64)
        scores = rng.random(len(boxes)).astype(np.float32)
        thr, sigma, sthr = float(rng.choice([0.3, 0.5])), float(rng.choice([0.5, 1.0])), float(rng.choice([0.0, 0.1, 0.3]))
        cv_idx, cv_scores = cv_soft_nms(xy, wh, scores, sthr, thr, sigma, method)
        keep, upd = lk.soft_nms(boxes, scores.astype(np.float64), method=method, iou_threshold=thr, sigma=sigma,
                                score_threshold=sthr)
        np.testing.assert_array_equal(keep, cv_idx, err_msg=f"case {case}")
        np.testing.assert_allclose(upd, cv_scores, rtol=1e-5, atol=1e-7)


def test_soft_nms_hand_computed():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 5], [20, 20, 30, 30]], np.float64)  # IoU(0,1) = 0.5
    scores = np.array([0.9, 0.8, 0.7])
    keep, s = lk.soft_nms(boxes, scores, method="gaussian", sigma=0.5)
    assert keep.tolist() == [0, 2, 1]
    np.testing.assert_allclose(s, [0.9, 0.7, 0.8 * math.exp(-0.25 / 0.5)])
    keep, s = lk.soft_nms(boxes, scores, method="linear", iou_threshold=0.5)  # 0.5 is not > 0.5
    assert keep.tolist() == [0, 1, 2] and s.tolist() == [0.9, 0.8, 0.7]
    keep, s = lk.soft_nms(boxes, scores, method="linear", iou_threshold=0.5, rule=">=")  # mmcv
    assert keep.tolist() == [0, 2, 1]
    np.testing.assert_allclose(s, [0.9, 0.7, 0.4])
    keep, s = lk.soft_nms(boxes, scores, method="linear", iou_threshold=0.4, score_threshold=0.5)
    assert keep.tolist() == [0, 2]  # 0.8 * 0.5 = 0.4 < 0.5: dropped
    keep, _ = lk.soft_nms(boxes, scores, max_output=1)
    assert keep.tolist() == [0]
    with pytest.raises(ValueError, match="sigma"):
        lk.soft_nms(boxes, scores, sigma=0.0)
    with pytest.raises(ValueError, match="method"):
        lk.soft_nms(boxes, scores, method="box")


# ---------------------------------------------------------------------------------------- DIoU-NMS
def test_diou_nms_hand_computed():
    # a=[0,0,2,2], b=[1,0,3,2]: IoU 1/3; centres 1 apart, enclosing diagonal^2 = 9 + 4 = 13.
    boxes = np.array([[0, 0, 2, 2], [1, 0, 3, 2]], np.float64)
    scores = np.array([0.9, 0.8])
    assert lk.nms(boxes, scores, 0.3).tolist() == [0]
    assert lk.diou_nms(boxes, scores, 0.3).tolist() == [0, 1]                 # 1/3 - 1/13 = 0.256
    assert lk.diou_nms(boxes, scores, 0.25).tolist() == [0]                   # 0.256 > 0.25
    assert lk.diou_nms(boxes, scores, 0.25, beta=0.6).tolist() == [0, 1]      # 1/3 - 13**-0.6 = 0.119
    assert lk.diou_nms(boxes, scores, 0.1, beta=0.6).tolist() == [0]


def numpy_diou_nms(boxes, scores, thr, beta):
    """Greedy DIoU-NMS transcribed from the paper / darknet (float64)."""
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        a, rest = boxes[i], []
        for j in order:
            b = boxes[j]
            iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0)
            ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0)
            u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih
            iou = iw * ih / u if u > 0 else 0.0
            c2 = (max(a[2], b[2]) - min(a[0], b[0])) ** 2 + (max(a[3], b[3]) - min(a[1], b[1])) ** 2
            rho2 = ((a[0] + a[2]) / 2 - (b[0] + b[2]) / 2) ** 2 + ((a[1] + a[3]) / 2 - (b[1] + b[3]) / 2) ** 2
            d = iou - (rho2 / c2) ** beta if c2 > 0 else iou
            if not d > thr:
                rest.append(j)
        order = rest
    return np.array(keep, np.int64)


@pytest.mark.parametrize("beta", [1.0, 0.6])
def test_diou_nms_equals_transcription(beta):
    rng = np.random.default_rng(4)
    for _ in range(100):
        boxes = random_boxes(rng, 60, np.float64)
        scores = rng.random(60)
        np.testing.assert_array_equal(lk.diou_nms(boxes, scores, 0.4, beta=beta),
                                      numpy_diou_nms(boxes, scores, 0.4, beta))


# ------------------------------------------------------------------------------ fast / cluster NMS
def test_fast_and_cluster_refuse_huge_bitmasks():
    boxes = np.tile(np.array([[0, 0, 1, 1]], np.float32), (40000, 1))
    scores = np.ones(40000, np.float32)
    with pytest.raises(ValueError, match="top_k"):
        lk.cluster_nms(boxes, scores, 0.5)
    assert lk.fast_nms(boxes, scores, 0.5, top_k=100).tolist() == [0]


def test_fast_and_cluster_chain():
    # A suppresses B, B would suppress C, A and C disjoint: greedy keeps A, C; Fast NMS only A.
    boxes = np.array([[0, 0, 10, 10], [6, 0, 16, 10], [12, 0, 22, 10]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    assert lk.nms(boxes, scores, 0.2).tolist() == [0, 2]
    assert lk.fast_nms(boxes, scores, 0.2).tolist() == [0]
    assert lk.cluster_nms(boxes, scores, 0.2).tolist() == [0, 2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cluster_nms_equals_nms_and_fast_is_subset(dtype):
    rng = np.random.default_rng(8)
    for case in range(400):
        n = int(rng.integers(0, 150))
        boxes = random_boxes(rng, n, dtype)
        scores = (rng.integers(0, 10, n) / 10).astype(dtype)
        thr = float(rng.choice([0.0, 0.3, 0.5, 0.6, 0.8]))
        ref = lk.nms(boxes, scores, thr)
        np.testing.assert_array_equal(lk.cluster_nms(boxes, scores, thr), ref, err_msg=f"case {case}")
        assert set(lk.fast_nms(boxes, scores, thr).tolist()) <= set(ref.tolist())
        top = np.argsort(-scores, kind="stable")[:20]  # cluster over the top 20 = nms over them
        np.testing.assert_array_equal(lk.cluster_nms(boxes, scores, thr, top_k=20),
                                      top[lk.nms(boxes[top], scores[top], thr)])


# ---------------------------------------------------------------------------------------- matrix NMS
def numpy_matrix_nms(boxes, scores, labels, kernel, sigma):
    """mmdet's mask_matrix_nms decay, transcribed on boxes (float64)."""
    order = np.argsort(-scores, kind="stable")
    b, s = boxes[order], scores[order]
    lt = np.maximum(b[:, None, :2], b[None, :, :2])
    rb = np.minimum(b[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area[:, None] + area[None, :] - inter
    iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0).astype(np.float64)
    iou = np.triu(iou, 1)
    if labels is not None:
        lab = labels[order]
        iou = iou * np.triu(lab[:, None] == lab[None, :], 1)
    comp = iou.max(0)
    comp = np.broadcast_to(comp, iou.shape).T
    with np.errstate(divide="ignore", invalid="ignore"):
        if kernel == "gaussian":
            dm = np.exp(-sigma * iou ** 2) / np.exp(-sigma * comp ** 2)
        else:
            dm = (1 - iou) / (1 - comp)
    return order, s * dm.min(0)


@pytest.mark.parametrize("kernel", ["gaussian", "linear"])
def test_matrix_nms_equals_mmdet_formula(kernel):
    rng = np.random.default_rng(21)
    for case in range(100):
        n = int(rng.integers(1, 60))
        boxes = random_boxes(rng, n, np.float64, degenerate_fraction=0.0)
        boxes[:, 2:] += 0.5  # no zero-area boxes, no full overlaps for the linear kernel
        scores = rng.random(n)
        labels = rng.integers(0, 3, n).astype(np.int64) if case % 2 else None
        order, dec = numpy_matrix_nms(boxes, scores, labels, kernel, 2.0)
        keep, got = lk.matrix_nms(boxes, scores, labels, kernel=kernel, sigma=2.0)
        ref = sorted(range(n), key=lambda r: -dec[r])  # stable: ties keep score order
        np.testing.assert_array_equal(keep, order[ref])
        np.testing.assert_allclose(got, dec[ref], rtol=1e-12)


def test_matrix_nms_hand_computed():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 5]], np.float64)  # IoU 0.5
    keep, s = lk.matrix_nms(boxes, np.array([0.9, 0.8]), sigma=2.0)
    assert keep.tolist() == [0, 1]
    np.testing.assert_allclose(s, [0.9, 0.8 * math.exp(-0.5)])
    keep, s = lk.matrix_nms(boxes, np.array([0.9, 0.8]), kernel="linear", filter_threshold=0.5)
    assert keep.tolist() == [0]  # 0.8 * 0.5 = 0.4 < 0.5
    keep, s = lk.matrix_nms(boxes, np.array([0.9, 0.8]), np.array([0, 1]))  # different labels: no decay
    np.testing.assert_allclose(s, [0.9, 0.8])


# ---------------------------------------------------------------------------------------- weighted NMS
def test_weighted_nms():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float64)
    scores = np.array([0.9, 0.1, 0.5])
    keep, fused = lk.weighted_nms(boxes, scores, 0.5)
    assert keep.tolist() == [0, 2]
    np.testing.assert_allclose(fused, [[0.1, 0.1, 10.1, 10.1], [50, 50, 60, 60]])
    rng = np.random.default_rng(2)
    for _ in range(50):
        b = random_boxes(rng, 100, np.float32)
        s = rng.random(100).astype(np.float32)
        np.testing.assert_array_equal(lk.weighted_nms(b, s, 0.5)[0], lk.nms(b, s, 0.5))


# ---------------------------------------------------------------------------------------- WBF
def ensemble_boxes_wbf(boxes_list, scores_list, labels_list, weights, iou_thr, skip_box_thr, conf_type,
                       allows_overflow=False):
    """An independent transcription of ensemble_boxes.weighted_boxes_fusion (float64, stable ties)."""
    weights = np.asarray(weights, np.float64)
    by_label = {}
    for t in range(len(boxes_list)):
        for j in range(len(boxes_list[t])):
            sc = float(scores_list[t][j])
            if sc < skip_box_thr:
                continue
            x1, y1, x2, y2 = map(float, boxes_list[t][j])
            x1, x2 = min(x1, x2), max(x1, x2)
            y1, y2 = min(y1, y2), max(y1, y2)
            x1, y1, x2, y2 = (min(1.0, max(0.0, v)) for v in (x1, y1, x2, y2))
            if (x2 - x1) * (y2 - y1) == 0.0:
                continue
            by_label.setdefault(int(labels_list[t][j]), []).append([sc * weights[t], weights[t], t, x1, y1, x2, y2])
    out = []
    for label in sorted(by_label):
        items = sorted(by_label[label], key=lambda r: -r[0])
        clusters, fused = [], []
        for it in items:
            best, best_iou = -1, iou_thr
            for ci, f in enumerate(fused):
                ix = max(min(f[2], it[5]) - max(f[0], it[3]), 0)
                iy = max(min(f[3], it[6]) - max(f[1], it[4]), 0)
                inter = ix * iy
                u = (f[2] - f[0]) * (f[3] - f[1]) + (it[5] - it[3]) * (it[6] - it[4]) - inter
                if inter / u > best_iou:
                    best, best_iou = ci, inter / u
            if best < 0:
                clusters.append([it])
                fused.append(list(it[3:]))
            else:
                clusters[best].append(it)
                sw = sum(c[0] for c in clusters[best])
                fused[best] = [sum(c[0] * c[3 + q] for c in clusters[best]) / sw for q in range(4)]
        for cl, f in zip(clusters, fused):
            n, sw = len(cl), sum(c[0] for c in cl)
            wm = sum(c[1] for c in cl)
            models = sorted({c[2] for c in cl})
            if conf_type == "max":
                conf = max(c[0] for c in cl) / weights.max()
            elif conf_type == "box_and_model_avg":
                conf = sw / n * n / wm * weights[models].sum() / weights.sum()
            elif conf_type == "absent_model_aware_avg":
                absent = np.ones(len(weights), bool)
                absent[models] = False
                conf = sw / n * n / (wm + weights[absent].sum())
            elif allows_overflow:
                conf = sw / n * n / weights.sum()
            else:
                conf = sw / n * min(len(weights), n) / weights.sum()
            out.append((conf, f, label))
    out.sort(key=lambda r: -r[0])
    return (np.array([r[1] for r in out]).reshape(-1, 4), np.array([r[0] for r in out]),
            np.array([r[2] for r in out], np.int64))


@pytest.mark.parametrize("conf_type", ["avg", "max", "box_and_model_avg", "absent_model_aware_avg"])
def test_wbf_equals_ensemble_boxes_transcription(conf_type):
    rng = np.random.default_rng(33)
    for case in range(60):
        m = int(rng.integers(1, 4))
        bl, sl, ll = [], [], []
        for _ in range(m):
            n = int(rng.integers(0, 30))
            b = random_boxes(rng, n, np.float64, extent=1.2, degenerate_fraction=0.05) - 0.1
            bl.append(b)
            sl.append(rng.random(n))
            ll.append(rng.integers(0, 3, n))
        w = rng.integers(1, 4, m).astype(np.float64)
        got = lk.weighted_boxes_fusion(bl, sl, ll, weights=w, iou_thr=0.55, skip_box_thr=0.05,
                                       conf_type=conf_type, allows_overflow=bool(case % 2))
        want = ensemble_boxes_wbf(bl, sl, ll, w, 0.55, 0.05, conf_type, allows_overflow=bool(case % 2))
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, err_msg=f"case {case}")
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(got[2], want[2])


def test_wbf_hand_computed():
    box = [[0.1, 0.1, 0.5, 0.5]]
    b, s, l = lk.weighted_boxes_fusion([np.array(box), np.array(box)], [np.array([0.8]), np.array([0.6])],
                                       [np.array([1]), np.array([1])], weights=[2, 1])
    np.testing.assert_allclose(b, box)
    np.testing.assert_allclose(s, [(1.6 + 0.6) / 2 * 2 / 3])
    assert l.tolist() == [1]
    b, s, l = lk.weighted_boxes_fusion([np.array(box)], [np.array([0.8])], [np.array([0])], conf_type="max")
    np.testing.assert_allclose(s, [0.8])
    with pytest.raises(ValueError, match="conf_type"):
        lk.weighted_boxes_fusion([np.array(box)], [np.array([0.8])], [np.array([0])], conf_type="median")


# ---------------------------------------------------------------------------------------- multiclass
def multiclass_oracle(boxes, scores, thr_score, thr_iou, per_class, total, agnostic, max_candidates=0):
    """Per image: candidates score > thr, torchvision nms per class (stable ties), merge by score
    then (box, class)."""
    B, N, C = scores.shape
    res = []
    for b in range(B):
        n_idx, c_idx = np.nonzero(scores[b] > np.float32(thr_score))
        if max_candidates:
            top = np.lexsort((n_idx * C + c_idx, -scores[b][n_idx, c_idx].astype(np.float64)))[:max_candidates]
            top.sort()
            n_idx, c_idx = n_idx[top], c_idx[top]
        flat = n_idx * C + c_idx
        sc = scores[b][n_idx, c_idx]
        bx = boxes[b][n_idx, c_idx] if boxes.ndim == 4 else boxes[b][n_idx]
        kept = []
        groups = [np.arange(len(flat))] if agnostic else [np.nonzero(c_idx == c)[0] for c in range(C)]
        for g in groups:
            k = tv_ops.nms(torch.from_numpy(bx[g]), torch.from_numpy(sc[g]), thr_iou).numpy()
            kept.extend(g[k[: (None if agnostic else per_class)]].tolist())
        kept = np.array(kept, np.int64)
        kept = kept[np.lexsort((flat[kept], -sc[kept].astype(np.float64)))][:total]
        res.append((bx[kept], sc[kept], c_idx[kept], n_idx[kept]))
    return res


@pytest.mark.skipif(torch is None, reason="torchvision not installed")
@pytest.mark.parametrize("per_class_boxes", [False, True])
@pytest.mark.parametrize("agnostic", [False, True])
def test_multiclass_nms_equals_per_class_oracle(per_class_boxes, agnostic):
    rng = np.random.default_rng(40 + per_class_boxes + 2 * agnostic)
    for case in range(30):
        B, N, C = int(rng.integers(1, 4)), int(rng.integers(0, 80)), int(rng.integers(1, 6))
        if per_class_boxes:
            boxes = random_boxes(rng, B * N * C, np.float32).reshape(B, N, C, 4)
        else:
            boxes = random_boxes(rng, B * N, np.float32).reshape(B, N, 4)
        scores = (rng.integers(0, 20, (B, N, C)) / 20).astype(np.float32)
        per_class, total = int(rng.integers(1, 10)), int(rng.integers(1, 40))
        max_candidates = int(rng.choice([0, 5, 30]))
        ob, os_, oc, oi, cnt = lk.multiclass_nms(boxes, scores, score_threshold=0.3, iou_threshold=0.5,
                                                 max_output_per_class=per_class, max_total=total,
                                                 max_candidates=max_candidates, class_agnostic=agnostic)
        assert ob.shape == (B, total, 4) and oc.dtype == np.int32 and oi.dtype == np.int64 and cnt.shape == (B,)
        oracle = multiclass_oracle(boxes, scores, 0.3, 0.5, per_class, total, agnostic, max_candidates)
        for b, (wb, ws, wc, wn) in enumerate(oracle):
            k = cnt[b]
            assert k == len(ws), f"case {case} image {b}"
            np.testing.assert_array_equal(oi[b, :k], wn)
            np.testing.assert_array_equal(oc[b, :k], wc)
            np.testing.assert_array_equal(os_[b, :k], ws)
            np.testing.assert_array_equal(ob[b, :k], wb)
            assert (oi[b, k:] == -1).all() and (oc[b, k:] == -1).all() and (os_[b, k:] == 0).all()
            assert (ob[b, k:] == 0).all()


def test_multiclass_nms_shapes_and_errors():
    boxes = np.zeros((2, 3, 4), np.float32)
    scores = np.zeros((2, 3, 5), np.float32)
    ob, os_, oc, oi, cnt = lk.multiclass_nms(boxes, scores, max_total=7)
    assert ob.shape == (2, 7, 4) and cnt.tolist() == [0, 0]
    # The result type the CUDA twin returns too (EfficientNMS dtypes: int32 classes and counts).
    res = lk.multiclass_nms(boxes, scores, max_total=7)
    assert isinstance(res, lk.MulticlassNMSResult) and res.boxes.shape == (2, 7, 4)
    assert res.classes.dtype == np.int32 and res.counts.dtype == np.int32 and res.indices.dtype == np.int64
    with pytest.raises(ValueError, match="boxes"):
        lk.multiclass_nms(np.zeros((2, 4, 4), np.float32), scores)
    with pytest.raises(ValueError, match="scores"):
        lk.multiclass_nms(boxes, np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="scores"):
        lk.multiclass_nms(boxes, scores.astype(np.float64))


@pytest.mark.skipif(cv2 is None, reason="OpenCV not installed")
@pytest.mark.parametrize("method", ["linear", "gaussian"])
def test_soft_nms_opencv_rule_is_bit_exact(method):
    # Issue 10 item 7: OpenCV computes the overlap of integer Rects in double, rounds it to float32
    # and compares it with a float32 threshold; at thresholds the IoU hits exactly (small integer
    # boxes) the default IoU in the boxes' dtype can decide differently. rule="opencv" is exact.
    rng = np.random.default_rng(23 if method == "linear" else 24)
    for case in range(400):
        # Small boxes on a 20 px grid (IoUs of 1/3, 1/2, ... exactly), zero-area ones too (OpenCV:
        # overlap 1 between two of them), scores in eighths (ties).
        xy, wh, boxes = int_rects(rng, 40, 20, 0, 12, np.float32)
        scores = (rng.integers(1, 9, len(boxes)) / 8).astype(np.float32)
        thr, sigma = float(rng.choice([0.2, 0.25, 1 / 3, 0.5, 0.6])), float(rng.choice([0.5, 1.0]))
        sthr = float(rng.choice([0.0, 0.01, 0.3]))
        cv_idx, cv_scores = cv_soft_nms(xy, wh, scores, sthr, thr, sigma, method)
        keep, upd = lk.soft_nms(boxes, scores, method=method, iou_threshold=thr, sigma=sigma, score_threshold=sthr,
                                rule="opencv")
        np.testing.assert_array_equal(keep, cv_idx, err_msg=f"case {case}")
        np.testing.assert_array_equal(upd, cv_scores, err_msg=f"case {case}")
