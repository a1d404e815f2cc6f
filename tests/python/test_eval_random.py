"""Randomized COCO evaluation checks (fixed seeds): thread-count determinism, the streaming API
against the batch API, JSON / list / array inputs agreeing, and structural invariants of the
arrays (pycocotools' -1 / 0 conventions) on inputs full of ties, crowds and degenerate boxes."""
from __future__ import annotations

import json

import numpy as np
import pytest


def _random_case(rng, n_img, n_cat):
    images = [{"id": int(i)} for i in rng.choice(10_000, n_img, replace=False)]
    cats = [{"id": int(c), "name": f"c{c}"} for c in rng.choice(100, n_cat, replace=False) + 1]
    anns, dets = [], []
    for im in images:
        for _ in range(int(rng.integers(0, 6))):
            x, y = rng.uniform(0, 100, 2)
            w, h = rng.choice([0.0, 0.5, 5.0, 20.0, 40.0]), rng.choice([0.0, 1.0, 10.0, 30.0, 60.0])
            anns.append({"id": len(anns) + 1, "image_id": im["id"], "category_id": cats[int(rng.integers(n_cat))]["id"],
                         "bbox": [x, y, w, h], "area": float(w * h * rng.choice([1.0, 0.7])),
                         "iscrowd": int(rng.random() < 0.1)})
        for _ in range(int(rng.integers(0, 15))):
            src = anns[int(rng.integers(len(anns)))] if anns and rng.random() < 0.7 else None
            if src is not None and src["image_id"] == im["id"]:
                x, y, w, h = (np.array(src["bbox"]) + rng.normal(0, 2, 4)).tolist()
                c = src["category_id"]
            else:
                x, y = rng.uniform(0, 100, 2)
                w, h = rng.uniform(0, 40, 2)
                c = cats[int(rng.integers(n_cat))]["id"]
            dets.append({"image_id": im["id"], "category_id": c, "bbox": [x, y, abs(w), abs(h)],
                         "score": float(np.round(rng.random(), 1))})  # many exact ties
    return {"images": images, "categories": cats, "annotations": anns}, dets


@pytest.mark.parametrize("seed", range(40))
def test_random_invariants_and_determinism(seed):
    import locuskit
    import locuskit.eval as le

    rng = np.random.default_rng(seed)
    gt, dt = _random_case(rng, int(rng.integers(1, 30)), int(rng.integers(1, 6)))
    if not dt:
        dt = []
    kw = {}
    if seed % 3 == 1:
        kw["max_dets"] = [1, 3, 7]
    if seed % 4 == 2:
        kw["use_cats"] = False
    old = locuskit.get_num_threads()
    try:
        locuskit.set_num_threads(1)
        a = le.coco_evaluate(gt, dt, **kw)
        locuskit.set_num_threads(3)
        b = le.coco_evaluate(json.dumps(gt).encode(), json.dumps(dt).encode(), **kw)
    finally:
        locuskit.set_num_threads(old)
    for n in ("precision", "recall", "scores"):
        assert np.array_equal(getattr(a, n), getattr(b, n)), n
    p, r = a.precision, a.recall
    assert ((p == -1) | ((p >= 0) & (p <= 1))).all()
    assert ((r == -1) | ((r >= 0) & (r <= 1))).all()
    # a (k, a, m) cell is -1 for all T and R at once, and precision is non-increasing in recall
    neg = p == -1
    assert (neg == neg[:1, :1]).all()
    valid = ~neg
    assert (np.diff(np.where(valid, p, 0), axis=1) <= 0).all()
    if dt:
        arr = np.array([[d["image_id"], *d["bbox"], d["score"], d["category_id"]] for d in dt])
        c = le.coco_evaluate(gt, arr, **kw)
        assert np.array_equal(a.precision, c.precision) and np.array_equal(a.recall, c.recall)


@pytest.mark.parametrize("seed", range(10))
def test_random_stream_equals_batch(seed):
    import locuskit.eval as le

    rng = np.random.default_rng(100 + seed)
    gt, dt = _random_case(rng, 25, 4)
    batch = le.coco_evaluate(gt, dt)
    ev = [le.CocoEvaluator(box_format="xywh", category_ids=[c["id"] for c in gt["categories"]]) for _ in range(3)]
    for im in gt["images"]:
        g = [a for a in gt["annotations"] if a["image_id"] == im["id"]]
        d = [x for x in dt if x["image_id"] == im["id"]]
        ev[int(rng.integers(3))].update(
            [{"boxes": np.array([x["bbox"] for x in d]).reshape(-1, 4), "scores": np.array([x["score"] for x in d]),
              "labels": np.array([x["category_id"] for x in d], int)}],
            [{"boxes": np.array([a["bbox"] for a in g]).reshape(-1, 4), "labels": np.array([a["category_id"] for a in g], int),
              "iscrowd": np.array([a["iscrowd"] for a in g]), "area": np.array([a["area"] for a in g]),
              "image_id": im["id"]}])
    merged = ev[2].merge(ev[0]).merge(ev[1])
    r = merged.compute()
    for n in ("precision", "recall", "scores", "stats"):
        assert np.array_equal(getattr(r, n), getattr(batch, n)), n
