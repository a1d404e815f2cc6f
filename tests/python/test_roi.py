"""RoIAlign / RoIPool / MultiScaleRoIAlign against torchvision (live and stored fixtures) and
PrRoIPool against the exact rational oracle (stored fixtures) and torch.autograd.gradcheck."""
from __future__ import annotations

import json

import numpy as np
import pytest

from locuskit import roi as lroi

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")

from conftest import DATA as _DATA, SHARED_REFERENCE

DATA = _DATA / "roi"
SHARED = SHARED_REFERENCE / "roi_ops"  # all 41 + 41 cases; the copied subset in DATA runs without it


def random_problem(rng, dtype, n=2, c=3, h=13, w=17, k=24, scale=1.0):
    """Features and rois covering inside, border-crossing, sub-pixel, outside, empty and inverted rois."""
    f = rng.standard_normal((n, c, h, w)).astype(dtype)
    rois = np.zeros((k, 5), dtype)
    for i in range(k):
        kind = i % 6
        x1, y1 = rng.uniform(-2, w), rng.uniform(-2, h)
        bw, bh = rng.uniform(0, w / 1.5), rng.uniform(0, h / 1.5)
        if kind == 1:
            x1, y1 = -bw / 2, h - bh / 2
        elif kind == 2:
            bw, bh = rng.uniform(0, 0.5), rng.uniform(0, 0.5)
        elif kind == 3:
            x1, y1 = w + 2, -6.0
        elif kind == 4:
            bw = 0.0
        elif kind == 5:
            bh = -rng.uniform(0, 3)
        rois[i] = [i % n, x1 / scale, y1 / scale, (x1 + bw) / scale, (y1 + bh) / scale]
    return f, rois


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    return np.array_equal(a.view(np.uint8), b.view(np.uint8))


ALIGN_VARIANTS = [  # (output_size, spatial_scale, sampling_ratio, aligned)
    ((7, 7), 1.0, -1, False), ((7, 7), 0.25, 2, False), ((2, 3), 0.5, 0, True), ((3, 2), 1.0, 2, True),
    ((1, 1), 0.0625, 0, False), ((5, 4), 0.25, -1, True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("variant", range(len(ALIGN_VARIANTS)))
def test_roi_align_bitwise_equal_to_torchvision_live(dtype, variant):
    size, scale, sr, aligned = ALIGN_VARIANTS[variant]
    rng = np.random.default_rng(1000 + variant)
    f, rois = random_problem(rng, dtype, scale=scale)
    if aligned and sr <= 0:  # torchvision 0.14 CPU throws for inverted rois with an adaptive grid <= -1
        rois[:, 4] = np.maximum(rois[:, 4], rois[:, 2])
    ft = torch.from_numpy(f).requires_grad_(True)
    want = tvops.roi_align(ft, torch.from_numpy(rois), size, scale, sr, aligned)
    g = torch.from_numpy(rng.standard_normal(want.shape).astype(dtype))
    (want_g,) = torch.autograd.grad(want, ft, g)
    ours_t = torch.from_numpy(f).requires_grad_(True)
    got = lroi.roi_align(ours_t, torch.from_numpy(rois), size, scale, sr, aligned)
    (got_g,) = torch.autograd.grad(got, ours_t, g)
    assert same_bits(got.detach().numpy(), want.detach().numpy())
    assert same_bits(got_g.numpy(), want_g.numpy())
    assert same_bits(lroi.roi_align(f, rois, size, scale, sr, aligned), want.detach().numpy())  # NumPy path


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_roi_pool_bitwise_equal_to_torchvision_live(dtype):
    for seed, (size, scale) in enumerate([((7, 7), 1.0), ((2, 3), 0.25), ((3, 3), 0.5), ((1, 1), 0.0625)]):
        rng = np.random.default_rng(2000 + seed)
        f, rois = random_problem(rng, dtype, scale=scale)
        ft = torch.from_numpy(f).requires_grad_(True)
        want = tvops.roi_pool(ft, torch.from_numpy(rois), size, scale)
        g = torch.from_numpy(rng.standard_normal(want.shape).astype(dtype))
        (want_g,) = torch.autograd.grad(want, ft, g)
        ot = torch.from_numpy(f).requires_grad_(True)
        got = lroi.roi_pool(ot, torch.from_numpy(rois), size, scale)
        (got_g,) = torch.autograd.grad(got, ot, g)
        assert same_bits(got.detach().numpy(), want.detach().numpy())
        assert same_bits(got_g.numpy(), want_g.numpy())


def test_roi_align_accepts_a_list_of_boxes_like_torchvision():
    rng = np.random.default_rng(5)
    f = torch.from_numpy(rng.standard_normal((2, 4, 20, 24)).astype(np.float32))
    boxes = [torch.tensor([[1.0, 2.0, 10.0, 12.5], [0.0, 0.0, 23.0, 19.0]]), torch.tensor([[3.5, 4.0, 8.0, 9.0]])]
    want = tvops.roi_align(f, boxes, 3, 1.0, 2, True)
    got = lroi.roi_align(f, boxes, 3, 1.0, 2, True)
    assert same_bits(got.numpy(), want.numpy())
    got_np = lroi.roi_align(f.numpy(), [b.numpy() for b in boxes], 3, 1.0, 2, True)
    assert same_bits(got_np, want.numpy())


def test_roi_align_and_pool_equal_stored_torchvision_fixtures():
    if not (SHARED / "roi_align" / "cases.npz").is_file():
        pytest.skip("../shared/reference/roi_ops absent (fixtures are covered by the live torchvision tests)")
    meta = json.loads((SHARED / "roi_align" / "cases.json").read_text())
    z = np.load(SHARED / "roi_align" / "cases.npz")
    for case in meta["cases"]:
        k = case["key"]
        f = torch.from_numpy(z[f"{k}_features"]).requires_grad_(True)
        rois = torch.from_numpy(z[f"{k}_rois"])
        if case["op"] == "roi_align":
            out = lroi.roi_align(f, rois, case["output_size"], case["spatial_scale"], case["sampling_ratio"],
                                 case["aligned"])
        else:
            out = lroi.roi_pool(f, rois, case["output_size"], case["spatial_scale"])
        (g,) = torch.autograd.grad(out, f, torch.from_numpy(z[f"{k}_grad_output"]))
        np.testing.assert_array_equal(out.detach().numpy(), z[f"{k}_output"], err_msg=k)
        np.testing.assert_array_equal(g.numpy(), z[f"{k}_grad_features"], err_msg=k)


def test_fpn_level_mapper_equals_torchvision_fixture():
    if (SHARED / "roi_align" / "cases.json").is_file():
        m = json.loads((SHARED / "roi_align" / "cases.json").read_text())["multiscale_level_mapper"]
        boxes = np.array(m["boxes_xyxy_float32"], np.float32)
        np.testing.assert_array_equal(lroi.fpn_levels(boxes, m["k_min"], m["k_max"]), m["level_index"])
    # and live against torchvision's LevelMapper on random and threshold boxes
    from torchvision.ops.poolers import LevelMapper

    rng = np.random.default_rng(9)
    s = np.concatenate([rng.uniform(0, 1000, 500), [111.99999, 112, 224, 448, 447.9999, 0]]).astype(np.float32)
    b = np.stack([np.zeros_like(s), np.zeros_like(s), s, s * rng.uniform(0.5, 2, s.size).astype(np.float32)], 1)
    b = b.astype(np.float32)
    want = LevelMapper(2, 5)([torch.from_numpy(b)]).numpy()
    np.testing.assert_array_equal(lroi.fpn_levels(b, 2, 5), want)
    np.testing.assert_array_equal(lroi.fpn_levels(torch.from_numpy(b), 2, 5), want)


def test_multiscale_roi_align_equals_torchvision_live():
    rng = np.random.default_rng(11)
    names = ["p2", "p3", "p4", "p5"]
    x = {n: torch.from_numpy(rng.standard_normal((2, 3, 200 // 2 ** i, 152 // 2 ** i)).astype(np.float32))
         for i, n in enumerate(names)}
    boxes = []
    for _ in range(2):
        xy = rng.uniform(0, 600, (40, 2))
        wh = np.exp(rng.uniform(np.log(4), np.log(700), (40, 2)))
        boxes.append(torch.from_numpy(np.concatenate([xy, xy + wh], 1).astype(np.float32)))
    shapes = [(800, 608), (790, 600)]
    want = tvops.MultiScaleRoIAlign(names, 7, 2)(x, boxes, shapes)
    ours = lroi.MultiScaleRoIAlign(names, 7, 2)
    xg = {n: v.clone().requires_grad_(True) for n, v in x.items()}
    got = ours(xg, boxes, shapes)
    assert same_bits(got.detach().numpy(), want.numpy())
    got.sum().backward()  # gradients reach every level's map
    xt = {n: v.clone().requires_grad_(True) for n, v in x.items()}
    tvops.MultiScaleRoIAlign(names, 7, 2)(xt, boxes, shapes).sum().backward()
    for n in names:
        assert same_bits(xg[n].grad.numpy(), xt[n].grad.numpy())
    got_np = ours({n: v.numpy() for n, v in x.items()}, [b.numpy() for b in boxes], shapes)
    assert same_bits(got_np, want.numpy())


# ------------------------------------------------------------------------------------------ PrRoIPool
def _prroi_cases():
    """(name, features, rois, grad_output, output, grad_features, grad_rois, (ph, pw), scale)."""
    sources = [(DATA / "prroi_pool_cases.json", DATA / "prroi_pool_cases.npz")]
    if (SHARED / "prroi_pool" / "cases.npz").is_file():
        sources.append((SHARED / "prroi_pool" / "cases.json", SHARED / "prroi_pool" / "cases.npz"))
    out = []
    for js, npz in sources:
        z = np.load(npz)
        for c in json.loads(js.read_text())["cases"]:
            k = c["key"]
            out.append((c["name"],) + tuple(z[f"{k}_{f}"] for f in ("features", "rois", "grad_output", "output",
                                                                      "grad_features", "grad_rois"))
                       + ((c["pooled_h"], c["pooled_w"]), c["spatial_scale"]))
    return out


def test_prroi_pool_float64_equals_the_exact_oracle():
    cases = _prroi_cases()
    assert len(cases) >= 6
    for name, f, rois, g, out, gf, gr, size, scale in cases:
        got = lroi.prroi_pool(f, rois, size, scale)
        np.testing.assert_allclose(got, out, rtol=1e-12, atol=1e-14 * max(1.0, np.abs(out).max()), err_msg=name)
        got_gf, got_gr = lroi.prroi_pool_backward(f, rois, g, scale)
        np.testing.assert_allclose(got_gf, gf, rtol=1e-12, atol=1e-14 * max(1.0, np.abs(gf).max()), err_msg=name)
        # roi gradients involve (f at the edge - mean) / bin size: cancellation, so absolute to the scale
        np.testing.assert_allclose(got_gr, gr, rtol=1e-10, atol=1e-11 * max(1.0, np.abs(gr).max()), err_msg=name)


def test_prroi_pool_float32_within_float32_rounding_and_torch_autograd():
    for name, f, rois, g, out, gf, gr, size, scale in _prroi_cases():
        ft = torch.from_numpy(f.astype(np.float32)).requires_grad_(True)
        rt = torch.from_numpy(rois.astype(np.float32)).requires_grad_(True)
        o = lroi.prroi_pool(ft, rt, size, scale)
        o.backward(torch.from_numpy(g.astype(np.float32)))
        np.testing.assert_allclose(o.detach().numpy(), out, rtol=1e-5, atol=1e-5 * max(1, np.abs(out).max()), err_msg=name)
        np.testing.assert_allclose(ft.grad.numpy(), gf, rtol=1e-5, atol=1e-5 * max(1, np.abs(gf).max()), err_msg=name)
        np.testing.assert_allclose(rt.grad.numpy(), gr, rtol=1e-4, atol=1e-5 * max(1, np.abs(gr).max()), err_msg=name)


def test_prroi_pool_gradcheck_float64_features_and_boxes():
    rng = np.random.default_rng(21)
    # 4 channels: the (2, 3) call takes the planar path, the 4x4 one the channels-last path
    f = torch.from_numpy(rng.standard_normal((2, 4, 9, 11))).requires_grad_(True)
    # generic rois (no edge on an integer line, where the second derivative jumps): inside,
    # crossing, in the (-1, 0) fringe, scaled
    # batch indices are a constant column (a numerical derivative across int() truncation is meaningless)
    batch = torch.tensor([[0.0], [1], [0], [1], [0]], dtype=torch.float64)
    boxes = torch.tensor([[1.3, 2.2, 6.7, 5.9], [-2.4, -1.7, 3.3, 4.1], [-0.9, 6.2, 0.7, 7.8],
                          [8.6, 0.4, 10.7, 9.1], [4.05, 3.1, 4.35, 3.4]], dtype=torch.float64, requires_grad=True)
    fn = lambda a, b: lroi.prroi_pool(a, torch.cat([batch, b], 1), (2, 3), 1.0)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (f, boxes), eps=1e-6, atol=1e-6)
    fn = lambda a, b: lroi.prroi_pool(a, torch.cat([batch, b * 2], 1), 4, 0.5)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (f, boxes), eps=1e-6, atol=1e-6)


def test_prroi_pool_unit_bins_average_four_corners():
    # upstream's own test: roi (0, 0, 14, 14) at scale 0.5 pooled 7x7 = avg_pool2d(k=2, stride=1)
    rng = np.random.default_rng(3)
    f = torch.from_numpy(rng.standard_normal((1, 2, 8, 8)))
    got = lroi.prroi_pool(f, torch.tensor([[0.0, 0, 0, 14, 14]], dtype=torch.float64), 7, 0.5)
    want = torch.nn.functional.avg_pool2d(f, 2, 1)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-13, atol=1e-14)


def test_roi_ops_validate_arguments():
    f = np.zeros((2, 3, 8, 8), np.float32)
    good = np.array([[0, 1, 1, 4, 4]], np.float32)
    with pytest.raises(ValueError, match="rois"):
        lroi.roi_align(f, np.array([[2, 1, 1, 4, 4]], np.float32), 2)  # batch index out of range
    with pytest.raises(ValueError, match="rois"):
        lroi.prroi_pool(f, np.array([[0, np.nan, 1, 4, 4]], np.float32), 2)
    with pytest.raises(ValueError, match="rois"):
        lroi.roi_pool(f, np.zeros((1, 4), np.float32), 2)
    with pytest.raises(TypeError, match="features"):
        lroi.roi_align(f.astype(np.int32), good, 2)
    with pytest.raises(ValueError, match="features"):
        lroi.roi_align(f[0], good, 2)
    with pytest.raises(ValueError, match="output_size|pooled"):
        lroi.roi_align(f, good, (0, 2))
    with pytest.raises(ValueError, match="spatial_scale"):
        lroi.prroi_pool(f, good, 2, float("inf"))
    # non-contiguous input: copied once, same result
    big = np.zeros((2, 3, 8, 16), np.float32)
    big[..., ::2] = np.random.default_rng(0).standard_normal((2, 3, 8, 8))
    np.testing.assert_array_equal(lroi.roi_align(big[..., ::2], good, 2), lroi.roi_align(big[..., ::2].copy(), good, 2))
