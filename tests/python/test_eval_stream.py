"""Streaming CocoEvaluator (update / merge / pickle) equals the batch evaluation, bit for bit."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE

LOCAL = DATA / "eval" / "detection"
ROOT = LOCAL if (LOCAL / "expected.json").exists() else SHARED_REFERENCE / "detection"
GT = ROOT / "fixtures/cocoapi_fake100/instances_val2014_100.json"
DT = ROOT / "fixtures/cocoapi_fake100/instances_val2014_fakebbox100_results.json"


def _per_image():
    gt = json.loads(GT.read_text())
    dt = json.loads(DT.read_text())
    images = [im["id"] for im in gt["images"]]
    targets, preds = {}, {}
    for i in images:
        targets[i] = {"boxes": np.zeros((0, 4)), "labels": np.zeros(0, np.int64), "iscrowd": np.zeros(0),
                      "area": np.zeros(0), "image_id": i}
        preds[i] = {"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "labels": np.zeros(0, np.int64)}
    for a in gt["annotations"]:
        t = targets[a["image_id"]]
        t["boxes"] = np.vstack([t["boxes"], a["bbox"]])
        t["labels"] = np.append(t["labels"], a["category_id"])
        t["iscrowd"] = np.append(t["iscrowd"], a["iscrowd"])
        t["area"] = np.append(t["area"], a["area"])
    for d in dt:
        p = preds[d["image_id"]]
        p["boxes"] = np.vstack([p["boxes"], d["bbox"]])
        p["scores"] = np.append(p["scores"], d["score"])
        p["labels"] = np.append(p["labels"], d["category_id"])
    cats = sorted(c["id"] for c in gt["categories"])
    return images, targets, preds, cats


@pytest.mark.parametrize("seed", range(6))
def test_stream_merge_equals_batch(seed):
    import locuskit.eval as le

    if not GT.exists():
        pytest.skip("fixture absent")
    batch = le.coco_evaluate(str(GT), str(DT))
    images, targets, preds, cats = _per_image()
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(images))
    workers = [le.CocoEvaluator(box_format="xywh", category_ids=cats) for _ in range(int(rng.integers(1, 4)))]
    pos = 0
    while pos < len(order):
        n = int(rng.integers(1, 9))
        chunk = order[pos:pos + n]
        pos += n
        w = workers[int(rng.integers(0, len(workers)))]
        w.update([preds[i] for i in chunk], [targets[i] for i in chunk])
    # gather through pickle, as torch.distributed.all_gather_object would
    states = [pickle.loads(pickle.dumps(w)) for w in workers]
    merged = states[0]
    for s in states[1:]:
        merged.merge(s)
    assert len(merged) == len(images)
    r = merged.compute()
    for n in ("precision", "recall", "scores", "stats"):
        assert np.array_equal(getattr(r, n), getattr(batch, n)), n


def test_stream_xyxy_and_auto_ids():
    import locuskit.eval as le

    ev = le.CocoEvaluator()
    ev.update([{"boxes": np.array([[0, 0, 10, 10.]]), "scores": np.array([0.9]), "labels": np.array([1])}],
              [{"boxes": np.array([[0, 0, 10, 10.]]), "labels": np.array([1])}])
    other = le.CocoEvaluator()
    other.update([{"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "labels": np.zeros(0, int)}],
                 [{"boxes": np.array([[5, 5, 20, 20.]]), "labels": np.array([1])}])
    ev.merge(other)
    assert ev._images == [1, 2]
    r = ev.compute()
    # one TP ranked first out of 2 GT: recall 0.5 everywhere, precision 1/(1+eps) up to recall 0.5
    assert r.recall[0, 0, 0, 2] == 0.5
    assert r.precision[0, 0, 0, 0, 2] == 1 / (1 + np.spacing(1))
    with pytest.raises(ValueError, match="NaN"):
        ev.update([{"boxes": np.zeros((1, 4)), "scores": np.array([np.nan]), "labels": np.array([1])}],
                  [{"boxes": np.zeros((0, 4)), "labels": np.zeros(0, int)}])


@pytest.mark.parametrize("with_boxes", [True, False])
def test_stream_keypoints_equals_batch(with_boxes):
    import locuskit.eval as le

    kd = ROOT / "fixtures/faster_coco_eval_tests/keypoints_dataset"
    if not kd.exists():
        pytest.skip("fixture absent")
    gt = json.loads((kd / "gt_dataset.json").read_text())
    dt = json.loads((kd / "dt_dataset.json").read_text())
    if not with_boxes:
        for d in dt:
            d.pop("bbox", None)
    batch = le.coco_evaluate(gt, dt, "keypoints")
    ev = le.CocoEvaluator(iou_type="keypoints", box_format="xywh", category_ids=[c["id"] for c in gt["categories"]])
    for im in gt["images"]:
        g = [a for a in gt["annotations"] if a["image_id"] == im["id"]]
        d = [x for x in dt if x["image_id"] == im["id"]]
        pred = {"scores": np.array([x["score"] for x in d]), "labels": np.array([x["category_id"] for x in d]),
                "keypoints": np.array([x["keypoints"] for x in d]).reshape(len(d), 17, 3)}
        if with_boxes:
            pred["boxes"] = np.array([x["bbox"] for x in d])
        ev.update([pred], [{"boxes": np.array([a["bbox"] for a in g]), "labels": np.array([a["category_id"] for a in g]),
                            "iscrowd": np.array([a["iscrowd"] for a in g]), "area": np.array([a["area"] for a in g]),
                            "keypoints": np.array([a["keypoints"] for a in g]),
                            "num_keypoints": np.array([a["num_keypoints"] for a in g]), "image_id": im["id"]}])
    r = ev.compute()
    for n in ("precision", "recall", "scores", "stats"):
        assert np.array_equal(getattr(r, n), getattr(batch, n)), n
    if with_boxes:
        assert np.array_equal(r.stats, np.asarray(EXPECTED_KP))


EXPECTED_KP = json.loads((ROOT / "expected.json").read_text())["cases"]["faster_coco_eval.keypoints"]["stats"]
