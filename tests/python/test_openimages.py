"""Open Images challenge detection metric against the TF Object Detection API's
OpenImagesChallengeEvaluator, run from its public source (tests/data/eval/openimages/README.md):
per-class AP, mAP, GT weights and entry counts compared bitwise; the hierarchy expansion against the
peer's expanded CSVs; CLI and errors."""
from __future__ import annotations

import json
import math
import pathlib
import subprocess
import sys

import pytest

from locuskit.eval import openimages_evaluate
from locuskit.eval._openimages import _hierarchy_maps

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "eval" / "openimages"
EXPECTED = json.loads((DATA / "expected.json").read_text())


def _same(a, b):
    return (a is None and math.isnan(b)) or a == b


@pytest.mark.parametrize("name", sorted(EXPECTED["cases"]))
def test_openimages_equals_tf_od_api(name):
    case = EXPECTED["cases"][name]
    res = openimages_evaluate(DATA / case["boxes"], DATA / case["labels"], DATA / case["predictions"],
                              DATA / case["labelmap"], DATA / case["hierarchy"])
    assert _same(case["mean_ap"], res.mean_ap)
    for k, v in case["metrics"].items():
        assert _same(v, res.metrics[k]), k
    assert list(res.metrics) == list(case["metrics"])
    ids = dict(zip(res.class_names, res.class_ids))
    for n, i in ids.items():
        assert _same(case["ap_per_class"][i - 1], res.ap[n]), n
        assert case["num_gt_per_class"][i - 1] == res.num_gt[n], n


def test_openimages_already_expanded_gt_without_hierarchy():
    case = EXPECTED["cases"]["small"]
    res = openimages_evaluate(DATA / "small_boxes_expanded.csv", DATA / "small_labels_expanded.csv",
                              DATA / case["predictions"], DATA / case["labelmap"])
    assert res.mean_ap == case["mean_ap"]


def _expanded_rows(path):
    lines = path.read_text().splitlines()[1:]
    return [ln.split(",") for ln in lines if ln]


def test_hierarchy_expansion_order_equals_the_peer_tool():
    hierarchy = json.loads((DATA / "hierarchy.json").read_text())
    children_of, parents_of, _ = _hierarchy_maps(hierarchy, True)
    assert parents_of["/m/toycar"] == ["/m/vehicle", "/m/toy"]  # two parents, visiting order
    assert parents_of["/m/puppy"] == ["/m/dog", "/m/animal"]
    mine = []
    for r in _expanded_rows(DATA / "small_boxes.csv"):
        for lab in [r[2]] + parents_of[r[2]]:
            mine.append(r[:2] + [lab] + r[3:])
    assert mine == _expanded_rows(DATA / "small_boxes_expanded.csv")
    mine = []
    for r in _expanded_rows(DATA / "small_labels.csv"):
        table = parents_of if int(r[3]) == 1 else children_of
        for lab in [r[2]] + table[r[2]]:
            mine.append(r[:2] + [lab] + r[3:])
    assert mine == _expanded_rows(DATA / "small_labels_expanded.csv")


def _write(path, text):
    path.write_text(text)
    return path


def test_openimages_rules_and_errors(tmp_path):
    lm = _write(tmp_path / "lm.csv", "name,id\n/m/a,1\n/m/b,2\n/m/c,3\n")
    hdr = "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n"
    boxes = _write(tmp_path / "b.csv", hdr + "i1,x,/m/a,1,0.1,0.3,0.1,0.3,0,0,0,0,0\n"
                                             "i1,x,/m/b,1,0.5,0.9,0.5,0.9,0,0,1,0,0\n")
    labels = _write(tmp_path / "l.csv", "ImageID,Source,LabelName,Confidence\ni1,v,/m/c,0\n")
    preds = _write(tmp_path / "p.csv", "ImageID,LabelName,Score,XMin,XMax,YMin,YMax\n"
                                       "i1,/m/a,0.9,0.1,0.3,0.1,0.3\n"
                                       "i1,/m/b,0.8,0.6,0.62,0.6,0.62\n"
                                       "i1,/m/b,0.7,0.7,0.72,0.7,0.72\n"
                                       "i1,/m/c,0.6,0.1,0.2,0.1,0.2\n")
    res = openimages_evaluate(boxes, labels, preds, lm)
    # the peer (run_oid.py, README) gives the same: AP /m/a = /m/b = 1.0, /m/c NaN, mAP 1.0
    assert res.ap["/m/a"] == 1.0 and res.ap["/m/b"] == 1.0  # two results in a group-of box count once
    assert math.isnan(res.ap["/m/c"])  # negative label only: no GT, not in the mean
    assert res.mean_ap == 1.0
    with pytest.raises(ValueError, match="p2.csv:2: label /m/z"):
        openimages_evaluate(boxes, labels, _write(tmp_path / "p2.csv", "ImageID,LabelName,Score,XMin,XMax,YMin,YMax\n"
                                                                      "i1,/m/z,0.9,0,1,0,1\n"), lm)
    with pytest.raises(ValueError, match="lacks column"):
        openimages_evaluate(boxes, labels, _write(tmp_path / "p3.csv", "ImageID,Score\ni1,0.5\n"), lm)
    with pytest.raises(ValueError, match="not a number"):
        openimages_evaluate(boxes, labels, _write(tmp_path / "p4.csv", "ImageID,LabelName,Score,XMin,XMax,YMin,YMax\n"
                                                                      "i1,/m/a,x,0,1,0,1\n"), lm)
    with pytest.raises(ValueError, match="1-indexed"):
        openimages_evaluate(boxes, labels, preds, _write(tmp_path / "lm0.csv", "name,id\n/m/a,0\n"))


def test_cli_eval_openimages(tmp_path):
    case = EXPECTED["cases"]["small"]
    out = tmp_path / "m.json"
    r = subprocess.run([sys.executable, "-m", "locuskit", "eval", "openimages", str(DATA / case["boxes"]),
                        str(DATA / case["labels"]), str(DATA / case["predictions"]), "--labelmap",
                        str(DATA / case["labelmap"]), "--hierarchy", str(DATA / case["hierarchy"]), "--per-class",
                        "--json", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"= {case['mean_ap']:.6f}" in r.stdout
    saved = json.loads(out.read_text())
    assert saved["mean_ap"] == case["mean_ap"]
    assert saved["metrics"] == case["metrics"]
    r = subprocess.run([sys.executable, "-m", "locuskit", "eval", "openimages", str(DATA / case["boxes"]),
                        str(DATA / case["labels"]), str(DATA / case["predictions"]), "--labelmap",
                        str(DATA / case["labelmap"]), "--hierarchy", str(DATA / case["hierarchy"]), "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""  # -q: nothing but errors
