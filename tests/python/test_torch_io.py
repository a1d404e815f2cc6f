"""Torch layer, inputs and outputs: tensors in -> tensors out, NumPy in -> NumPy out, any layout
(copied once, never for contiguous inputs), every integer id dtype, half precision, empty inputs,
out= buffers; parity against torchvision on the same (sliced / transposed) inputs."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
from conftest import random_boxes

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")


def boxes_and_scores(seed, n, dtype=np.float32, classes=3):
    rng = np.random.default_rng(seed)
    b = random_boxes(rng, n, dtype)
    s = rng.random((n, classes)).astype(dtype)
    return b, s


def test_tensor_in_tensor_out_numpy_in_numpy_out():
    b, s = boxes_and_scores(0, 50)
    bt = torch.from_numpy(b)
    for f in (locuskit.box_iou, locuskit.generalized_box_iou):
        assert isinstance(f(b, b), np.ndarray)
        r = f(bt, bt)
        assert isinstance(r, torch.Tensor) and r.dtype == torch.float32 and r.device.type == "cpu"
    keep = locuskit.nms(bt, torch.from_numpy(s[:, 0].copy()), 0.5)
    assert isinstance(keep, torch.Tensor) and keep.dtype == torch.int64
    assert isinstance(locuskit.nms(b, s[:, 0].copy(), 0.5), np.ndarray)
    assert isinstance(locuskit.box_area(bt), torch.Tensor)
    assert isinstance(locuskit.box_convert(bt, "xyxy", "cxcywh"), torch.Tensor)
    # NamedTuple results keep their type, fields become tensors
    r = locuskit.multiclass_nms(bt[None], torch.from_numpy(s)[None], max_total=10)
    assert type(r).__name__ == "MulticlassNMSResult" and isinstance(r.boxes, torch.Tensor)


def test_contiguous_tensor_is_not_copied():
    b, _ = boxes_and_scores(1, 20)
    bt = torch.from_numpy(b)
    out = torch.empty(20, 20)
    previous = locuskit.set_copy_policy("raise")
    try:
        r = locuskit.box_iou(bt, bt, out=out)  # would raise if anything were copied
        assert r is out
        assert np.shares_memory(locuskit._arrays.as_array(bt), b)
    finally:
        locuskit.set_copy_policy(previous)


def test_column_slice_of_scores_torch_and_numpy():
    b, s = boxes_and_scores(2, 300, classes=4)
    bt, st = torch.from_numpy(b), torch.from_numpy(s)
    for c in range(4):
        want = tvops.nms(bt, st[:, c].contiguous(), 0.5)
        got = locuskit.nms(bt, st[:, c], 0.5)  # a strided view: copied once
        assert torch.equal(got, want)
        assert np.array_equal(locuskit.nms(b, s[:, c], 0.5), want.numpy())


def test_copy_policy_reports_the_copy():
    b, s = boxes_and_scores(3, 30)
    previous = locuskit.set_copy_policy("raise")
    try:
        with pytest.raises(ValueError, match="scores: copied once"):
            locuskit.nms(b, s[:, 1], 0.5)
        locuskit.set_copy_policy("warn")
        with pytest.warns(locuskit.CopyWarning, match="scores"):
            locuskit.nms(b, s[:, 1], 0.5)
    finally:
        locuskit.set_copy_policy(previous)
    with pytest.raises(ValueError, match="policy"):
        locuskit.set_copy_policy("sometimes")


@pytest.mark.parametrize("layout", ["fortran", "negative_stride", "transposed", "torch_transposed", "torch_slice"])
def test_any_layout_matches_torchvision(layout):
    b, _ = boxes_and_scores(4, 80, np.float64)
    b2, _ = boxes_and_scores(5, 60, np.float64)
    if layout == "fortran":
        x = np.asfortranarray(b)
    elif layout == "negative_stride":
        x = b[::-1][::-1][::-1]  # reversed rows, negative stride
        b = b[::-1].copy()
    elif layout == "transposed":
        x = np.ascontiguousarray(b.T).T
    elif layout == "torch_transposed":
        x = torch.from_numpy(np.ascontiguousarray(b.T)).t()
    else:
        wide = np.zeros((80, 9))
        wide[:, 2:6] = b
        x = torch.from_numpy(wide)[:, 2:6]
    want = tvops.box_iou(torch.from_numpy(b), torch.from_numpy(b2)).numpy()
    got = locuskit.box_iou(x, b2, degenerate="nan")  # torchvision's 0/0 for two zero-area boxes
    got = got.numpy() if isinstance(got, torch.Tensor) else got
    np.testing.assert_array_equal(got, want)
    want_g = tvops.generalized_box_iou(torch.from_numpy(b), torch.from_numpy(b2)).numpy()
    got_g = locuskit.generalized_box_iou(x, b2, degenerate="nan")
    got_g = got_g.numpy() if isinstance(got_g, torch.Tensor) else got_g
    np.testing.assert_array_equal(got_g, want_g)


ID_DTYPES_NP = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
ID_DTYPES_TORCH = [torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8]


@pytest.mark.parametrize("dtype", ID_DTYPES_NP)
def test_batched_nms_every_numpy_id_dtype(dtype):
    b, s = boxes_and_scores(6, 200)
    ids = np.random.default_rng(6).integers(0, 5, 200).astype(dtype)
    want = tvops.batched_nms(torch.from_numpy(b), torch.from_numpy(s[:, 0].copy()),
                             torch.from_numpy(ids.astype(np.int64)), 0.5).numpy()
    assert np.array_equal(locuskit.batched_nms(b, s[:, 0], ids, 0.5), want)


@pytest.mark.parametrize("dtype", ID_DTYPES_TORCH)
def test_batched_nms_every_torch_id_dtype(dtype):
    b, s = boxes_and_scores(7, 200)
    bt, st = torch.from_numpy(b), torch.from_numpy(s)
    ids = torch.from_numpy(np.random.default_rng(7).integers(0, 5, 200)).to(dtype)
    want = tvops.batched_nms(bt, st[:, 0], ids, 0.5)
    got = locuskit.batched_nms(bt, st[:, 0], ids, 0.5)
    assert isinstance(got, torch.Tensor) and torch.equal(got, want)


def test_bad_ids_name_the_argument():
    b, s = boxes_and_scores(8, 10)
    with pytest.raises(TypeError, match="idxs"):
        locuskit.batched_nms(b, s[:, 0], np.zeros(10, np.float32) + 0.5, 0.5)
    with pytest.raises(ValueError, match="idxs"):
        locuskit.batched_nms(b, s[:, 0], np.full(10, 2**63 + 5, np.uint64), 0.5)


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_precision_computed_in_float32_returned_in_input_dtype(half):
    b, s = boxes_and_scores(9, 100)
    bh = torch.from_numpy(b).to(half)
    ref = bh.float()
    got = locuskit.box_iou(bh, bh, degenerate="nan")
    assert got.dtype == half
    torch.testing.assert_close(got, tvops.box_iou(ref, ref).to(half), rtol=0, atol=0, equal_nan=True)
    assert torch.equal(locuskit.nms(bh, torch.from_numpy(s[:, 0].copy()).to(half), 0.5),
                       tvops.nms(ref, torch.from_numpy(s[:, 0].copy()).to(half).float(), 0.5))
    loss = locuskit.generalized_box_iou_loss(bh, bh.flip(0), reduction="mean")
    assert loss.dtype == half
    want = tvops.generalized_box_iou_loss(ref, ref.flip(0), reduction="mean").to(half)
    assert torch.equal(loss, want)
    # NumPy float16 too
    got_np = locuskit.box_iou(b.astype(np.float16), b.astype(np.float16))
    assert got_np.dtype == np.float16


def test_empty_inputs():
    e = torch.zeros((0, 4))
    assert locuskit.box_iou(e, e).shape == (0, 0)
    assert locuskit.nms(e, torch.zeros(0), 0.5).shape == (0,)
    assert locuskit.batched_nms(e, torch.zeros(0), torch.zeros(0, dtype=torch.int32), 0.5).shape == (0,)
    for kind in ("generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"):
        for red in ("none", "mean", "sum"):
            got = getattr(locuskit, kind)(e, e, reduction=red)
            want = getattr(tvops, kind)(e, e, reduction=red)
            assert isinstance(got, torch.Tensor) and got.shape == want.shape and torch.equal(got, want)


def test_out_buffer_reused_for_the_pairwise_family():
    b, _ = boxes_and_scores(10, 40, np.float64)
    b2, _ = boxes_and_scores(11, 30, np.float64)
    out = np.empty((40, 30))
    for f, kw in ((locuskit.box_iou, {}), (locuskit.generalized_box_iou, {}), (locuskit.distance_box_iou, {}),
                  (locuskit.complete_box_iou, {}), (locuskit.box_ioa, {})):
        r = f(b, b2, out=out, **kw)
        assert r is out
        np.testing.assert_array_equal(out, f(b, b2, **kw))
    tout = torch.empty(40, 30, dtype=torch.float64)
    r = locuskit.box_iou(torch.from_numpy(b), torch.from_numpy(b2), out=tout, degenerate="nan")
    assert r is tout
    torch.testing.assert_close(tout, tvops.box_iou(torch.from_numpy(b), torch.from_numpy(b2)), rtol=0, atol=0,
                               equal_nan=True)
    with pytest.raises(ValueError, match="out"):
        locuskit.box_iou(b, b2, out=np.empty((30, 40)))
    with pytest.raises(TypeError, match="out"):
        locuskit.box_iou(b, b2, out=np.empty((40, 30), np.float32))
    with pytest.raises(ValueError, match="out"):
        locuskit.box_iou(b, b2, out=np.empty((30, 40)).T)


def test_non_differentiable_function_refuses_grad_instead_of_detaching():
    b, s = boxes_and_scores(12, 20)
    bt = torch.from_numpy(b).requires_grad_()
    with pytest.raises(TypeError, match="boxes requires grad"):
        locuskit.box_area(bt)
    with pytest.raises(TypeError, match="box_ioa"):
        locuskit.box_ioa(bt, bt.detach())
    with torch.no_grad():
        assert isinstance(locuskit.box_area(bt), torch.Tensor)
    # indices are not differentiable: nms on boxes that require grad works, as torchvision's
    keep = locuskit.nms(bt, torch.from_numpy(s[:, 0].copy()), 0.5)
    assert torch.equal(keep, tvops.nms(bt.detach(), torch.from_numpy(s[:, 0].copy()), 0.5))


def test_gpu_or_meta_tensor_is_refused_naming_the_argument():
    m = torch.empty((3, 4), device="meta")
    with pytest.raises(ValueError, match="boxes1"):
        locuskit.box_iou(m, m)
    sparse = torch.eye(4).to_sparse()
    with pytest.raises(TypeError, match="boxes"):  # not an error from inside torch
        locuskit.box_area(sparse)


def test_masks_to_boxes_matches_torchvision():
    rng = np.random.default_rng(13)
    masks = rng.random((6, 17, 23)) > 0.9
    masks[2] = False
    masks[2, 5, 7] = True  # a single pixel
    masks[3, :, -1] = True  # touches the right border
    for m in (torch.from_numpy(masks), torch.from_numpy(masks.astype(np.uint8)),
              torch.from_numpy(masks.astype(np.float32)), torch.from_numpy(masks).half()):
        got = locuskit.masks_to_boxes(m)
        assert got.dtype == torch.float32 and torch.equal(got, tvops.masks_to_boxes(m))
    assert np.array_equal(locuskit.masks_to_boxes(masks), tvops.masks_to_boxes(torch.from_numpy(masks)).numpy())
    assert locuskit.masks_to_boxes(torch.zeros((0, 5, 5))).shape == (0, 4)
    empty = masks.copy()
    empty[4] = False
    with pytest.raises(ValueError, match=r"masks\[4\]"):
        locuskit.masks_to_boxes(empty)


@pytest.mark.parametrize("alpha,gamma", [(0.25, 2.0), (-1.0, 2.0), (0.5, 0.0), (0.25, 1.5)])
def test_sigmoid_focal_loss_matches_torchvision(alpha, gamma):
    rng = np.random.default_rng(14)
    x = torch.from_numpy(rng.normal(0, 4, (64, 7)))
    t = torch.from_numpy((rng.random((64, 7)) > 0.8).astype(np.float64))
    for red in ("none", "mean", "sum"):
        got = locuskit.sigmoid_focal_loss(x, t, alpha, gamma, red)
        want = tvops.sigmoid_focal_loss(x, t, alpha, gamma, red)
        assert isinstance(got, torch.Tensor) and got.shape == want.shape
        torch.testing.assert_close(got, want, rtol=1e-13, atol=1e-15)
        assert isinstance(locuskit.sigmoid_focal_loss(x.numpy(), t.numpy(), alpha, gamma, red),
                          (np.ndarray, np.floating))
    x32, t32 = x.float(), t.float()
    torch.testing.assert_close(locuskit.sigmoid_focal_loss(x32, t32, alpha, gamma),
                               tvops.sigmoid_focal_loss(x32, t32, alpha, gamma), rtol=4e-6, atol=1e-7)
