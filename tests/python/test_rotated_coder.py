"""mmrotate DeltaXYWHAOBBoxCoder parity (../shared/reference/oriented/coder/mmrotate_delta_xywha.json:
mmrotate 0.3.4 run unchanged on torch 1.13 CPU, float32)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from locuskit import rotated

from conftest import SHARED_REFERENCE

FIXTURE = SHARED_REFERENCE / "oriented" / "coder" / "mmrotate_delta_xywha.json"
pytestmark = pytest.mark.skipif(not FIXTURE.exists(), reason="needs ../shared/reference/oriented/coder")


@pytest.fixture(scope="module")
def ref():
    return json.loads(FIXTURE.read_text())


def _f32(x):
    return np.asarray(x, np.float64).astype(np.float32)


def _ulps(got, want):
    """Distance in float32 ulps of the larger magnitude (torch's vectorised cos/sin/exp/log differ
    from the C library's in the last bit)."""
    got, want = np.asarray(got, np.float32), np.asarray(want, np.float32)
    scale = np.spacing(np.maximum(np.abs(got), np.abs(want)).astype(np.float32))
    return np.abs(got.astype(np.float64) - want.astype(np.float64)) / scale


CONFIGS = ["obb_oc_default", "obb_le90_retinanet", "obb_le135_retinanet", "obb_le90_oriented_rcnn_roi",
           "obb_le90_normfactor2_noswap"]


def _coder(cfg):
    return rotated.DeltaXYWHAOBBoxCoder(angle_range=cfg["angle_range"], norm_factor=cfg["norm_factor"],
                                        edge_swap=cfg["edge_swap"], proj_xy=cfg["proj_xy"],
                                        target_means=cfg["target_means"], target_stds=cfg["target_stds"])


@pytest.mark.parametrize("name", CONFIGS)
def test_encode_decode_equal_mmrotate(ref, name):
    case = ref["obb"][name]
    coder = _coder(case["config"])
    proposals = _f32(case["proposals_normalized"])
    gt = _f32(ref["gt"])
    enc = coder.encode(proposals, gt)
    assert enc.dtype == np.float32
    want = _f32(case["encode"])
    # dx, dy, dw, dh: a few ulps; da exact unless an angle lands on the range boundary
    assert np.max(_ulps(enc, want)) <= 64, np.max(_ulps(enc, want))
    np.testing.assert_allclose(enc, want, rtol=2e-6, atol=2e-6)
    dec = coder.decode(proposals, _f32(case["random_deltas"]))
    np.testing.assert_allclose(dec, _f32(case["decode_random"]), rtol=2e-6, atol=2e-5)
    dec_shape = coder.decode(proposals, _f32(case["random_deltas"]), max_shape=(600, 800))
    np.testing.assert_allclose(dec_shape, _f32(case["decode_random_max_shape_600x800"]), rtol=2e-6, atol=2e-5)
    np.testing.assert_allclose(coder.decode(proposals, enc), _f32(case["decode_of_encode"]), rtol=2e-6, atol=2e-5)


def test_norm_angle_equals_mmrotate(ref):
    a = _f32(ref["norm_angle"]["input_f32"])
    for rng in ("oc", "le90", "le135"):
        np.testing.assert_array_equal(rotated.norm_angle(a, rng), _f32(ref["norm_angle"][rng]))


def test_coder_argument_errors():
    with pytest.raises(ValueError, match="angle_range"):
        rotated.DeltaXYWHAOBBoxCoder(angle_range="le45")
    c = rotated.DeltaXYWHAOBBoxCoder()
    with pytest.raises(ValueError, match="gt_bboxes|gt"):
        c.encode(np.ones((2, 5), np.float32), np.ones((3, 5), np.float32))
    with pytest.raises(TypeError, match="gt"):
        c.encode(np.ones((2, 5), np.float32), np.ones((2, 5), np.float64))


@pytest.mark.parametrize("rng", ["oc", "le90", "le135"])
def test_hbb_coder_equals_mmrotate(ref, rng):
    case = ref["hbb"][rng]
    cfg = case["config"]
    coder = rotated.DeltaXYWHAHBBoxCoder(angle_range=cfg["angle_range"], norm_factor=cfg["norm_factor"],
                                         edge_swap=cfg["edge_swap"], target_stds=cfg["target_stds"])
    rois = _f32(case["rois_xyxy"])
    enc = coder.encode(rois, _f32(ref["gt"]))
    np.testing.assert_allclose(enc, _f32(case["encode"]), rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(coder.decode(rois, enc), _f32(case["decode_of_encode"]), rtol=2e-6, atol=2e-5)
