"""locuskit.medical against MONAI 1.5.0 (float32) and medpy 0.5.2 (float64) on the fixtures in
tests/data/masks (from ../shared/reference/masks/medical), plus the exact EDT against scipy."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import DATA
from locuskit import medical

EXPECTED = json.loads((DATA / "masks" / "medical_expected.json").read_text())["cases"]
VOLUMES = np.load(DATA / "masks" / "medical_volumes.npz")


def volume(name, which):
    shape = EXPECTED[name]["shape"]
    bits = VOLUMES[f"{name}.{which}"]
    return np.unpackbits(bits)[: int(np.prod(shape))].reshape(shape).astype(bool)


def val(v):
    return {"nan": math.nan, "inf": math.inf}.get(v, v) if isinstance(v, str) else v


def same(a, b, rtol):
    if isinstance(b, float) and math.isnan(b):
        return math.isnan(a)
    if math.isinf(b):
        return a == b
    return a == pytest.approx(b, rel=rtol, abs=0)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_monai(name):
    c = EXPECTED[name]
    p, g, sp = volume(name, "pred"), volume(name, "gt"), c["spacing"]
    e = {k: val(v) for k, v in c["monai"].items()}
    got = {
        "dice": medical.dice(p, g),
        "dice_ignore_empty_false": medical.dice(p, g, ignore_empty=False),
        "hd": medical.hausdorff_distance(p, g, sp),
        "hd95": medical.hausdorff_distance(p, g, sp, percentile=95),
        "hd95_directed_pred_to_gt": medical.hausdorff_distance(p, g, sp, percentile=95, directed=True),
        "asd_symmetric": medical.average_surface_distance(p, g, sp),
        "asd_pred_to_gt": medical.average_surface_distance(p, g, sp, symmetric=False),
        "nsd_tau1.0": medical.normalized_surface_dice(p, g, 1.0, sp),
        "nsd_tau2.0": medical.normalized_surface_dice(p, g, 2.0, sp),
    }
    for k, v in got.items():
        # exact float32 except the means, whose float32 summation order differs from torch's
        rtol = 1e-6 if k.startswith("asd") else 0
        assert same(v, e[k], rtol), (k, v, e[k])


@pytest.mark.parametrize("name", list(EXPECTED))
def test_medpy(name):
    c = EXPECTED[name]
    p, g, sp = volume(name, "pred"), volume(name, "gt"), c["spacing"]
    e = c["medpy"]
    assert medical.dice(p, g, convention="medpy") == e["dc"]
    calls = {
        "hd": lambda: medical.hausdorff_distance(p, g, sp, convention="medpy"),
        "hd95": lambda: medical.hausdorff_distance(p, g, sp, percentile=95, convention="medpy"),
        "asd_pred_to_gt": lambda: medical.average_surface_distance(p, g, sp, symmetric=False, convention="medpy"),
        "assd": lambda: medical.average_surface_distance(p, g, sp, convention="medpy"),
        "hd95_connectivity3": lambda: medical.hausdorff_distance(p, g, sp, percentile=95, convention="medpy",
                                                                 connectivity=p.ndim),
    }
    for k, fn in calls.items():
        if isinstance(e[k], dict):
            with pytest.raises(ValueError, match=e[k]["message"]):
                fn()
        else:
            assert fn() == pytest.approx(e[k], rel=1e-12, abs=0), k


def test_edt_matches_scipy_exactly():
    scipy_ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(7)
    for shape, spacing in (((37, 23), (0.7, 1.3)), ((15, 19, 11), (0.5, 0.9, 2.5)), ((40, 40), (1.0, 1.0))):
        seeds = rng.random(shape) < 0.03
        seeds.flat[0] = True
        ours = np.sqrt(medical._mask.squared_distance_transform(np.ascontiguousarray(seeds), np.array(spacing)))
        ref = scipy_ndimage.distance_transform_edt(~seeds, sampling=spacing)
        np.testing.assert_allclose(ours, ref, rtol=1e-15, atol=0)


def test_bad_input():
    a = np.zeros((8, 8), bool)
    a[2:5, 2:5] = True
    with pytest.raises(ValueError, match="different shapes"):
        medical.hausdorff_distance(a, np.zeros((8, 9), bool))
    with pytest.raises(ValueError, match="not binary"):
        medical.dice(a.astype(np.uint8) * 2, a)
    with pytest.raises(ValueError, match="spacing"):
        medical.hausdorff_distance(a, a, spacing=(1.0, -1.0))
    with pytest.raises(ValueError, match="spacing"):
        medical.hausdorff_distance(a, a, spacing=(1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="convention"):
        medical.dice(a, a, convention="x")
    with pytest.raises(ValueError, match="connectivity"):
        medical.average_surface_distance(a, a, connectivity=3)
    assert medical.average_surface_distance(a, a, connectivity=2) == 0.0
    with pytest.raises(ValueError, match="2-D or 3-D"):
        medical.dice(np.zeros(5, bool), np.zeros(5, bool))


def test_torch_tensor_inputs():
    torch = pytest.importorskip("torch")
    name = "2d.discs_offset_spacing"
    c = EXPECTED[name]
    p, g = volume(name, "pred"), volume(name, "gt")
    got = medical.hausdorff_distance(torch.from_numpy(p), torch.from_numpy(g.copy()), c["spacing"], percentile=95)
    assert got == c["monai"]["hd95"]
