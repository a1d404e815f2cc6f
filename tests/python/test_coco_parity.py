"""Bitwise parity of locuskit.coco (the pycocotools drop-in) and locuskit.eval.coco_evaluate with
the stored pycocotools 2.0.11 outputs: stats and the full precision / recall / scores arrays
(np.array_equal), the printed summary, and the exceptions pycocotools raises."""
from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE

LOCAL = DATA / "eval" / "detection"
SHARED = SHARED_REFERENCE / "detection"
_EXPECTED = LOCAL / "expected.json" if (LOCAL / "expected.json").exists() else SHARED / "expected.json"
EXPECTED = json.loads(_EXPECTED.read_text())
CASES = EXPECTED["cases"]


def _path(rel):
    for root in (LOCAL, SHARED):
        if (root / rel).exists():
            return root / rel
    pytest.skip(f"{rel}: not in tests/data/eval and the shared reference is absent")


def _gt_dataset(case):
    ds = json.loads(_path(case["gt"]).read_text())
    tr = case["gt_transform"]
    if tr == "no_annotations":
        ds["annotations"] = []
    elif tr and tr.startswith("omit:"):
        f = tr[5:]
        for a in ds["annotations"]:
            a.pop(f, None)
    return ds


def _dt_list(case):
    dt = json.loads(_path(case["dt"]).read_text())
    tr = case["dt_transform"]
    if tr == "empty":
        dt = []
    elif tr == "drop_bbox":
        for d in dt:
            d.pop("bbox", None)
    elif tr and tr.startswith("omit:"):
        f = tr[5:]
        for d in dt:
            d.pop(f, None)
    return dt


def _error_type(case):
    name = case["error"].split(":")[0]
    return {"KeyError": KeyError, "IndexError": IndexError, "AssertionError": (AssertionError, ValueError)}[name]


def _run(case, from_files: bool):
    """Runs the drop-in through every stage; returns (stage reached, COCOeval, summary text)."""
    from locuskit.coco import COCO, COCOeval

    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        if from_files:
            gt = COCO(str(_path(case["gt"])))
            dt = gt.loadRes(str(_path(case["dt"])))
        else:
            gt = COCO()
            gt.dataset = _gt_dataset(case)
            gt.createIndex()
            dt = gt.loadRes(_dt_list(case))
        E = COCOeval(gt, dt, case["iouType"])
        for k, v in case["non_default_params"].items():
            setattr(E.params, k, np.array(v) if k in ("iouThrs", "recThrs") else v)
        E.evaluate()
        E.accumulate()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        E.summarize()
    return E, out.getvalue()


def _compare_arrays(E, case):
    ref = np.load(_path(case["arrays"]["file"]))
    for name in ("precision", "recall", "scores"):
        got = E.eval[name]
        assert got.shape == ref[name].shape, name
        assert got.dtype == np.float64
        assert np.array_equal(got, ref[name]), f"{name}: {np.argwhere(got != ref[name])[:5]}"


PARITY = [cid for cid, c in CASES.items() if c["gt"] is not None]


@pytest.mark.parametrize("cid", PARITY)
def test_coco_drop_in_matches_pycocotools(cid):
    case = CASES[cid]
    from_files = case["gt_transform"] is None and case["dt_transform"] is None
    if "error" in case:
        stage = case["error_stage"]
        if stage in ("load", "evaluate"):
            with pytest.raises(_error_type(case)):
                _run(case, from_files)
            return
        # summarize fails in pycocotools, the arrays are still defined
        from locuskit.coco import COCO, COCOeval  # noqa: F401
        with pytest.raises(_error_type(case)):
            _run(case, from_files)
        E = _partial(case, from_files)
        _compare_arrays(E, case)
        return
    E, text = _run(case, from_files)
    _compare_arrays(E, case)
    stats = np.asarray(E.stats)
    assert np.array_equal(stats, np.asarray(case["stats"])), (stats.tolist(), case["stats"])
    assert text.splitlines() == case["summary_lines"]


def _partial(case, from_files):
    from locuskit.coco import COCO, COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        if from_files:
            gt = COCO(str(_path(case["gt"])))
            dt = gt.loadRes(str(_path(case["dt"])))
        else:
            gt = COCO()
            gt.dataset = _gt_dataset(case)
            dt = gt.loadRes(_dt_list(case))
        E = COCOeval(gt, dt, case["iouType"])
        for k, v in case["non_default_params"].items():
            setattr(E.params, k, np.array(v) if k in ("iouThrs", "recThrs") else v)
        E.evaluate()
        E.accumulate()
    return E


@pytest.mark.parametrize("cid", [c for c in PARITY if CASES[c]["gt_transform"] is None
                                 and CASES[c]["dt_transform"] is None and "error" not in CASES[c]])
def test_coco_evaluate_one_call_matches(cid):
    import locuskit.eval as le

    case = CASES[cid]
    kw = {}
    names = {"iouThrs": "iou_thrs", "recThrs": "rec_thrs", "maxDets": "max_dets", "areaRng": "area_rng",
             "areaRngLbl": "area_rng_lbl", "useCats": "use_cats"}
    for k, v in case["non_default_params"].items():
        kw[names[k]] = v
    # list input for the results (the JSON path is covered by the drop-in test)
    dt = json.loads(_path(case["dt"]).read_text())
    r = le.coco_evaluate(str(_path(case["gt"])), dt, case["iouType"], **kw)
    ref = np.load(_path(case["arrays"]["file"]))
    assert np.array_equal(r.precision, ref["precision"])
    assert np.array_equal(r.recall, ref["recall"])
    assert np.array_equal(r.scores, ref["scores"])
    assert np.array_equal(r.stats, np.asarray(case["stats"]))
    assert r.summary_lines == case["summary_lines"]
    rows = r.per_category()
    assert len(rows) == r.precision.shape[2]


def test_numpy_array_results_match_json():
    from locuskit.coco import COCO, COCOeval

    case = CASES["cocoapi_fake100.bbox"]
    dt = json.loads(_path(case["dt"]).read_text())
    arr = np.array([[d["image_id"], *d["bbox"], d["score"], d["category_id"]] for d in dt])
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(_path(case["gt"])))
        E = COCOeval(gt, gt.loadRes(arr), "bbox")
        E.evaluate(); E.accumulate(); E.summarize()
    assert np.array_equal(E.stats, np.asarray(case["stats"]))
    _compare_arrays(E, case)


def test_thread_count_does_not_change_bits():
    import locuskit
    import locuskit.eval as le

    case = CASES["cocoapi_fake100.bbox"]
    old = locuskit.get_num_threads()
    try:
        locuskit.set_num_threads(1)
        a = le.coco_evaluate(str(_path(case["gt"])), str(_path(case["dt"])))
        locuskit.set_num_threads(4)
        b = le.coco_evaluate(str(_path(case["gt"])), str(_path(case["dt"])))
    finally:
        locuskit.set_num_threads(old)
    for n in ("precision", "recall", "scores", "stats"):
        assert np.array_equal(getattr(a, n), getattr(b, n))


def test_empty_results_documented_result():
    import locuskit.eval as le
    from locuskit.coco import COCO

    case = CASES["detectron2.bbox"]
    r = le.coco_evaluate(str(_path(case["gt"])), [])
    # every category with GT has AP 0, categories without GT -1
    assert r.stats[0] == 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(_path(case["gt"])))
        with pytest.raises(IndexError, match="empty"):
            gt.loadRes([])


def test_bad_inputs_raise_clear_errors(tmp_path):
    import locuskit.eval as le

    gt = str(_path(CASES["detectron2.bbox"]["gt"]))
    bad = tmp_path / "bad.json"
    bad.write_text('[{"image_id": 139, "category_id": 1, "bbox": [1, 2, 3')
    with pytest.raises(ValueError, match="malformed JSON"):
        le.coco_evaluate(gt, str(bad))
    # NaN / infinite scores are accepted as pycocotools does (parity: test_coco_hardening.py)
    le.coco_evaluate(gt, [{"image_id": 139, "category_id": 1, "bbox": [1, 2, 3, 4], "score": float("nan")}])
    with pytest.raises(AssertionError, match="not an image"):
        le.coco_evaluate(gt, [{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}])
    with pytest.raises(ValueError, match="expected 4"):
        le.coco_evaluate(gt, [{"image_id": 139, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5}])
    with pytest.raises((FileNotFoundError, ValueError)):
        le.coco_evaluate(gt, str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match="iou_type"):
        le.coco_evaluate(gt, str(_path(CASES["detectron2.bbox"]["dt"])), iou_type="mask")
    # negative widths follow pycocotools' arithmetic (documented): no error, IoU 0
    r = le.coco_evaluate(gt, [{"image_id": 139, "category_id": 1, "bbox": [10, 10, -5, 20], "score": 0.5}])
    assert r.stats[0] == 0.0


def test_numpy_mean_order_matches_numpy():
    from locuskit import _core

    rng = np.random.default_rng(0)
    for n in list(range(1, 300)) + [1000, 8191, 8192, 8193, 20000, 100003]:
        a = rng.random(n) * rng.choice([1e-3, 1, 1e3], n)
        assert _core.eval._numpy_mean(a) == np.mean(a), n


def test_dataset_edits_then_createIndex_are_seen():
    from locuskit.coco import COCO, COCOeval
    import locuskit.eval as le

    case = CASES["cocoapi_fake100.bbox"]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(_path(case["gt"])))
        gt.dataset["annotations"] = gt.dataset["annotations"][:100]   # pycocotools users do this
        gt.createIndex()
        dt = gt.loadRes(str(_path(case["dt"])))
        E = COCOeval(gt, dt, "bbox")
        E.evaluate(); E.accumulate(); E.summarize()
    ref = le.coco_evaluate({**json.loads(_path(case["gt"]).read_text()),
                            "annotations": json.loads(_path(case["gt"]).read_text())["annotations"][:100]},
                           str(_path(case["dt"])))
    assert np.array_equal(E.stats, ref.stats)
    # a COCO from loadRes is accepted by the one-call API too
    r2 = le.coco_evaluate(gt, dt)
    assert np.array_equal(r2.precision, E.eval["precision"])


def test_coco_query_api_matches_dataset():
    from locuskit.coco import COCO

    case = CASES["cocoapi_fake100.bbox"]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(_path(case["gt"])))
    ds = json.loads(_path(case["gt"]).read_text())
    assert sorted(gt.getImgIds()) == sorted(im["id"] for im in ds["images"])
    assert gt.getCatIds() == [c["id"] for c in ds["categories"]]
    img = ds["images"][0]["id"]
    ids = gt.getAnnIds(imgIds=[img])
    assert ids == [a["id"] for a in ds["annotations"] if a["image_id"] == img]
    assert gt.loadAnns(ids[:1])[0]["image_id"] == img
    assert gt.getCatIds(catNms=["person"]) == [1]
    assert len(gt.loadNumpyAnnotations(np.zeros((3, 7)))) == 3


def _accumulate_from_eval_imgs(E):
    """An independent NumPy re-statement of COCOeval.accumulate (notes rules 17-22) over the
    evalImgs records: checks the records by reproducing pycocotools' stored arrays."""
    p = E.params
    T, R, A, M = len(p.iouThrs), len(p.recThrs), len(p.areaRng), len(p.maxDets)
    K = len(p.catIds) if p.useCats else 1
    I = len(p.imgIds)
    prec = -np.ones((T, R, K, A, M))
    rec = -np.ones((T, K, A, M))
    ev = E.evalImgs
    for k in range(K):
        for a in range(A):
            for m, md in enumerate(p.maxDets):
                units = [e for e in ev[(k * A + a) * I:(k * A + a + 1) * I] if e is not None]
                if not units:
                    continue
                sc = np.concatenate([e["dtScores"][:md] for e in units])
                order = np.argsort(-sc, kind="mergesort")
                dtm = np.concatenate([e["dtMatches"][:, :md] for e in units], axis=1)[:, order]
                dig = np.concatenate([e["dtIgnore"][:, :md] for e in units], axis=1)[:, order]
                npig = int(np.count_nonzero(np.concatenate([e["gtIgnore"] for e in units]) == 0))
                if npig == 0:
                    continue
                tps = np.cumsum(np.logical_and(dtm, ~dig), axis=1).astype(float)
                fps = np.cumsum(np.logical_and(~dtm.astype(bool), ~dig), axis=1).astype(float)
                for t in range(T):
                    tp, fp = tps[t], fps[t]
                    nd = len(tp)
                    rc = tp / npig
                    pr = list(tp / (fp + tp + np.spacing(1)))
                    rec[t, k, a, m] = rc[-1] if nd else 0
                    for i in range(nd - 1, 0, -1):
                        pr[i - 1] = max(pr[i - 1], pr[i])
                    q = np.zeros(R)
                    for r, j in enumerate(np.searchsorted(rc, p.recThrs, side="left")):
                        if j >= nd:
                            break
                        q[r] = pr[j]
                    prec[t, :, k, a, m] = q
    return prec, rec


@pytest.mark.parametrize("cid", ["cocoapi_fake100.bbox", "micro.gt_id_zero", "micro.crowd_absorbs_many",
                                 "micro.use_cats_zero", "faster_coco_eval.keypoints", "s1.bbox.useCats_0", "s4.bbox"])
def test_eval_imgs_reproduce_the_reference_arrays(cid):
    case = CASES[cid]
    E, _ = _run(case, True)
    ev = E.evalImgs
    K = len(E.params.catIds) if E.params.useCats else 1
    assert len(ev) == K * len(E.params.areaRng) * len(E.params.imgIds)
    prec, rec = _accumulate_from_eval_imgs(E)
    ref = np.load(_path(case["arrays"]["file"]))
    assert np.array_equal(prec, ref["precision"])
    assert np.array_equal(rec, ref["recall"])
    first = next(e for e in ev if e is not None)
    assert set(first) == {"image_id", "category_id", "aRng", "maxDet", "dtIds", "gtIds", "dtMatches", "gtMatches",
                          "dtScores", "gtIgnore", "dtIgnore"}


def test_nan_in_results_file_is_read_nan_in_gt_is_named(tmp_path):
    import locuskit.eval as le

    gt = str(_path(CASES["detectron2.bbox"]["gt"]))
    f = tmp_path / "nan.json"
    f.write_text(json.dumps([{"image_id": 139, "category_id": 1, "bbox": [1, 2, 3, 4], "score": float("nan")}]))
    le.coco_evaluate(gt, str(f))  # results: what Python's json reads (pycocotools accepts it)
    ds = json.loads(open(gt).read())
    ds["annotations"][0]["area"] = float("nan")
    g = tmp_path / "gt_nan.json"
    g.write_text(json.dumps(ds))
    with pytest.raises(ValueError, match="NaN or Infinity"):
        le.coco_evaluate(str(g), str(f))
