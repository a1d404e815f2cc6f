"""The COCO data model's table crosses into Python as the bound C++ class ``_core.eval.CocoTable``
(not a dict of freshly converted arrays): read like the old dict (keys, get, items, dict(t)),
columns are views of the C++ data, and the evaluator reads the table in place -- with results
bit-identical to evaluating its dict form (the path arrays and the streaming evaluator take)."""
from __future__ import annotations

import gc
import json

import numpy as np
import pytest

from conftest import DATA
from locuskit import _core, mask
from locuskit.eval import _coco

FIX = DATA / "eval" / "detection" / "fixtures" / "cocoapi_fake100"
GT = FIX / "instances_val2014_100.json"
BBOX_RESULTS = FIX / "instances_val2014_fakebbox100_results.json"
KEYS = {"id", "image_id", "category_id", "bbox", "area", "iscrowd", "score", "num_keypoints", "keypoints",
        "missing", "segm_offset", "segm_counts", "segm_size", "segm_kind", "segm_error"}


def _segm_results():
    """The GT polygons as compressed-RLE results, every other one shifted by 3 px, varied scores."""
    ds = json.loads(GT.read_text())
    size = {im["id"]: (im["height"], im["width"]) for im in ds["images"]}
    anns = [a for a in ds["annotations"] if not a["iscrowd"] and isinstance(a["segmentation"], list)]
    out = []
    for i, a in enumerate(anns):
        shift = 3.0 * (i % 2)
        h, w = size[a["image_id"]]
        rle = mask.merge(mask.frPyObjects([[v + shift for v in poly] for poly in a["segmentation"]], h, w))
        out.append({"image_id": a["image_id"], "category_id": a["category_id"], "score": 0.3 + 0.017 * (i % 41),
                    "segmentation": {"size": rle["size"], "counts": rle["counts"].decode()}})
    return out


def _tables(iou_type):
    gt = _coco.load_gt(str(GT))
    source = str(BBOX_RESULTS) if iou_type == "bbox" else _segm_results()
    dt = _coco.load_results(source, gt["image_ids"], gt=gt)
    return gt, dt


def test_loaders_return_the_bound_table():
    gt, dt = _tables("segm")
    assert isinstance(gt["annotations"], _core.eval.CocoTable)
    assert isinstance(dt, _core.eval.CocoTable)
    assert gt["annotations"].num_rows == len(gt["annotations"]["id"]) > 0


def test_table_reads_like_the_dict_it_replaced():
    gt, dt = _tables("bbox")
    t = gt["annotations"]
    assert set(t.keys()) == KEYS and set(t) == KEYS and len(t) == len(KEYS)
    assert "bbox" in t and "nope" not in t and 3 not in t
    assert t.get("nope", 5) == 5 and t.get("nope") is None
    with pytest.raises(KeyError):
        t["nope"]
    d = dict(t)
    assert set(d) == KEYS
    n = t.num_rows
    assert t["bbox"].shape == (n, 4) and t["bbox"].dtype == np.float64
    assert t["id"].dtype == np.int64 and t["segm_kind"].dtype == np.uint8
    assert t["segm_offset"].shape == (n + 1,) and t["segm_size"].shape == (n, 2)
    assert "score" in t["missing"] and "score" not in dt["missing"]  # GT has no scores
    assert dt["score"].shape == (dt.num_rows,) and dt["score"].dtype == np.float64
    assert t["keypoints"].shape == (n, 0)
    assert t["segm_error"] is None
    assert [k for k, _ in t.items()] == list(t.keys()) and len(t.values()) == len(KEYS)


def test_columns_are_views_that_keep_the_table_alive():
    gt, _ = _tables("bbox")
    t = gt["annotations"]
    a, b = t["bbox"], t["bbox"]
    assert np.shares_memory(a, b)  # the same C++ vector, not two conversions
    expect = a.copy()
    del t, gt, b
    gc.collect()
    assert np.array_equal(a, expect)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_evaluating_the_table_equals_evaluating_its_dict_form(iou_type):
    gt, dt = _tables(iou_type)
    p = _coco.default_params(iou_type)
    p["imgIds"] = sorted(int(i) for i in gt["image_ids"])
    p["catIds"] = sorted(int(c) for c in gt["category_ids"])
    native = _coco.evaluate_accumulate(gt["annotations"], dt, p)
    as_dicts = _coco.evaluate_accumulate(dict(gt["annotations"]), dict(dt), p)
    for x, y in zip(native[:4], as_dicts[:4]):
        assert np.array_equal(x, y)
    assert native[4] == as_dicts[4]


def test_a_table_argument_of_another_type_is_a_type_error():
    with pytest.raises(TypeError, match="gt: expected a CocoTable or a dict"):
        _core.eval.coco_evaluate_accumulate([1, 2], {}, _coco.default_params("bbox"))
