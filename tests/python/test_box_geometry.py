"""box_convert / box_area / clip_boxes_to_image / remove_small_boxes: parity with torchvision."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
from conftest import random_boxes

torch = pytest.importorskip("torch")
tvops = pytest.importorskip("torchvision.ops")

FORMATS = ["xyxy", "xywh", "cxcywh"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("in_fmt", FORMATS)
@pytest.mark.parametrize("out_fmt", FORMATS)
def test_box_convert_bitwise_equals_torchvision(dtype, in_fmt, out_fmt):
    rng = np.random.default_rng(17)
    for case in range(20):
        xyxy = random_boxes(rng, int(rng.integers(0, 300)), dtype, negative=case % 2 == 0)
        # Inputs in in_fmt: torchvision's own conversion from xyxy (sizes stay >= 0).
        boxes = np.ascontiguousarray(tvops.box_convert(torch.from_numpy(xyxy), "xyxy", in_fmt).numpy())
        got = locuskit.box_convert(boxes, in_fmt, out_fmt)
        assert got.dtype == dtype and got.shape == boxes.shape
        np.testing.assert_array_equal(got, tvops.box_convert(torch.from_numpy(boxes), in_fmt, out_fmt).numpy())
        assert not np.shares_memory(got, boxes)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_box_area_clip_remove_small_equal_torchvision(dtype):
    rng = np.random.default_rng(23)
    for case in range(200):
        boxes = random_boxes(rng, int(rng.integers(0, 200)), dtype, negative=case % 2 == 0)
        tb = torch.from_numpy(boxes)
        np.testing.assert_array_equal(locuskit.box_area(boxes), tvops.box_area(tb).numpy())
        h, w = float(rng.integers(1, 120)), float(rng.uniform(1, 120))
        np.testing.assert_array_equal(locuskit.clip_boxes_to_image(boxes, (h, w)),
                                      tvops.clip_boxes_to_image(tb, (h, w)).numpy())
        min_size = [0.0, 0.1, 1.0, float(rng.uniform(0, 20))][case % 4]
        got = locuskit.remove_small_boxes(boxes, min_size)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, tvops.remove_small_boxes(tb, min_size).numpy())


def test_remove_small_boxes_is_inclusive_and_clip_takes_height_first():
    boxes = np.array([[0, 0, 2, 2], [0, 0, 1.5, 2], [0, 0, 0, 0]], np.float32)
    np.testing.assert_array_equal(locuskit.remove_small_boxes(boxes, 2.0), [0])
    np.testing.assert_array_equal(locuskit.remove_small_boxes(boxes, 0.0), [0, 1, 2])
    clipped = locuskit.clip_boxes_to_image(np.array([[-1, -1, 50, 50]], np.float64), (10, 20))
    np.testing.assert_array_equal(clipped, [[0, 0, 20, 10]])


def test_geometry_empty_inputs():
    e = np.zeros((0, 4), np.float64)
    assert locuskit.box_convert(e, "xyxy", "cxcywh").shape == (0, 4)
    assert locuskit.box_area(e).shape == (0,)
    assert locuskit.clip_boxes_to_image(e, (1, 1)).shape == (0, 4)
    keep = locuskit.remove_small_boxes(e, 1.0)
    assert keep.shape == (0,) and keep.dtype == np.int64


def test_geometry_bad_input():
    ok = np.array([[0, 0, 1, 1]], np.float32)
    with pytest.raises(ValueError, match="in_fmt"):
        locuskit.box_convert(ok, "yxyx", "xyxy")
    with pytest.raises(ValueError, match="out_fmt"):
        locuskit.box_convert(ok, "xyxy", "xyzw")
    with pytest.raises(ValueError, match="negative width"):
        locuskit.box_convert(np.array([[0, 0, -1, 1]], np.float32), "xywh", "xyxy")
    with pytest.raises(ValueError, match="inverted"):
        locuskit.box_convert(np.array([[2, 0, 1, 1]], np.float32), "xyxy", "xywh")
    with pytest.raises(ValueError, match="NaN"):
        locuskit.box_convert(np.array([[0, 0, np.nan, 1]], np.float32), "cxcywh", "xyxy")
    with pytest.raises(TypeError, match="boxes: dtype int32"):
        locuskit.box_area(np.zeros((2, 4), np.int32))
    strided = np.arange(32, dtype=np.float32).reshape(8, 4)[::2]  # copied once, same result
    np.testing.assert_array_equal(locuskit.box_area(strided), locuskit.box_area(np.ascontiguousarray(strided)))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        locuskit.clip_boxes_to_image(np.zeros((2, 3), np.float32), (1, 1))
    with pytest.raises(ValueError, match="size"):
        locuskit.clip_boxes_to_image(ok, (-1, 5))
    with pytest.raises(TypeError, match="size"):
        locuskit.clip_boxes_to_image(ok, 5)
    with pytest.raises(ValueError, match="non-finite"):
        locuskit.remove_small_boxes(np.array([[0, 0, np.inf, 1]], np.float64), 1.0)
    with pytest.raises(ValueError, match="min_size"):
        locuskit.remove_small_boxes(ok, float("nan"))
