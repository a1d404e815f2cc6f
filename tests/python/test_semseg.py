"""locuskit.semseg against mmsegmentation 1.x / 0.x, the FCN confusion-matrix definitions and
torchmetrics 1.9 on the fixtures in tests/data/masks (from ../shared/reference/masks/semantic)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import DATA
from locuskit import semseg

EXPECTED = json.loads((DATA / "masks" / "semantic_expected.json").read_text())["cases"]
LABELS = np.load(DATA / "masks" / "semantic_labels.npz")
MAP_CASES = [k for k, v in EXPECTED.items() if v.get("arrays")]


def arr(v):
    return np.array([np.nan if x is None else x for x in v], dtype=np.float64)


def metric_for(name, dtype=np.uint8):
    c = EXPECTED[name]
    m = semseg.SegmentationMetric(c["num_classes"], c["ignore_index"], c["reduce_zero_label"])
    for i in range(c["images"]):
        m.update(LABELS[f"{name}.pred{i}"].astype(dtype), LABELS[f"{name}.gt{i}"].astype(dtype))
    return m


@pytest.mark.parametrize("name", MAP_CASES)
def test_confusion_matrix(name):
    assert metric_for(name).matrix.tolist() == EXPECTED[name]["confusion_matrix_gt_rows"]


@pytest.mark.parametrize("name", MAP_CASES)
def test_mmseg_1x_float32_exact(name):
    e = EXPECTED[name]["mmseg_1x"]
    r = metric_for(name).compute("mmseg")
    for k, v in e["per_class"].items():
        got = r["per_class"][k]
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got.astype(np.float64), arr(v), err_msg=k)
    assert float(r["aAcc"]) == e["aAcc"]
    for k, v in e["summary_rounded"].items():
        assert float(r["summary"][k]) == v, k


@pytest.mark.parametrize("name", MAP_CASES)
def test_mmseg_0x_float64_exact(name):
    e = EXPECTED[name]["mmseg_0x"]
    r = metric_for(name).compute("mmseg0")
    for k, v in e["per_class"].items():
        np.testing.assert_array_equal(r["per_class"][k], arr(v), err_msg=k)
    assert float(r["aAcc"]) == e["aAcc"]


@pytest.mark.parametrize("name", MAP_CASES)
def test_confusion_definitions_float64(name):
    e = EXPECTED[name]["fcn_definitions_float64"]
    r = metric_for(name).compute("confusion")
    assert r["pixel_acc"] == e["pixel_acc"]
    assert r["mean_acc"] == e["mean_acc_nanmean"]
    np.testing.assert_array_equal(r["iou"], arr(e["iou"]))
    assert r["miou"] == e["miou_nanmean"]
    assert r["fwiou"] == e["fwiou"]


@pytest.mark.parametrize("name", [k for k in MAP_CASES if "torchmetrics" in EXPECTED[k]])
def test_torchmetrics_meaniou(name):
    e = EXPECTED[name]["torchmetrics"]
    m = metric_for(name)
    if "error" in e:
        with pytest.raises(ValueError, match="Class values must be smaller than num_classes"):
            m.compute("torchmetrics")
        return
    r = m.compute("torchmetrics")
    np.testing.assert_allclose(r["MeanIoU"], e["MeanIoU_module"], rtol=1e-6)
    np.testing.assert_allclose(r["MeanIoU_per_class"], e["MeanIoU_module_per_class"], rtol=1e-6)
    np.testing.assert_allclose(r["mean_iou_per_image"], e["functional_mean_iou_per_image"], rtol=1e-6)
    # torchmetrics' global per-class Dice equals mmseg 1.x's Dice
    dice = m.compute("mmseg")["per_class"]["Dice"]
    np.testing.assert_array_equal(dice.astype(np.float64), arr(e["dice_score_none_global"]))


def test_float32_accumulation_from_histograms():
    # 10 Cityscapes-sized images given as per-image histograms: build label maps with exactly those
    # histograms would be 20M pixels; instead feed the per-image confusion state directly.
    c = EXPECTED["float32_accumulation"]
    m = semseg.SegmentationMetric(c["num_classes"])
    for h in c["per_image_histograms"]:
        i, p, l = (np.array(h[k], np.float32) for k in ("intersect", "pred", "label"))
        m._f32 += np.stack([i, p + l - i, p, l])
    r = m.compute("mmseg")
    e = c["mmseg_1x"]
    for k in ("IoU", "Acc"):
        np.testing.assert_array_equal(r["per_class"][k].astype(np.float64), arr(e[k]), err_msg=k)
    assert float(r["aAcc"]) == e["aAcc"]  # a float32 sum of ~2e7: the summation order matters
    for k, v in e["summary_rounded"].items():
        assert float(r["summary"][k]) == v, k
    totals = c["exact_totals_int64"]
    m0 = semseg._mmseg_metrics(*(np.array(totals[k], np.float64) for k in ("intersect",)),
                               np.array(totals["pred"], np.float64) + np.array(totals["label"], np.float64)
                               - np.array(totals["intersect"], np.float64),
                               np.array(totals["pred"], np.float64), np.array(totals["label"], np.float64))
    for k in ("IoU", "Acc"):
        np.testing.assert_array_equal(m0["per_class"][k], arr(c["mmseg_0x_float64"][k]), err_msg=k)
    assert float(m0["aAcc"]) == c["mmseg_0x_float64"]["aAcc"]


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.int64, np.uint16, np.uint32, np.uint64])
def test_any_integer_dtype_same_matrix(dtype):
    name = "ignore_255"
    assert metric_for(name, dtype).matrix.tolist() == EXPECTED[name]["confusion_matrix_gt_rows"]


def test_merge_equals_sequential_and_thread_independent():
    import locuskit
    name = "basic"
    c = EXPECTED[name]
    a = semseg.SegmentationMetric(c["num_classes"])
    b = semseg.SegmentationMetric(c["num_classes"])
    a.update(LABELS[f"{name}.pred0"], LABELS[f"{name}.gt0"])
    for i in (1, 2):
        b.update(LABELS[f"{name}.pred{i}"], LABELS[f"{name}.gt{i}"])
    merged = a.merge(b)
    assert merged.matrix.tolist() == c["confusion_matrix_gt_rows"]
    rng = np.random.default_rng(3)
    big_p = rng.integers(0, 7, (700, 500)).astype(np.int32)
    big_g = rng.integers(0, 7, (700, 500)).astype(np.int32)
    n = locuskit.get_num_threads()
    try:
        locuskit.set_num_threads(1)
        one = semseg.confusion_matrix(big_p, big_g, 6)
        locuskit.set_num_threads(4)
        four = semseg.confusion_matrix(big_p, big_g, 6)
    finally:
        locuskit.set_num_threads(n)
    k = (big_g < 6) & (big_p < 6)
    ref = np.bincount(6 * big_g[k].astype(np.int64) + big_p[k], minlength=36).reshape(6, 6)
    assert np.array_equal(one, ref) and np.array_equal(four, ref)


def test_signed_negative_and_huge_labels_are_out_of_range():
    p = np.array([-1, 0, 1, 2**62], np.int64)
    g = np.array([0, 0, -5, 1], np.int64)
    m = semseg.SegmentationMetric(2, ignore_index=None).update(p, g)
    assert m.matrix.tolist() == [[1, 0], [0, 0]]
    assert m.full_matrix[0, 2] == 1 and m.full_matrix[2, 1] == 1 and m.full_matrix[1, 2] == 1


def test_bad_input():
    m = semseg.SegmentationMetric(3)
    with pytest.raises(ValueError, match="different shapes"):
        m.update(np.zeros((2, 3), np.uint8), np.zeros((3, 2), np.uint8))
    with pytest.raises(TypeError, match="integer"):
        m.update(np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="convention"):
        m.compute("bogus")
    with pytest.raises(ValueError, match="num_classes"):
        semseg.SegmentationMetric(0)


def test_torch_tensors_and_non_contiguous_views():
    torch = pytest.importorskip("torch")
    name = "basic"
    c = EXPECTED[name]
    m = semseg.SegmentationMetric(c["num_classes"])
    for i in range(c["images"]):
        p, g = LABELS[f"{name}.pred{i}"], LABELS[f"{name}.gt{i}"]
        if i % 2:
            m.update(torch.from_numpy(p.copy()), torch.from_numpy(g.copy()))
        else:  # transposed twice: a non-contiguous view of the same map, copied once
            m.update(np.asfortranarray(p).T.T, np.asfortranarray(g).T.T)
    assert m.matrix.tolist() == c["confusion_matrix_gt_rows"]
