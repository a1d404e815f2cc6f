"""VOC AP against the stored reference numbers (rafaelpadilla's fixtures, +1 pixel convention
and continuous IoU), bit for bit, and the published values."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE

LOCAL = DATA / "eval" / "detection"
ROOT = LOCAL if (LOCAL / "expected.json").exists() else SHARED_REFERENCE / "detection"
VOC = json.loads((ROOT / "expected.json").read_text())["voc"]


def _dirs(entry):
    g, d = ROOT / entry["gt_dir"], ROOT / entry["det_dir"]
    if not g.exists():
        pytest.skip(f"{g} not available")
    return g, d


@pytest.mark.parametrize("fixture", sorted(VOC))
@pytest.mark.parametrize("convention", ["plus_one", "continuous"])
def test_voc_matches_reference(fixture, convention):
    from locuskit.eval import voc_evaluate

    entry = VOC[fixture]
    g, d = _dirs(entry)
    for thr, want in entry[convention].items():
        res = voc_evaluate(g, d, iou_threshold=float(thr), box_format="xywh", plus_one=convention == "plus_one")
        c = res.classes[entry["class"]]
        assert int(c.tp.sum()) == want["tp"] and int(c.fp.sum()) == want["fp"], thr
        for key in ("ap_11point", "ap_all_point", "ap_11point_sum_then_divide", "ap_all_point_np_sum"):
            assert getattr(c, key) == want[key], (thr, key, getattr(c, key), want[key])
        if "recall" in want:
            assert c.npos == want["npos"]
            assert np.array_equal(c.recall, np.asarray(want["recall"]))
            assert np.array_equal(c.precision, np.asarray(want["precision"]))


@pytest.mark.parametrize("fixture", sorted(VOC))
def test_voc_published_numbers(fixture):
    from locuskit.eval import voc_evaluate

    entry = VOC[fixture]
    g, d = _dirs(entry)
    pub = entry["published"]
    for rule in ("ap_11point", "ap_all_point"):
        for thr, val in pub.get(rule, {}).items():
            res = voc_evaluate(g, d, iou_threshold=float(thr), plus_one=True)
            got = getattr(res.classes[entry["class"]], rule)
            tol = 1e-9 if val != round(val, 4) else 5e-5
            assert abs(got - val) <= tol + 1e-10, (rule, thr, got, val)
    assert res.mAP() == res.classes[entry["class"]].ap_all_point


def test_voc_difficult_and_no_fallback():
    from locuskit.eval import voc_evaluate_class

    # two GT in one image, the second difficult; three detections
    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)
    det = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 10, 9]], float)
    r = voc_evaluate_class([0, 0, 0], [0.9, 0.8, 0.7], det, [0, 0], gt, [0, 1])
    assert r.npos == 1
    assert r.tp.tolist() == [True, False, False]
    assert r.fp.tolist() == [False, False, True]  # the difficult match is ignored; the 3rd has no fallback
    assert r.ap_all_point == 1.0 and r.ap_11point == pytest.approx(1.0)
    assert r.best_f1 == 1.0 and r.best_f1_score == 0.9


def test_voc_ap_helper_agrees_with_core():
    from locuskit.eval import voc_ap, voc_evaluate

    entry = VOC["review_object_detection_metrics.test_case_1"]
    g, d = _dirs(entry)
    c = voc_evaluate(g, d, iou_threshold=0.3, plus_one=True).classes["object"]
    assert voc_ap(c.recall, c.precision, use_07_metric=False) == c.ap_all_point
    assert voc_ap(c.recall, c.precision, use_07_metric=True) == c.ap_11point


def test_voc_class_without_gt_is_skipped(tmp_path):
    from locuskit.eval import voc_evaluate

    (tmp_path / "g").mkdir()
    (tmp_path / "d").mkdir()
    (tmp_path / "g" / "a.txt").write_text("cat 0 0 10 10\n")
    (tmp_path / "d" / "a.txt").write_text("cat 0.9 0 0 10 10\ndog 0.5 0 0 5 5\n")
    res = voc_evaluate(tmp_path / "g", tmp_path / "d")
    assert res.skipped == ["dog"]
    assert res.mAP() == 1.0


def test_voc_xml_ground_truth_with_difficult(tmp_path):
    from locuskit.eval import voc_evaluate

    (tmp_path / "g").mkdir()
    (tmp_path / "d").mkdir()
    (tmp_path / "g" / "000001.xml").write_text(
        "<annotation><object><name>dog</name><difficult>0</difficult><bndbox><xmin>10</xmin><ymin>10</ymin>"
        "<xmax>50</xmax><ymax>50</ymax></bndbox></object><object><name>dog</name><difficult>1</difficult>"
        "<bndbox><xmin>100</xmin><ymin>100</ymin><xmax>140</xmax><ymax>140</ymax></bndbox></object></annotation>")
    (tmp_path / "d" / "000001.txt").write_text("dog 0.9 10 10 50 50\ndog 0.8 100 100 140 140\ndog 0.7 60 60 70 70\n")
    r = voc_evaluate(tmp_path / "g", tmp_path / "d", box_format="xyxy", plus_one=True).classes["dog"]
    assert r.npos == 1
    assert r.tp.tolist() == [True, False, False] and r.fp.tolist() == [False, False, True]
    assert r.ap_all_point == 1.0
