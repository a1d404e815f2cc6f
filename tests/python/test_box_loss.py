"""IoU-family losses and their analytic gradients: torchvision values, torch autograd, finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
from conftest import random_boxes

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")


def tv_iou_loss(b1, b2, reduction="none", eps=1e-7):
    """Plain IoU loss with torchvision's loss intersection (torchvision 0.14 has no IoU loss)."""
    from torchvision.ops._utils import _loss_inter_union

    inter, union = _loss_inter_union(b1, b2)
    loss = 1 - inter / (union + eps)
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


LOSSES = {
    "iou": (locuskit.box_iou_loss, tv_iou_loss),
    "giou": (locuskit.generalized_box_iou_loss, tvops.generalized_box_iou_loss),
    "diou": (locuskit.distance_box_iou_loss, tvops.distance_box_iou_loss),
    "ciou": (locuskit.complete_box_iou_loss, tvops.complete_box_iou_loss),
}


def pairs(rng, n, dtype, degenerate_fraction=0.1):
    """Predictions near their targets (overlapping or not), negative coordinates included."""
    target = random_boxes(rng, n, dtype, negative=True, degenerate_fraction=degenerate_fraction, clustered=False)
    shift = rng.normal(0, 8, size=(n, 4))
    pred = target + shift
    pred = np.concatenate([np.minimum(pred[:, :2], pred[:, 2:]), np.maximum(pred[:, :2], pred[:, 2:])], axis=1)
    dup = rng.random(n) < 0.05  # exact duplicates: every min/max ties
    pred[dup] = target[dup]
    return np.ascontiguousarray(pred.astype(dtype)), target


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", list(LOSSES))
def test_loss_values_match_torchvision(dtype, kind):
    ours, theirs = LOSSES[kind]
    rng = np.random.default_rng(202)
    for case in range(40):
        pred, target = pairs(rng, int(rng.integers(0, 200)), dtype)
        tp, tt = torch.from_numpy(pred), torch.from_numpy(target)
        got = ours(pred, target, degenerate="nan")
        ref = theirs(tp, tt).numpy()
        assert got.dtype == dtype and got.shape == (len(pred),)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        if kind == "ciou":
            np.testing.assert_allclose(got, ref, rtol=0, atol=8 * np.finfo(dtype).eps, equal_nan=True)
        else:
            np.testing.assert_array_equal(got, ref)  # bitwise
        for reduction in ("sum", "mean"):
            r = ours(pred, target, reduction, degenerate="nan")
            assert np.ndim(r) == 0 and r.dtype == dtype
            finite = ~np.isnan(ref)
            expect = theirs(tp[finite], tt[finite], reduction).item() if len(pred) else 0.0
            if finite.all():
                np.testing.assert_allclose(r, expect, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


@pytest.mark.parametrize("kind", list(LOSSES))
def test_ciou_eps_quirk_and_eps_passthrough(kind):
    ours, theirs = LOSSES[kind]
    rng = np.random.default_rng(9)
    pred, target = pairs(rng, 300, np.float64, degenerate_fraction=0)
    for eps in (1e-7, 1e-2, 0.5):
        got = ours(pred, target, eps=eps)
        ref = theirs(torch.from_numpy(pred), torch.from_numpy(target), eps=eps).numpy()
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", list(LOSSES))
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_gradients_match_torch_autograd(kind, reduction):
    ours, theirs = LOSSES[kind]
    rng = np.random.default_rng(77)
    pred, target = pairs(rng, 2000, np.float64)
    loss, grad = ours(pred, target, reduction, return_grad=True, degenerate="nan")
    tp = torch.from_numpy(pred.copy()).requires_grad_(True)
    out = theirs(tp, torch.from_numpy(target), reduction="sum" if reduction == "none" else reduction)
    out.backward()
    ref = tp.grad.numpy()
    assert grad.shape == pred.shape and grad.dtype == np.float64
    # torch's atan derivative is 0 * inf = NaN for a zero-height box; ours is the limit. Compare
    # where both sides are defined, and check ours is finite for the non-degenerate pairs.
    sizes = np.concatenate([pred[:, 2:] - pred[:, :2], target[:, 2:] - target[:, :2]], axis=1)
    regular = (sizes > 0).all(axis=1)
    assert regular.sum() > 1500
    np.testing.assert_allclose(grad[regular], ref[regular], rtol=1e-9, atol=1e-12)
    assert np.isfinite(grad[regular]).all()


@pytest.mark.parametrize("kind", list(LOSSES))
def test_gradients_match_central_differences_float64(kind):
    ours, _ = LOSSES[kind]
    rng = np.random.default_rng(55)
    pred, target = pairs(rng, 500, np.float64, degenerate_fraction=0)
    pred += rng.uniform(0, 1e-3, size=pred.shape)  # break exact ties: kinks are not differentiable
    pred = np.ascontiguousarray(np.concatenate([pred[:, :2], np.maximum(pred[:, 2:], pred[:, :2] + 1e-2)], axis=1))
    _, grad = ours(pred, target, return_grad=True)
    h = 1e-6
    fd = np.zeros_like(pred)
    for c in range(4):
        plus, minus = pred.copy(), pred.copy()
        plus[:, c] += h
        minus[:, c] -= h
        if kind == "ciou":
            # alpha is a constant of the gradient (torchvision: no_grad): difference of DIoU + alpha*v.
            def with_alpha(p, alpha):
                w, hh = p[:, 2] - p[:, 0], p[:, 3] - p[:, 1]
                wg, hg = target[:, 2] - target[:, 0], target[:, 3] - target[:, 1]
                v = 4 / np.pi**2 * (np.arctan(wg / hg) - np.arctan(w / hh)) ** 2
                return locuskit.distance_box_iou_loss(p, target) + alpha * v

            w, hh = pred[:, 2] - pred[:, 0], pred[:, 3] - pred[:, 1]
            wg, hg = target[:, 2] - target[:, 0], target[:, 3] - target[:, 1]
            v0 = 4 / np.pi**2 * (np.arctan(wg / hg) - np.arctan(w / hh)) ** 2
            loss_iou = 1 - locuskit.box_iou_loss(pred, target)  # I / (U + eps), the loss intersection
            alpha = v0 / (1 - loss_iou + v0 + 1e-7)
            fd[:, c] = (with_alpha(plus, alpha) - with_alpha(minus, alpha)) / (2 * h)
        else:
            fd[:, c] = (ours(plus, target) - ours(minus, target)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


def test_degenerate_losses_and_bad_input():
    pts = np.array([[1, 1, 1, 1]], np.float32)
    # torchvision: GIoU/DIoU loss 1, CIoU loss NaN (atan(0/0)); ours: CIoU defined by default.
    assert tvops.generalized_box_iou_loss(torch.from_numpy(pts), torch.from_numpy(pts)).item() == 1.0
    assert np.isnan(tvops.complete_box_iou_loss(torch.from_numpy(pts), torch.from_numpy(pts)).item())
    loss, grad = locuskit.complete_box_iou_loss(pts, pts, return_grad=True)
    assert loss[0] == 1.0 and np.isfinite(grad).all()
    assert np.isnan(locuskit.complete_box_iou_loss(pts, pts, degenerate="nan")[0])
    e = np.zeros((0, 4), np.float64)
    for f in (locuskit.box_iou_loss, locuskit.generalized_box_iou_loss, locuskit.distance_box_iou_loss,
              locuskit.complete_box_iou_loss):
        assert f(e, e).shape == (0,)
        assert f(e, e, "mean") == 0 and f(e, e, "sum") == 0
        loss, grad = f(e, e, "mean", return_grad=True)
        assert grad.shape == (0, 4)
        with pytest.raises(ValueError, match="reduction"):
            f(pts, pts, "median")
        with pytest.raises(ValueError, match="same number"):
            f(np.zeros((2, 4), np.float32), pts)
        with pytest.raises(TypeError, match="boxes2"):
            f(pts, pts.astype(np.float64))
        with pytest.raises(ValueError, match="boxes1"):
            f(np.array([[0, 1, np.nan, 0]], np.float32), pts)
        with pytest.raises(ValueError, match="eps"):
            f(pts, pts, eps=float("nan"))


def test_inverted_prediction_gives_torchvisions_value_not_an_error():
    """Regression (issue 16): one inverted predicted box made the loss raise; torchvision returns a value."""
    target = np.array([[0, 0, 10, 10], [2, 2, 6, 6]], np.float64)
    pred = np.array([[10, 10, 0, 0], [5, 1, 3, 7]], np.float64)
    for name in ("generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"):
        loss, grad = getattr(locuskit, name)(pred, target, return_grad=True)
        p = torch.from_numpy(pred).requires_grad_()
        want = getattr(tvops, name)(p, torch.from_numpy(target))
        want.sum().backward()
        np.testing.assert_allclose(loss, want.detach().numpy(), rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(grad, p.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_losses_accept_torch_tensors_and_keep_dtype():
    rng = np.random.default_rng(1)
    pred, target = pairs(rng, 50, np.float32)
    loss, grad = locuskit.generalized_box_iou_loss(torch.from_numpy(pred).requires_grad_(True),
                                                   torch.from_numpy(target), "mean", return_grad=True)
    # tensors in, tensors out (docs/torch.md)
    assert loss.dtype == torch.float32 and grad.dtype == torch.float32
