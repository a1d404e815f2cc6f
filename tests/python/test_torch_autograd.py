"""Autograd through locuskit's analytic gradients: losses, aligned IoU family, box_convert and
sigmoid_focal_loss. Forward values and gradients of BOTH arguments against torchvision's autograd on
randomized inputs (fixed seeds) incl. inverted/degenerate predictions; gradcheck in float64; a tiny
SGD loop whose parameters equal the torchvision-loss run."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
from conftest import random_boxes

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")

LOSSES = ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"]


def pairs(seed, n, dtype=np.float64, inverted_fraction=0.0, degenerate_fraction=0.1):
    rng = np.random.default_rng(seed)
    target = random_boxes(rng, n, dtype, negative=True, clustered=False, degenerate_fraction=degenerate_fraction)
    pred = (target + rng.normal(0, 6, size=(n, 4))).astype(dtype)
    pred = np.concatenate([np.minimum(pred[:, :2], pred[:, 2:]), np.maximum(pred[:, :2], pred[:, 2:])], axis=1)
    inv = rng.random(n) < inverted_fraction  # x1 > x2 and/or y1 > y2, as an untrained head emits
    pred[inv] = pred[inv][:, [2, 3, 0, 1]]
    return np.ascontiguousarray(pred.astype(dtype)), target


def both_grads(f, p, t, **kw):
    p = p.clone().requires_grad_()
    t = t.clone().requires_grad_()
    out = f(p, t, **kw)
    w = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * w).sum().backward()
    return out.detach(), p.grad, t.grad


def finite_where_torchvision_is(ours, ref):
    """CIoU: torchvision's autograd of atan(w / h) at h = 0 is inf * 0 = NaN (for the box with the
    zero height); ours is the limit h / (w^2 + h^2) = 0, finite. Compare the rows torchvision
    defines and require ours finite everywhere."""
    for o in ours:
        assert torch.isfinite(o).all()
    if ref[1].dim() < 2:
        return ours, ref
    ok = torch.isfinite(ref[1]).all(dim=1) & torch.isfinite(ref[2]).all(dim=1)
    assert ok.float().mean() > 0.8
    pick = (lambda v: v) if ref[0].dim() == 0 else (lambda v: v[ok])
    return (pick(ours[0]), ours[1][ok], ours[2][ok]), (pick(ref[0]), ref[1][ok], ref[2][ok])


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_loss_values_and_both_gradients_equal_torchvision(name, dtype, reduction):
    p, t = pairs(1, 500, dtype, inverted_fraction=0.1)
    pt, tt = torch.from_numpy(p), torch.from_numpy(t)
    ours = both_grads(getattr(locuskit, name), pt, tt, reduction=reduction)
    ref = both_grads(getattr(tvops, name), pt, tt, reduction=reduction)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)
    ours, ref = finite_where_torchvision_is(ours, ref)
    if reduction == "none":
        # per-pair values: the kernel is torchvision's operation order (CIoU: atan differs by ulps)
        if name == "complete_box_iou_loss":
            torch.testing.assert_close(ours[0], ref[0], **tol)
        else:
            assert torch.equal(ours[0], ref[0])
    else:
        torch.testing.assert_close(ours[0], ref[0], **tol)
    torch.testing.assert_close(ours[1], ref[1], **tol)
    torch.testing.assert_close(ours[2], ref[2], **tol)


@pytest.mark.parametrize("name", LOSSES)
def test_inverted_and_degenerate_predictions_give_torchvision_values(name):
    t = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 10.], [0., 0., 10., 10.], [5., 5., 5., 5.]], dtype=torch.float64)
    p = torch.tensor([[10., 10., 0., 0.], [3., 3., 3., 3.], [8., 2., 2., 8.], [5., 5., 5., 5.]], dtype=torch.float64)
    ours = both_grads(getattr(locuskit, name), p, t)
    ref = both_grads(getattr(tvops, name), p, t)
    finite = torch.isfinite(ref[0])
    assert torch.equal(torch.isfinite(ours[0]), finite) or name == "complete_box_iou_loss"
    torch.testing.assert_close(ours[0][finite], ref[0][finite], rtol=1e-12, atol=1e-12)
    ok = torch.isfinite(ref[1]).all(dim=1) & torch.isfinite(ref[2]).all(dim=1)
    torch.testing.assert_close(ours[1][ok], ref[1][ok], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ours[2][ok], ref[2][ok], rtol=1e-12, atol=1e-12)


def test_single_box_and_leading_dims_as_torchvision():
    p, t = pairs(2, 12)
    pt, tt = torch.from_numpy(p).reshape(3, 4, 4), torch.from_numpy(t).reshape(3, 4, 4)
    got = locuskit.generalized_box_iou_loss(pt, tt)
    assert got.shape == (3, 4)
    assert torch.equal(got, tvops.generalized_box_iou_loss(pt, tt))
    one = locuskit.distance_box_iou_loss(pt[0, 0], tt[0, 0])
    assert one.shape == () and torch.equal(one, tvops.distance_box_iou_loss(pt[0, 0], tt[0, 0]))


ALIGNED = [("box_iou_aligned", "box_iou"), ("generalized_box_iou_aligned", "generalized_box_iou"),
           ("distance_box_iou_aligned", "distance_box_iou"), ("complete_box_iou_aligned", "complete_box_iou")]


@pytest.mark.parametrize("name,tv_name", ALIGNED)
def test_aligned_family_gradients_equal_torchvision_diagonal(name, tv_name):
    p, t = pairs(3, 60)
    pt, tt = torch.from_numpy(p), torch.from_numpy(t)
    ours = both_grads(getattr(locuskit, name), pt, tt)
    ref = both_grads(lambda a, b: torch.diagonal(getattr(tvops, tv_name)(a, b)), pt, tt)
    ours, ref = finite_where_torchvision_is(ours, ref)
    torch.testing.assert_close(ours[0], ref[0], rtol=1e-13, atol=1e-14)
    # DIoU/CIoU: the metric has no eps in the IoU part, the loss kernel's gradient does (eps/union)
    tol = dict(rtol=1e-12, atol=1e-12) if name in ("box_iou_aligned", "generalized_box_iou_aligned") \
        else dict(rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(ours[1], ref[1], **tol)
    torch.testing.assert_close(ours[2], ref[2], **tol)


def test_box_ioa_aligned_refuses_grad():
    p, t = pairs(4, 5)
    with pytest.raises(TypeError, match="box_ioa_aligned"):
        locuskit.box_ioa_aligned(torch.from_numpy(p).requires_grad_(), torch.from_numpy(t))


@pytest.mark.parametrize("fmts", [("xyxy", "cxcywh"), ("cxcywh", "xyxy"), ("xyxy", "xywh"), ("xywh", "xyxy"),
                                  ("xywh", "cxcywh"), ("cxcywh", "xywh"), ("xyxy", "xyxy")])
def test_box_convert_gradient_equals_torchvision_and_gradgradcheck(fmts):
    rng = np.random.default_rng(5)
    xywh = torch.from_numpy(np.abs(rng.normal(10, 3, (20, 4))))  # valid boxes, written in fmts[0]
    b = tvops.box_convert(xywh, "xywh", fmts[0])
    ours = both_grads(lambda a, _b: locuskit.box_convert(a, *fmts), b, b)
    ref = both_grads(lambda a, _b: tvops.box_convert(a, *fmts), b, b)
    assert torch.equal(ours[0], ref[0])
    torch.testing.assert_close(ours[1], ref[1], rtol=0, atol=1e-15)
    x = b[:5].clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda a: locuskit.box_convert(a, *fmts), (x,))
    assert torch.autograd.gradgradcheck(lambda a: locuskit.box_convert(a, *fmts), (x,))


# CIoU is left out of gradcheck on purpose: torchvision treats alpha as a constant (no_grad), so its
# gradient is not the derivative of the forward value; it is checked against torchvision's above.
GRADCHECK_LOSSES = ["box_iou_loss", "generalized_box_iou_loss", "distance_box_iou_loss"]
GRADCHECK_ALIGNED = [a for a in ALIGNED if a[0] != "complete_box_iou_aligned"]


def test_ciou_gradient_is_torchvisions_not_the_derivative():
    """Why CIoU is not in gradcheck: torchvision's own CIoU loss fails it too (alpha under no_grad)."""
    p, t = pairs(6, 8, degenerate_fraction=0)
    pt = torch.from_numpy(p + 0.25).requires_grad_()
    assert not torch.autograd.gradcheck(lambda a: tvops.complete_box_iou_loss(a, torch.from_numpy(t)), (pt,),
                                        raise_exception=False)


@pytest.mark.parametrize("name", GRADCHECK_LOSSES)
def test_gradcheck_losses_both_arguments(name):
    p, t = pairs(6, 8, degenerate_fraction=0)
    # keep away from kinks (ties of min/max, touching edges) where finite differences are one-sided
    pt = torch.from_numpy(p + 0.25).requires_grad_()
    tt = torch.from_numpy(t).requires_grad_()
    f = getattr(locuskit, name)
    assert torch.autograd.gradcheck(lambda a, b: f(a, b), (pt, tt))
    assert torch.autograd.gradcheck(lambda a, b: f(a, b, reduction="mean"), (pt, tt))


@pytest.mark.parametrize("name,_", GRADCHECK_ALIGNED)
def test_gradcheck_aligned(name, _):
    p, t = pairs(7, 8, degenerate_fraction=0)
    pt = torch.from_numpy(p + 0.25).requires_grad_()
    tt = torch.from_numpy(t).requires_grad_()
    assert torch.autograd.gradcheck(getattr(locuskit, name), (pt, tt))


def test_losses_are_once_differentiable():
    p, t = pairs(8, 4)
    pt = torch.from_numpy(p).requires_grad_()
    (g,) = torch.autograd.grad(locuskit.generalized_box_iou_loss(pt, torch.from_numpy(t), reduction="sum"), pt,
                               create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|twice|does not require grad"):
        g.sum().backward()


def test_sigmoid_focal_loss_gradients_equal_torchvision():
    rng = np.random.default_rng(9)
    x = torch.from_numpy(rng.normal(0, 3, (40, 5)))
    t = torch.from_numpy(rng.random((40, 5)))  # soft targets: the target gradient is exercised too
    for alpha, gamma in ((0.25, 2.0), (-1, 2.0), (0.3, 1.0)):
        ours = both_grads(lambda a, b: locuskit.sigmoid_focal_loss(a, b, alpha, gamma), x, t)
        ref = both_grads(lambda a, b: tvops.sigmoid_focal_loss(a, b, alpha, gamma), x, t)
        for o, r in zip(ours, ref):
            torch.testing.assert_close(o, r, rtol=1e-10, atol=1e-12)
    xx, tt = x[:4].clone().requires_grad_(), t[:4].clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: locuskit.sigmoid_focal_loss(a, b, reduction="sum"), (xx, tt))


def test_tiny_training_loop_matches_torchvision_loss():
    """A few SGD steps on random boxes with the GIoU loss: same parameters as with torchvision's."""
    rng = np.random.default_rng(10)
    features = torch.from_numpy(rng.normal(0, 1, (64, 8)).astype(np.float32))
    target = torch.from_numpy(random_boxes(rng, 64, np.float32, extent=10.0))

    def run(loss_fn):
        torch.manual_seed(0)
        head = torch.nn.Linear(8, 4)
        opt = torch.optim.SGD(head.parameters(), lr=0.05)
        for _ in range(20):
            raw = head(features)
            pred = torch.cat([raw[:, :2], raw[:, :2] + raw[:, 2:].exp()], dim=1) + target[:, :2].repeat(1, 2)
            loss = loss_fn(pred, target, reduction="mean")
            opt.zero_grad()
            loss.backward()
            opt.step()
        return [p.detach().clone() for p in head.parameters()], float(loss)

    ours, loss_ours = run(locuskit.generalized_box_iou_loss)
    ref, loss_ref = run(tvops.generalized_box_iou_loss)
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert abs(loss_ours - loss_ref) < 1e-5


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_precision_backward_in_input_dtype(half):
    """float16/bfloat16 predictions: computed in float32, loss and gradient in the input dtype,
    equal to torchvision's float32 run rounded to that dtype."""
    p, t = pairs(11, 64, np.float32, degenerate_fraction=0)
    ph = torch.from_numpy(p).to(half).requires_grad_()
    th = torch.from_numpy(t).to(half)
    loss = locuskit.generalized_box_iou_loss(ph, th, reduction="sum")
    loss.backward()
    assert loss.dtype == half and ph.grad.dtype == half
    p32 = ph.detach().float().requires_grad_()
    want = tvops.generalized_box_iou_loss(p32, th.float(), reduction="sum")
    want.backward()
    torch.testing.assert_close(loss, want.to(half), rtol=2 ** -7, atol=0)
    torch.testing.assert_close(ph.grad, p32.grad.to(half), rtol=2 ** -7, atol=1e-6)  # within 1 ulp of half


PAIRWISE = ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"]


@pytest.mark.parametrize("name", PAIRWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pairwise_gradients_equal_torchvision(name, dtype):
    rng = np.random.default_rng(12)
    b1 = torch.from_numpy(random_boxes(rng, 30, dtype, degenerate_fraction=0))
    b2 = torch.from_numpy(random_boxes(rng, 20, dtype, degenerate_fraction=0))
    ours = both_grads(getattr(locuskit, name), b1, b2)
    ref = both_grads(getattr(tvops, name), b1, b2)
    if name == "complete_box_iou":
        torch.testing.assert_close(ours[0], ref[0], rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    else:
        assert torch.equal(ours[0], ref[0])
    # DIoU/CIoU: eps / union in the IoU part of the gradient (see the aligned test)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else (
        dict(rtol=1e-11, atol=1e-12) if name in ("box_iou", "generalized_box_iou") else dict(rtol=1e-6, atol=1e-9))
    torch.testing.assert_close(ours[1], ref[1], **tol)
    torch.testing.assert_close(ours[2], ref[2], **tol)


@pytest.mark.parametrize("name", PAIRWISE[:3])
def test_gradcheck_pairwise(name):
    p, t = pairs(13, 5, degenerate_fraction=0)
    pt = torch.from_numpy(p + 0.25).requires_grad_()
    tt = torch.from_numpy(t[:3]).requires_grad_()
    assert torch.autograd.gradcheck(getattr(locuskit, name), (pt, tt))


def test_detr_style_diagonal_of_the_pairwise_giou(monkeypatch):
    """DETR's loss: 1 - diag(generalized_box_iou(pred, target)); the backward is chunked by rows."""
    from locuskit import _autograd

    monkeypatch.setattr(_autograd, "_PAIR_CHUNK", 64)  # several chunks on a small matrix
    p, t = pairs(14, 40, degenerate_fraction=0)
    pt, tt = torch.from_numpy(p), torch.from_numpy(t)
    ours = both_grads(lambda a, b: 1 - torch.diag(locuskit.generalized_box_iou(a, b)), pt, tt)
    ref = both_grads(lambda a, b: 1 - torch.diag(tvops.generalized_box_iou(a, b)), pt, tt)
    for o, r in zip(ours, ref):
        torch.testing.assert_close(o, r, rtol=1e-11, atol=1e-12)
    with pytest.raises(ValueError, match="out"):
        locuskit.box_iou(pt.clone().requires_grad_(), tt, out=torch.empty(40, 40, dtype=torch.float64))
