"""IoU-guided NMS (IoU-Net Algorithm 1) against the numpy reference and its 16 cases; IoU-aware
score fusion; Algorithm 2 (optimization-based refinement) on a synthetic problem."""
from __future__ import annotations

import importlib.util
import json
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from locuskit import roi as lroi

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "iou_guided_nms"
_spec = importlib.util.spec_from_file_location("iou_guided_nms_ref", DATA / "iou_guided_nms_ref.py")
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)
CASES = json.loads((DATA / "cases.json").read_text())["cases"]


def run_case(c):
    n = len(c["boxes"])
    kw = dict(suppress_equal=c.get("suppress_equal", False))
    cls = np.array(c["cls_scores"], np.float64).reshape(n)
    loc = np.array(c["loc_scores"], np.float64).reshape(n)
    if c["iou"] == "xyxy":
        boxes = np.array(c["boxes"], np.float64).reshape(n, 4)
        labels = None if c["labels"] is None else np.array(c["labels"], np.int64)
        return lroi.iou_guided_nms(boxes, cls, loc, c["iou_threshold"], labels=labels, **kw)
    # any other overlap (here rotated boxes): the pairwise form with the reference's IoU function
    assert c["labels"] is None
    m = np.array([[ref.IOU_FUNCS[c["iou"]](a, b) for b in c["boxes"]] for a in c["boxes"]], np.float64).reshape(n, n)
    return lroi.iou_guided_nms_pairwise(m, cls, loc, c["iou_threshold"], **kw)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_every_reference_case(case):
    keep, scores = run_case(case)
    assert keep.dtype == np.int64
    assert keep.tolist() == case["expected"]["keep"]
    assert scores.tolist() == case["expected"]["scores"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(0, 60), seed=st.integers(0, 2**31), thr=st.sampled_from([0.0, 0.3, 0.5, 0.7]),
       eq=st.booleans(), levels=st.sampled_from([3, 1000]), labelled=st.booleans())
def test_random_inputs_equal_the_reference(n, seed, thr, eq, levels, labelled):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, (n, 2)).round(1)
    boxes = np.concatenate([xy, xy + rng.uniform(0, 20, (n, 2)).round(1)], 1)
    cls = rng.integers(0, levels, n) / levels
    loc = rng.integers(0, levels, n) / levels  # ties in the ranking score
    labels = rng.integers(0, 3, n).astype(np.int64)
    if labelled:
        want = ref.batched_iou_guided_nms(boxes, cls, loc, labels, thr, suppress_equal=eq)
        got = lroi.iou_guided_nms(boxes, cls, loc, thr, labels=labels, suppress_equal=eq)
    else:
        want = ref.iou_guided_nms(boxes, cls, loc, thr, suppress_equal=eq) if n else ([], [])
        got = lroi.iou_guided_nms(boxes, cls, loc, thr, suppress_equal=eq)
    assert got[0].tolist() == list(want[0])
    assert got[1].tolist() == list(want[1])
    if n:  # float32 boxes and the pairwise form agree on the same problem (float32 IoUs)
        k2, s2 = lroi.iou_guided_nms(boxes.astype(np.float32), cls.astype(np.float32), loc.astype(np.float32),
                                     thr, suppress_equal=eq, max_output=3)
        assert len(k2) <= 3


def test_torch_in_torch_out_and_validation():
    torch = pytest.importorskip("torch")
    b = torch.tensor([[0.0, 0, 10, 10], [1, 0, 11, 10]])
    keep, scores = lroi.iou_guided_nms(b, torch.tensor([0.9, 0.6]), torch.tensor([0.55, 0.92]), 0.5)
    assert isinstance(keep, torch.Tensor) and keep.tolist() == [1]
    assert scores.tolist() == pytest.approx([0.9])
    with pytest.raises(ValueError, match="loc_scores"):
        lroi.iou_guided_nms(np.zeros((2, 4)), np.zeros(2), np.array([0.1, np.nan]), 0.5)
    with pytest.raises(ValueError, match="boxes"):
        lroi.iou_guided_nms(np.array([[0, 0, -1, 1.0]]), np.zeros(1), np.zeros(1), 0.5)
    with pytest.raises(TypeError, match="loc_scores"):
        lroi.iou_guided_nms(np.zeros((1, 4)), np.zeros(1), np.zeros(1, np.float32), 0.5)


def test_iou_aware_scores_fusion():
    cls = np.array([0.25, 1.0, 0.0, 0.81])
    loc = np.array([0.64, 0.5, 0.3, 0.0])
    np.testing.assert_allclose(lroi.iou_aware_scores(cls, loc, 0.5), [0.4, np.sqrt(0.5), 0.0, 0.0])
    np.testing.assert_allclose(lroi.iou_aware_scores(cls, loc, 0.3), loc ** 0.3 * cls ** 0.7)
    np.testing.assert_array_equal(lroi.iou_aware_scores(cls, loc, 0.0), cls)
    with pytest.raises(ValueError, match="alpha"):
        lroi.iou_aware_scores(cls, loc, 1.5)
    with pytest.raises(ValueError, match="cls_scores"):
        lroi.iou_aware_scores(cls + 1, loc, 0.5)


def test_refine_boxes_improves_true_iou_through_prroi_pool():
    """Algorithm 2 on a synthetic scene: the 'IoU head' is inter / union with the intersection
    estimated from PrRoIPool of an object mask (mean over the box x box area), so its gradient
    w.r.t. the box flows through PrRoIPool's box gradient. Refinement must raise the true IoU."""
    torch = pytest.importorskip("torch")
    H = W = 64
    gt = torch.tensor([18.0, 22.0, 46.0, 50.0], dtype=torch.float64)
    yy, xx = torch.meshgrid(torch.arange(H, dtype=torch.float64), torch.arange(W, dtype=torch.float64), indexing="ij")
    mask = ((xx >= gt[0]) & (xx <= gt[2]) & (yy >= gt[1]) & (yy <= gt[3])).to(torch.float64)[None, None]
    gt_area = float(mask.sum())

    def predicted_iou(boxes):
        rois = torch.cat([torch.zeros(boxes.shape[0], 1, dtype=boxes.dtype), boxes], dim=1)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        inter = lroi.prroi_pool(mask, rois, 1, 1.0).reshape(-1) * area
        return inter / (area + gt_area - inter)

    def true_iou(boxes):
        iw = (torch.minimum(boxes[:, 2], gt[2]) - torch.maximum(boxes[:, 0], gt[0])).clamp(min=0)
        ih = (torch.minimum(boxes[:, 3], gt[3]) - torch.maximum(boxes[:, 1], gt[1])).clamp(min=0)
        inter = iw * ih
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        return inter / (area + (gt[2] - gt[0]) * (gt[3] - gt[1]) - inter)

    g = torch.Generator().manual_seed(0)
    boxes = gt + torch.randn(12, 4, generator=g, dtype=torch.float64) * 4.0
    before = true_iou(boxes)
    refined = lroi.refine_boxes(boxes, predicted_iou, steps=10, step_size=1.0)
    after = true_iou(refined)
    assert refined.shape == boxes.shape and not refined.requires_grad
    assert float(after.mean()) > float(before.mean()) + 0.05
    assert int((after > before).sum()) >= 10
    # frozen boxes stay: zero steps is the identity
    assert torch.equal(lroi.refine_boxes(boxes, predicted_iou, steps=0), boxes)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ranked_by_loc_it_keeps_exactly_greedy_nms(dtype):
    import locuskit as lk

    rng = np.random.default_rng(7)
    for n, thr in [(3000, 0.5), (800, 0.3), (5000, 0.7)]:
        xy = rng.uniform(0, 400, (n, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(4, 60, (n, 2))], 1).astype(dtype)
        loc = rng.random(n).astype(dtype)
        cls = rng.random(n).astype(dtype)
        keep, scores = lroi.iou_guided_nms(boxes, cls, loc, thr)
        np.testing.assert_array_equal(keep, lk.nms(boxes, loc, thr))
        assert np.all(scores >= cls[keep])
