"""torch.ops.locuskit.*: registered with torch.library; torch.jit.script compiles calls to them,
torch.jit.trace records the op (not constants), autograd flows through the differentiable ones."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
from conftest import random_boxes

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")

locuskit.register_torch_ops()


def data(seed, n=100):
    rng = np.random.default_rng(seed)
    return torch.from_numpy(random_boxes(rng, n)), torch.from_numpy(rng.random(n).astype(np.float32))


def test_every_op_is_registered_under_the_locuskit_namespace():
    for name in locuskit._library.registered_ops():
        assert hasattr(torch.ops.locuskit, name), name
    b, s = data(0)
    assert torch.equal(torch.ops.locuskit.nms(b, s, 0.5), tvops.nms(b, s, 0.5))
    ids = torch.arange(100, dtype=torch.int32) % 3
    assert torch.equal(torch.ops.locuskit.batched_nms(b, s, ids, 0.5), tvops.batched_nms(b, s, ids, 0.5))
    # locuskit's default 0 for 0/0 (two zero-area boxes), torchvision's NaN
    assert torch.equal(torch.ops.locuskit.box_iou(b, b), torch.nan_to_num(tvops.box_iou(b, b), nan=0.0))
    assert torch.equal(torch.ops.locuskit.clip_boxes_to_image(b, [30, 40]), tvops.clip_boxes_to_image(b, (30, 40)))
    loss = torch.ops.locuskit.generalized_box_iou_loss(b, b.flip(0), "sum")
    assert loss.shape == () and torch.equal(loss, tvops.generalized_box_iou_loss(b, b.flip(0), "sum"))


def test_register_is_idempotent():
    assert locuskit.register_torch_ops() is False


@torch.jit.script
def _scripted_postprocess(boxes: torch.Tensor, scores: torch.Tensor, thr: float) -> torch.Tensor:
    keep = torch.ops.locuskit.nms(boxes, scores, thr)
    return torch.ops.locuskit.box_area(boxes[keep])


@torch.jit.script
def _scripted_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.ops.locuskit.generalized_box_iou_loss(pred, target, "mean", 1e-7)


def test_jit_script_calls_the_ops():
    b, s = data(1)
    want = tvops.box_area(b[tvops.nms(b, s, 0.4)])
    assert torch.equal(_scripted_postprocess(b, s, 0.4), want)
    assert "locuskit::nms" in str(_scripted_postprocess.graph)
    p = b.clone().requires_grad_()
    loss = _scripted_loss(p, b.flip(0))
    loss.backward()
    q = b.clone().requires_grad_()
    tvops.generalized_box_iou_loss(q, b.flip(0), reduction="mean").backward()
    torch.testing.assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-6)


def test_jit_trace_records_the_op_not_constants():
    b, s = data(2)
    traced = torch.jit.trace(lambda x, y: torch.ops.locuskit.nms(x, y, 0.5), (b, s))
    assert "locuskit::nms" in str(traced.graph)
    b2, s2 = data(3)  # new inputs: a baked-in constant would return the first call's result
    assert torch.equal(traced(b2, s2), tvops.nms(b2, s2, 0.5))
    p, t = b.clone().requires_grad_(), b.flip(0)
    traced_loss = torch.jit.trace(lambda x, y: torch.ops.locuskit.distance_box_iou_loss(x, y, "sum", 1e-7),
                                  (p, t), check_trace=False)
    assert "locuskit::distance_box_iou_loss" in str(traced_loss.graph)
    assert torch.equal(traced_loss(b2, b2.flip(0)), tvops.distance_box_iou_loss(b2, b2.flip(0), "sum"))


def test_meta_kernels_give_shapes_without_data():
    a = torch.empty((3, 4), device="meta")
    r = torch.ops.locuskit.box_area(a)
    assert r.device.type == "meta" and r.shape == (3,) and r.dtype == torch.float32
    assert torch.ops.locuskit.clip_boxes_to_image(a, [10, 10]).shape == (3, 4)
    m = torch.ops.locuskit.masks_to_boxes(torch.empty((7, 5, 5), device="meta", dtype=torch.bool))
    assert m.shape == (7, 4) and m.dtype == torch.float32


def test_pairwise_op_is_differentiable_through_torch_ops():
    b = torch.from_numpy(random_boxes(np.random.default_rng(4), 20, degenerate_fraction=0))
    p = b.clone().requires_grad_()
    torch.ops.locuskit.generalized_box_iou(p, b.flip(0)).diagonal().sum().backward()
    q = b.clone().requires_grad_()
    tvops.generalized_box_iou(q, b.flip(0)).diagonal().sum().backward()
    torch.testing.assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-6)
