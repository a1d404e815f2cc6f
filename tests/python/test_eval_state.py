"""Mergeable COCO evaluation state (CocoState), the chunked results reader and the bounded-memory
sharded evaluation: merge of shards on any split, in any order, then compute == the one-call
coco_evaluate (itself pycocotools-exact, test_coco_parity.py) bit for bit."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from conftest import DATA

DET = DATA / "eval" / "detection" / "fixtures"
FAKE_GT = DET / "cocoapi_fake100" / "instances_val2014_100.json"
FAKE_DT = DET / "cocoapi_fake100" / "instances_val2014_fakebbox100_results.json"
D2_GT = DET / "detectron2_fixture" / "gt.json"
D2_DT = DET / "detectron2_fixture" / "dt.json"


def synthetic(seed: int, n_images: int = 30, n_cats: int = 4, masks: bool = False):
    """A small COCO set with crowd GT, score ties, empty images and (masks) polygon GT and
    compressed-RLE results, built here so that every shard layout can be tried."""
    from locuskit import mask as lm

    rng = np.random.default_rng(seed)
    images = [{"id": int(i), "height": 96, "width": 128} for i in rng.permutation(np.arange(3, 3 + 3 * n_images, 3))]
    cats = [{"id": int(c), "name": f"c{c}"} for c in (1, 2, 5, 9)[:n_cats]]
    anns, dts = [], []
    for im in images:
        for _ in range(int(rng.integers(0, 5))):
            x, y = rng.uniform(0, 60), rng.uniform(0, 45)
            w, h = rng.uniform(2, 64), rng.uniform(2, 48)
            a = {"id": len(anns) + 1, "image_id": im["id"], "category_id": int(rng.choice([c["id"] for c in cats])),
                 "bbox": [x, y, w, h], "area": float(w * h * rng.uniform(0.5, 1)), "iscrowd": int(rng.random() < 0.1)}
            if masks:
                a["segmentation"] = [[x, y, x + w, y, x + w * 0.7, y + h, x, y + h * 0.8]]
            anns.append(a)
            for _ in range(int(rng.integers(0, 4))):
                jx, jy = rng.normal(0, 1.5, 2)
                d = {"image_id": im["id"], "category_id": a["category_id"] if rng.random() < 0.8 else
                     int(rng.choice([c["id"] for c in cats])), "bbox": [x + jx, y + jy, w, h],
                     "score": float(np.round(rng.uniform(0, 1), 1))}  # rounded: many ties
                if masks:
                    m = np.zeros((96, 128), np.uint8, order="F")
                    x0, y0 = int(max(0, x + jx)), int(max(0, y + jy))
                    m[y0:y0 + int(h), x0:x0 + int(w)] = 1
                    rle = lm.encode(m)
                    d["segmentation"] = {"size": [96, 128], "counts": rle["counts"].decode()}
                dts.append(d)
        if rng.random() < 0.3:  # a background false positive
            d = {"image_id": im["id"], "category_id": cats[0]["id"], "bbox": [1, 1, 5, 5], "score": 0.5}
            if masks:
                m = np.zeros((96, 128), np.uint8, order="F")
                m[1:6, 1:6] = 1
                d["segmentation"] = {"size": [96, 128], "counts": lm.encode(m)["counts"].decode()}
            dts.append(d)
    return {"images": images, "categories": cats, "annotations": anns}, dts


def _assert_same(a, b):
    for n in ("precision", "recall", "scores", "stats"):
        x, y = np.asarray(getattr(a, n)), np.asarray(getattr(b, n))
        assert x.shape == y.shape, n
        assert np.array_equal(x, y), n


def _random_shards(rng, image_ids, n):
    ids = np.asarray(sorted(image_ids))
    which = rng.integers(0, n, len(ids))
    return [ids[which == k] for k in range(n)]


def _merge_randomly(rng, states):
    states = list(states)
    while len(states) > 1:  # random pairs, random sides: associativity and commutativity
        i, j = rng.choice(len(states), 2, replace=False)
        merged = states[i].merge(states[j])
        states = [s for k, s in enumerate(states) if k not in (i, j)] + [merged]
    return states[0]


@pytest.mark.parametrize("seed", range(4))
def test_merged_shards_equal_one_process_on_the_cocoapi_fixture(seed, tmp_path):
    import locuskit.eval as le

    one = le.coco_evaluate(str(FAKE_GT), str(FAKE_DT))
    rng = np.random.default_rng(seed)
    gt = json.loads(FAKE_GT.read_text())
    shards = _random_shards(rng, [im["id"] for im in gt["images"]], int(rng.integers(1, 5)))
    states = [le.coco_state(str(FAKE_GT), str(FAKE_DT), image_ids=s) for s in shards]
    # through the file format and through pickle (what dask and torch.distributed move)
    states[0].save(tmp_path / "s0.state.npz")
    states[0] = le.CocoState.load(tmp_path / "s0.state.npz")
    states = [pickle.loads(pickle.dumps(s)) for s in states]
    _assert_same(_merge_randomly(rng, states).compute(), one)


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "boundary"])
@pytest.mark.parametrize("seed", range(3))
def test_merged_shards_equal_one_process_synthetic(iou_type, seed):
    import locuskit.eval as le

    gt, dt = synthetic(seed, masks=iou_type != "bbox")
    one = le.coco_evaluate(gt, dt, iou_type)
    rng = np.random.default_rng(100 + seed)
    shards = _random_shards(rng, [im["id"] for im in gt["images"]], 3)
    states = [le.coco_state(gt, dt, iou_type, image_ids=s) for s in shards]
    _assert_same(_merge_randomly(rng, states).compute(), one)


@pytest.mark.parametrize("kw", [{"use_cats": False}, {"max_dets": [1, 3, 7]}, {"iou_thrs": [0.3, 0.5, 0.75]},
                                {"area_rng": [[0, 1e10], [0, 100]], "area_rng_lbl": ["all", "tiny"]}])
def test_merged_shards_equal_one_process_with_params(kw):
    import locuskit.eval as le

    gt, dt = synthetic(7)
    one = le.coco_evaluate(gt, dt, **kw)
    shards = _random_shards(np.random.default_rng(3), [im["id"] for im in gt["images"]], 4)
    merged = le.CocoState.empty(le.coco_state(gt, [], image_ids=[], **kw).params)
    for s in shards:
        merged = merged.merge(le.coco_state(gt, dt, image_ids=s, **kw))
    _assert_same(merged.compute(), one)


def test_detectron2_fixture_many_shards():
    import locuskit.eval as le

    one = le.coco_evaluate(str(D2_GT), str(D2_DT))
    gt = json.loads(D2_GT.read_text())
    states = [le.coco_state(str(D2_GT), str(D2_DT), image_ids=[im["id"]]) for im in gt["images"]]
    _assert_same(states[0].merge(*states[1:]).compute(), one)


def test_merge_refuses_overlap_and_other_params(tmp_path):
    import locuskit.eval as le

    a = le.coco_state(str(FAKE_GT), str(FAKE_DT))
    with pytest.raises(ValueError, match="in two states"):
        a.merge(a)
    b = le.coco_state(str(FAKE_GT), str(FAKE_DT), image_ids=[], max_dets=[1, 10, 50])
    with pytest.raises(ValueError, match="maxDets"):
        a.merge(b)
    with pytest.raises(TypeError):
        a.merge(object())
    (tmp_path / "junk.npz").write_bytes(b"not a state")
    with pytest.raises(ValueError, match="not a locuskit state"):
        le.CocoState.load(tmp_path / "junk.npz")
    # a newer format version is refused, not misread
    from locuskit.eval import _state

    hdr, arr = _state.read_arrays(a.to_bytes())
    np.savez(tmp_path / "v99.npz", header=np.frombuffer(json.dumps(dict(hdr, version=99)).encode(), np.uint8), **arr)
    with pytest.raises(ValueError, match="version 99"):
        le.CocoState.load(tmp_path / "v99.npz")


def test_results_reader_chunks_equal_the_loader():
    from locuskit import _core
    from locuskit.eval import _coco, _shard

    g = _coco.load_gt(str(FAKE_GT))
    whole = _coco.load_results(str(FAKE_DT), g["image_ids"], gt=g)
    for rows in (1, 7, 1000, 1 << 20):
        r = _core.eval.CocoResultsReader(str(FAKE_DT), g["image_ids"], False, g["image_height"], g["image_width"])
        parts = []
        while True:
            t = r.next(rows)
            if len(t["id"]) == 0:
                break
            parts.append(t)
        assert r.done and r.rows == len(whole["id"])
        cat = _shard.concat_tables(parts)
        for k, v in whole.items():
            if isinstance(v, np.ndarray):
                assert np.array_equal(cat[k], v), (rows, k)


def test_results_reader_errors(tmp_path):
    from locuskit import _core

    ids = np.array([1, 2], np.int64)
    bad = tmp_path / "bad.json"
    bad.write_text('[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1},\n'
                   ' {"image_id": 7, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}]')
    r = _core.eval.CocoResultsReader(str(bad), ids)
    assert len(r.next(1)["id"]) == 1  # the bad row is reported when it is reached
    with pytest.raises(AssertionError, match=r"results\[1\].*image_id 7"):
        r.next(1)
    (tmp_path / "obj.json").write_text("{}")
    with pytest.raises(AssertionError, match="list of objects"):
        _core.eval.CocoResultsReader(str(tmp_path / "obj.json"), ids)
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(IndexError):
        _core.eval.CocoResultsReader(str(tmp_path / "empty.json"), ids)
    assert len(_core.eval.CocoResultsReader(str(tmp_path / "empty.json"), ids, True).next(5)["id"]) == 0
    with pytest.raises(ValueError, match="cannot read"):
        _core.eval.CocoResultsReader(str(tmp_path / "absent.json"), ids)
    with pytest.raises(ValueError, match="malformed"):
        (tmp_path / "cut.json").write_text('[{"image_id": 1, "category_id": 1, "bbox": [0, 0')
        _core.eval.CocoResultsReader(str(tmp_path / "cut.json"), ids).next(10)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_sharded_bounded_memory_evaluation_equals_one_call(iou_type, tmp_path, capsys):
    import locuskit.eval as le

    gt, dt = synthetic(11, n_images=40, masks=iou_type == "segm")
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    one = le.coco_evaluate(gt, dt, iou_type)
    kw = dict(shards=5, state_dir=tmp_path / "states", chunk_rows=13)
    r = le.coco_evaluate_sharded(str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), iou_type, **kw)
    _assert_same(r, one)
    err = capsys.readouterr().err
    assert "shard 5/5 done" in err and "overall 5/5" in err
    # rerun: every shard state is on disk, nothing is read again
    states = sorted((tmp_path / "states").glob("shard-*.state.npz"))
    assert len(states) == 5
    states[2].unlink()  # an interrupted run: this shard is redone, the others skipped
    r2 = le.coco_evaluate_sharded(str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), iou_type, **kw)
    _assert_same(r2, one)
    err = capsys.readouterr().err
    assert err.count("skipped") == 4
    le.coco_evaluate_sharded(str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), iou_type, quiet=True, **kw)
    assert capsys.readouterr().err == ""


def test_sharded_over_a_list_of_results_files(tmp_path):
    import locuskit.eval as le

    gt, dt = synthetic(12, n_images=30)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    rng = np.random.default_rng(0)
    shard = {im["id"]: int(rng.integers(0, 4)) for im in gt["images"]}
    files = []
    for k in range(3):  # shard 3's images have no results file: their GT still counts
        files.append(str(tmp_path / f"dt{k}.json"))
        (tmp_path / f"dt{k}.json").write_text(json.dumps([d for d in dt if shard[d["image_id"]] == k]))
    one = le.coco_evaluate(gt, [d for d in dt if shard[d["image_id"]] < 3])
    _assert_same(le.coco_evaluate_sharded(str(tmp_path / "gt.json"), files, quiet=True), one)
    with pytest.raises(ValueError, match="in two states"):
        le.coco_evaluate_sharded(str(tmp_path / "gt.json"), files + files[:1], quiet=True)


def test_voc_and_semseg_states_round_trip_and_merge(tmp_path):
    """VOC and semantic-segmentation states through the state file: loaded pieces merge to
    what one process computes, bit for bit."""
    import locuskit.eval as le
    from locuskit.semseg import SegmentationMetric

    gt, dt = synthetic(21, n_images=20)
    by = {im["id"]: ([], []) for im in gt["images"]}
    for a in gt["annotations"]:
        by[a["image_id"]][0].append(a)
    for d in dt:
        by[d["image_id"]][1].append(d)
    preds = [{"boxes": np.asarray([d["bbox"] for d in ds], float).reshape(-1, 4), "scores": np.asarray([d["score"] for d in ds]),
              "labels": np.asarray([d["category_id"] for d in ds], np.int64)} for _, ds in by.values()]
    targets = [{"boxes": np.asarray([a["bbox"] for a in gs], float).reshape(-1, 4), "labels": np.asarray(
        [a["category_id"] for a in gs], np.int64), "difficult": np.asarray([a["iscrowd"] for a in gs]), "image_id": i}
        for i, (gs, _) in by.items()]
    one = le.VocEvaluator(box_format="xywh")
    one.update(preds, targets)
    parts = [le.VocEvaluator(box_format="xywh") for _ in range(3)]
    for k, (p, t) in enumerate(zip(preds, targets)):
        parts[k % 3].update([p], [t])
    for k, ev in enumerate(parts):
        le.save_state(ev, tmp_path / f"voc{k}.npz")
    loaded = [le.load_state(tmp_path / f"voc{k}.npz") for k in range(3)]
    merged = loaded[0].merge(loaded[1]).merge(loaded[2])
    a, b = merged.compute(), one.compute()
    assert a.classes.keys() == b.classes.keys()
    for n in a.classes:
        assert a.classes[n].ap_all_point == b.classes[n].ap_all_point
        assert np.array_equal(a.classes[n].precision, b.classes[n].precision)

    rng = np.random.default_rng(0)
    maps = [(rng.integers(0, 6, (9, 11)), rng.integers(0, 6, (9, 11))) for _ in range(6)]
    for p, g in maps[:2]:
        g[0, :3] = 255  # ignored pixels
    whole = SegmentationMetric(5).update_batch(*zip(*maps))
    pieces = [SegmentationMetric(5).update_batch(*zip(*maps[:4])), SegmentationMetric(5).update_batch(*zip(*maps[4:]))]
    for k, m in enumerate(pieces):
        le.save_state(m, tmp_path / f"seg{k}.npz")
    m = le.load_state(tmp_path / "seg0.npz").merge(le.load_state(tmp_path / "seg1.npz"))
    for conv in ("mmseg", "confusion"):
        x, y = m.compute(conv), whole.compute(conv)
        _same_tree(x, y, conv)
    assert m.num_images == 6
    # a CocoEvaluator is saved as its CocoState
    ev = le.CocoEvaluator(box_format="xywh")
    ev.update(preds, [dict(t, iscrowd=t["difficult"]) for t in targets])
    le.save_state(ev, tmp_path / "coco.npz")
    assert isinstance(le.load_state(tmp_path / "coco.npz"), le.CocoState)
    _assert_same(le.load_state(tmp_path / "coco.npz").compute(), ev.compute())
    with pytest.raises(TypeError):
        le.save_state(object(), tmp_path / "x.npz")


def _same_tree(x, y, where):
    if isinstance(y, dict):
        assert x.keys() == y.keys(), where
        for k in y:
            _same_tree(x[k], y[k], (where, k))
        return
    xa, ya = np.asarray(x), np.asarray(y)
    assert np.array_equal(xa, ya, equal_nan=xa.dtype.kind == "f"), where
