"""Streaming CocoEvaluator with masks (iou_type "segm" / "boundary", issue 11): updates with binary
masks, RLE dicts or polygons give what the one-call coco_evaluate gives on the same data written
as COCO JSON, bit for bit; and its state() merges like the other shards."""
from __future__ import annotations

import json

import numpy as np
import pytest

from test_eval_state import _assert_same, synthetic


def _per_image(gt, dt, gt_form, dt_form, dt_boxes):
    from locuskit import mask as lm

    sizes = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
    by_img = {im["id"]: ([], []) for im in gt["images"]}
    for a in gt["annotations"]:
        by_img[a["image_id"]][0].append(a)
    for d in dt:
        by_img[d["image_id"]][1].append(d)
    preds, targets = [], []
    for img, (anns, dts) in by_img.items():
        h, w = sizes[img]
        if gt_form == "polygons":
            gm = [a["segmentation"] for a in anns]
        else:
            rles = [lm.merge(lm.frPyObjects(a["segmentation"], h, w)) for a in anns]
            if gt_form == "rle":
                gm = rles
            else:  # binary (N, H, W) array, bool
                gm = np.zeros((0, h, w), bool) if not rles else lm.decode(rles).transpose(2, 0, 1).astype(bool)
        targets.append({"boxes": np.asarray([a["bbox"] for a in anns], np.float64).reshape(-1, 4),
                        "labels": np.asarray([a["category_id"] for a in anns], np.int64),
                        "iscrowd": np.asarray([a["iscrowd"] for a in anns]), "area": np.asarray([a["area"] for a in anns]),
                        "masks": gm, "image_id": img, "image_size": (h, w)})
        if dt_form == "rle":
            dm = [d["segmentation"] for d in dts]
        else:
            dm = np.zeros((0, h, w), np.uint8) if not dts else \
                lm.decode([dict(d["segmentation"], counts=d["segmentation"]["counts"].encode()) for d in dts]).transpose(2, 0, 1)
        p = {"scores": np.asarray([d["score"] for d in dts]), "labels": np.asarray([d["category_id"] for d in dts], np.int64),
             "masks": dm}
        if dt_boxes:
            p["boxes"] = np.asarray([d["bbox"] for d in dts], np.float64).reshape(-1, 4)
        preds.append(p)
    return preds, targets


@pytest.mark.parametrize("iou_type", ["segm", "boundary"])
@pytest.mark.parametrize("gt_form,dt_form,dt_boxes", [("polygons", "rle", True), ("rle", "binary", False),
                                                      ("binary", "rle", False), ("binary", "binary", True)])
def test_streaming_masks_equal_one_call(iou_type, gt_form, dt_form, dt_boxes):
    import locuskit.eval as le

    gt, dt = synthetic(5, n_images=25, masks=True)
    if not dt_boxes:
        dt = [{k: v for k, v in d.items() if k != "bbox"} for d in dt]
    one = le.coco_evaluate(json.loads(json.dumps(gt)), dt, iou_type)
    preds, targets = _per_image(gt, dt, gt_form, dt_form, dt_boxes)
    cats = sorted(c["id"] for c in gt["categories"])
    a = le.CocoEvaluator(iou_type, box_format="xywh", category_ids=cats)
    b = le.CocoEvaluator(iou_type, box_format="xywh", category_ids=cats)
    half = len(preds) // 2
    a.update(preds[:half], targets[:half])
    b.update(preds[half:], targets[half:])
    _assert_same(a.state().merge(b.state()).compute(), one)
    _assert_same(a.merge(b).compute(), one)


def test_streaming_mask_errors():
    import locuskit.eval as le

    ev = le.CocoEvaluator("segm")
    t = {"labels": np.array([1]), "image_id": 1}
    p = {"scores": np.array([0.5]), "labels": np.array([1]), "masks": np.ones((1, 4, 4), bool)}
    with pytest.raises(ValueError, match="masks.*required"):
        ev.update([p], [t])
    with pytest.raises(ValueError, match="binary"):
        ev.update([p], [dict(t, masks=np.full((1, 4, 4), 3, np.uint8))])
    with pytest.raises(ValueError, match="image_size"):
        ev.update([p], [dict(t, masks=[[[0, 0, 3, 0, 3, 3]]])])
    with pytest.raises(ValueError, match="box"):
        ev.update([p], [dict(t, masks=[[[0, 0, 3, 3]]], image_size=(4, 4))])
    with pytest.raises(ValueError, match="sum to"):
        ev.update([p], [dict(t, masks=[{"size": [4, 4], "counts": [0, 3]}])])
    with pytest.raises(ValueError, match="2 masks for 1 rows"):
        ev.update([p], [dict(t, masks=np.ones((2, 4, 4), bool))])
    with pytest.raises(ValueError, match="iou_type"):
        le.CocoEvaluator("lines")
