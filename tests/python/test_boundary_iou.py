"""locuskit.boundary against the boundary-iou-api (+ OpenCV erode, pycocotools IoU) on the 12
pairs of tests/data/masks/boundary_* (from ../shared/reference/masks/boundary_iou)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import DATA
from locuskit import boundary

EXPECTED = json.loads((DATA / "masks" / "boundary_expected.json").read_text())["cases"]
ARRAYS = np.load(DATA / "masks" / "boundary_masks.npz")


def arr(name, key):
    h, w = EXPECTED[name]["shape"]
    return np.unpackbits(ARRAYS[f"{name}.{key}"])[: h * w].reshape(h, w)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_boundary_masks_and_iou(name):
    c = EXPECTED[name]
    gt, dt = arr(name, "gt"), arr(name, "dt")
    h, w = c["shape"]
    assert boundary.dilation_pixels(h, w, c["dilation_ratio"]) == c["dilation_pixels"]
    gb = boundary.mask_to_boundary(gt, c["dilation_ratio"])
    assert gb.dtype == np.uint8
    assert np.array_equal(gb, arr(name, "gt_boundary"))
    assert np.array_equal(boundary.mask_to_boundary(dt, c["dilation_ratio"]), arr(name, "dt_boundary"))
    assert int(gb.sum()) == c["gt_boundary_area"]
    assert boundary.boundary_iou(gt, dt, c["dilation_ratio"]) == c["boundary_iou"]


def test_boundary_bad_input():
    with pytest.raises(ValueError, match="different shapes"):
        boundary.boundary_iou(np.zeros((4, 4), bool), np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match="binary"):
        boundary.mask_to_boundary(np.full((4, 4), 3))
