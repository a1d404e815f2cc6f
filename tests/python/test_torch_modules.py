"""The generic torch conversion in the other public modules (coders, matchers, anchors, poses):
tensors in -> tensors out with the NumPy path's values; any layout; torch.fx sees the custom ops."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
from locuskit import anchors, coders, match, pose
from conftest import random_boxes

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")


def same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for x, y in zip(got, want):
            same(x, y)
        return
    assert isinstance(got, torch.Tensor), type(got)
    np.testing.assert_array_equal(got.numpy(), want)


def test_coders_matchers_anchors_poses_return_tensors():
    rng = np.random.default_rng(0)
    anchors_np = random_boxes(rng, 64, np.float32, degenerate_fraction=0) + 1
    gt_np = random_boxes(rng, 64, np.float32, degenerate_fraction=0) + 1
    a, g = torch.from_numpy(anchors_np), torch.from_numpy(gt_np)
    coder = coders.BoxCoder((10.0, 10.0, 5.0, 5.0))
    deltas = coder.encode(g, a)
    same(deltas, coder.encode(gt_np, anchors_np))
    same(coder.decode(deltas, a), coder.decode(deltas.numpy(), anchors_np))
    matcher = match.Matcher(0.5, 0.4, allow_low_quality_matches=True)
    same(matcher.match_boxes(g[:8], a), matcher.match_boxes(gt_np[:8], anchors_np))
    rows, cols = match.linear_sum_assignment(torch.from_numpy(rng.random((6, 9))))
    assert isinstance(rows, torch.Tensor) and rows.dtype == torch.int64
    omega = rng.normal(0, 1, (10, 3))
    same(pose.so3_exp(torch.from_numpy(omega)), pose.so3_exp(omega))
    # a transposed (non-contiguous) tensor is copied once, same values
    same(pose.so3_exp(torch.from_numpy(np.ascontiguousarray(omega.T)).t()), pose.so3_exp(omega))
    flags = anchors.anchor_inside_flags(a, (200, 200))
    same(flags, anchors.anchor_inside_flags(anchors_np, (200, 200)))


def test_detr_matcher_takes_any_integer_label_dtype():
    rng = np.random.default_rng(1)
    probs = torch.from_numpy(rng.random((12, 5)).astype(np.float32)).softmax(-1)
    pb = torch.from_numpy(rng.random((12, 4)).astype(np.float32) * 0.5 + 0.25)
    gb = torch.from_numpy(rng.random((4, 4)).astype(np.float32) * 0.5 + 0.25)
    want = match.HungarianMatcher()(probs, pb, torch.tensor([0, 3, 1, 4]), gb)
    for dtype in (torch.int8, torch.uint8, torch.int32):
        got = match.HungarianMatcher()(probs, pb, torch.tensor([0, 3, 1, 4], dtype=dtype), gb)
        assert all(torch.equal(x, y) for x, y in zip(got, want))


def test_torch_fx_records_the_custom_op():
    import torch.fx

    locuskit.register_torch_ops()

    class PostProcess(torch.nn.Module):
        def forward(self, boxes, scores):
            return torch.ops.locuskit.nms(boxes, scores, 0.5)

    gm = torch.fx.symbolic_trace(PostProcess())
    assert any(n.op == "call_function" and "locuskit" in str(n.target) for n in gm.graph.nodes)
    rng = np.random.default_rng(2)
    b = torch.from_numpy(random_boxes(rng, 50))
    s = torch.from_numpy(rng.random(50).astype(np.float32))
    assert torch.equal(gm(b, s), tvops.nms(b, s, 0.5))
