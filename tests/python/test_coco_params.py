"""Issue 11: one Params type. The drop-in's ``COCOeval.params`` is the bound C++ Params (the type
``coco_evaluate`` and the streaming evaluator build), reads and writes as pycocotools' Params
does, checks what is assigned; and ``evaluate()`` + ``accumulate()`` + ``summarize()`` is one call
into C++ (counted here by wrapping the bound functions)."""
from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pytest

# pycocotools 2.0.11's stored outputs on the hardening fixture (tests/data/eval/hardening)
from test_coco_hardening import DT, EXPECTED, GT, quiet

from locuskit import _core
from locuskit.coco import COCO, COCOeval, Params
from locuskit.eval import coco_evaluate


def fresh():
    g = quiet(COCO, str(GT))
    return COCOeval(g, quiet(g.loadRes, str(DT)), "bbox")


def run(E):
    quiet(E.evaluate)
    quiet(E.accumulate)
    quiet(E.summarize)
    return E


# ------------------------------------------------------------------ one type
def test_drop_in_params_is_the_bound_cpp_params():
    E = fresh()
    assert isinstance(E.params, _core.eval.Params)
    assert isinstance(Params("keypoints"), _core.eval.Params)
    # the one-call API evaluates the same type (its defaults from C++ only)
    from locuskit.eval import _coco

    assert type(_coco.default_params("bbox")) is _core.eval.Params


def test_defaults_and_types_are_pycocotools():
    """The literal values and Python types of pycocotools 2.0.11's Params (cocoeval.py)."""
    p = Params("bbox")
    assert isinstance(p.iouThrs, np.ndarray) and isinstance(p.recThrs, np.ndarray)
    assert np.array_equal(p.iouThrs, np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True))
    assert np.array_equal(p.recThrs, np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True))
    assert p.maxDets == [1, 10, 100] and type(p.maxDets[0]) is int
    area = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
    assert p.areaRng == area
    assert [[type(v) for v in r] for r in p.areaRng] == [[type(v) for v in r] for r in area]
    assert p.areaRngLbl == ["all", "small", "medium", "large"]
    assert p.useCats == 1 and p.iouType == "bbox" and p.useSegm is None
    assert p.imgIds == [] and p.catIds == []
    assert not hasattr(p, "kpt_oks_sigmas")  # pycocotools sets it for keypoints only
    k = Params("keypoints")
    assert np.array_equal(k.kpt_oks_sigmas, np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07,
                                                      .87, .87, .89, .89]) / 10.0)
    assert k.maxDets == [20] and k.areaRngLbl == ["all", "medium", "large"]
    assert Params().iouType == "segm"
    with pytest.raises(Exception, match="iouType not supported"):
        Params("mask")


@pytest.mark.parametrize("field, value, error, message", [
    ("imgIds", 5, TypeError, "imgIds: expected a list"),
    ("catIds", [1, "x", 3], TypeError, r"catIds\[1\]: expected an integer"),
    ("maxDets", [1, 10.5], ValueError, r"maxDets\[1\]: 10.5 is not an integer"),
    ("iouThrs", ["a", "b"], TypeError, "iouThrs: expected real numbers"),
    ("recThrs", np.zeros((2, 2)), ValueError, "recThrs: expected a 1-D"),
    ("areaRng", [[0, 1, 2]], ValueError, r"areaRng\[0\]: every range needs 2 values"),
    ("areaRng", [[0, "big"]], TypeError, r"areaRng\[0\]: expected numbers"),
    ("areaRngLbl", ["all", 2], TypeError, r"areaRngLbl\[1\]: expected a str"),
    ("useCats", "yes", TypeError, "useCats"),
    ("iouType", "mask", ValueError, "iouType: expected"),
    ("dilation_ratio", -1.0, ValueError, "dilation_ratio"),
])
def test_assignments_are_checked_naming_the_field(field, value, error, message):
    with pytest.raises(error, match=message):
        setattr(_core.eval.Params("bbox"), field, value)
    if field not in ("catIds", "imgIds"):  # the drop-in keeps ids of any type (string ids)
        with pytest.raises(error, match=message):
            setattr(fresh().params, field, value)


def test_drop_in_ids_that_are_not_gt_ids_fail_at_evaluate_naming_the_field():
    E = fresh()
    E.params.catIds = [1, "x", 3]  # pycocotools accepts any id (a GT may have string ids)
    assert E.params.catIds == [1, "x", 3]
    # evaluate()'s np.unique makes every id a str, as in pycocotools (which then finds none)
    with pytest.raises(ValueError, match="catIds: '1' is not an id of the ground truth"):
        quiet(E.evaluate)
    with pytest.raises(TypeError, match="imgIds: expected a list"):
        E.params.imgIds = 5


def test_in_place_edits_write_through_as_on_pycocotools_lists():
    """pycocotools' fields are plain lists: editing them in place changes the evaluation."""
    edited, assigned = fresh(), fresh()
    edited.params.maxDets[2] = 50
    edited.params.areaRng[1][1] = 40 ** 2
    edited.params.imgIds.remove(edited.params.imgIds[0])
    assigned.params.maxDets = [1, 10, 50]
    assigned.params.areaRng = [[0, 1e10], [0, 1600], [1024, 9216], [9216, 1e10]]
    assigned.params.imgIds = assigned.params.imgIds[1:]
    assert edited.params.maxDets == [1, 10, 50] and edited.params.areaRng[1] == [0, 1600]
    run(edited), run(assigned)
    for key in ("precision", "recall", "scores"):
        assert np.array_equal(edited.eval[key], assigned.eval[key])
    # and the edit changed the numbers (the default maxDets / areaRng give others)
    assert not np.array_equal(edited.eval["precision"], run(fresh()).eval["precision"])


def test_grids_are_views_and_a_list_stays_a_list():
    p = Params("bbox")
    t = p.iouThrs
    t[0] = 0.3  # an in-place edit of pycocotools' ndarray changes the parameters
    assert p.iouThrs[0] == 0.3
    p.iouThrs = [0.5, 0.75]  # a list stays a list (pycocotools' summarize() depends on it)
    assert isinstance(p.iouThrs, list) and p.iouThrs == [0.5, 0.75]
    assert t[0] == 0.3 and len(t) == 10  # a view taken before keeps its values (no dangling buffer)
    p.iouThrs = np.array([0.5])
    assert isinstance(p.iouThrs, np.ndarray)


def test_copy_pickle_vars_and_own_attributes():
    E = fresh()
    p = E.params
    p.note = "my run"  # arbitrary attributes, as on pycocotools' Params
    p.maxDets = [1, 10, 300]
    p.iouThrs = [0.5, 0.75]
    for q in (copy.deepcopy(p), copy.copy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is Params and q == p
        assert q.note == "my run" and q.useSegm is None
        assert q.maxDets == [1, 10, 300] and isinstance(q.iouThrs, list)
    assert vars(p)["note"] == "my run" and "useSegm" in vars(p)
    assert dict(p)["maxDets"] == [1, 10, 300] and p["iouType"] == "bbox"


def test_string_ids_are_kept_as_given():
    ds = json.loads(GT.read_text())
    names = {im["id"]: f"img-{im['id']:04d}" for im in ds["images"]}
    for im in ds["images"]:
        im["id"] = names[im["id"]]
    for a in ds["annotations"]:
        a["image_id"] = names[a["image_id"]]
    g = COCO()
    g.dataset = ds
    quiet(g.createIndex)
    res = json.loads(DT.read_text())
    for r in res:
        r["image_id"] = names[r["image_id"]]
    E = COCOeval(g, quiet(g.loadRes, res), "bbox")
    assert E.params.imgIds == sorted(names.values())
    run(E)
    assert E.params.imgIds == sorted(names.values())
    # the same numbers as with the integer ids (the codes sort like the names)
    assert np.array_equal(E.eval["precision"], run(fresh()).eval["precision"])


# ------------------------------------------------------------------ one call into C++
ENTRY_POINTS = ("coco_evaluate", "coco_evaluate_accumulate", "coco_summarize", "coco_accumulate_states")


@pytest.fixture
def cpp_calls(monkeypatch):
    """Counts the calls into the C++ evaluator (module functions and CocoEvaluation.accumulate)."""
    calls = []

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return fn(*args, **kwargs)
        return wrapper

    for name in ENTRY_POINTS:
        monkeypatch.setattr(_core.eval, name, counted(name, getattr(_core.eval, name)))
    monkeypatch.setattr(_core.eval.CocoEvaluation, "accumulate",
                        counted("CocoEvaluation.accumulate", _core.eval.CocoEvaluation.accumulate))
    return calls


def test_evaluate_accumulate_summarize_is_one_call_into_cpp(cpp_calls):
    E = fresh()
    run(E)
    assert cpp_calls == ["coco_evaluate_accumulate"]
    exp = EXPECTED["cases"]["base"]
    assert [repr(float(s)) for s in E.stats] == exp["stats"]  # pycocotools' stored stats
    # a second accumulate() / summarize() hands out the same result again (fresh arrays)
    first = E.eval["precision"]
    quiet(E.accumulate)
    quiet(E.summarize)
    assert cpp_calls == ["coco_evaluate_accumulate"]
    assert E.eval["precision"] is not first and np.array_equal(E.eval["precision"], first)


def test_changed_params_recompute_only_what_they_change(cpp_calls):
    E = fresh()
    quiet(E.evaluate)
    E.params.recThrs = np.linspace(0, 1, 11)  # accumulate(p) with other recall thresholds
    quiet(E.accumulate)
    assert cpp_calls == ["coco_evaluate_accumulate", "CocoEvaluation.accumulate"]
    assert E.eval["precision"].shape[1] == 11
    quiet(E.summarize)  # the summary of these arrays, not evaluate()'s
    assert cpp_calls[-1] == "coco_summarize"
    del cpp_calls[:]
    E2 = fresh()
    quiet(E2.evaluate)
    E2.params.maxDets = [100, 5, 1]  # other maxDets: pycocotools' index mapping through evalImgs
    quiet(E2.accumulate)
    assert cpp_calls[0] == "coco_evaluate_accumulate" and "coco_accumulate_states" in cpp_calls


def test_one_call_api_takes_the_drop_in_params():
    E = fresh()
    E.params.maxDets = [1, 10, 50]
    E.params.iouThrs = np.array([0.5, 0.75])
    run(E)
    r = coco_evaluate(str(GT), str(DT), params=E.params)
    assert np.array_equal(r.precision, E.eval["precision"]) and np.array_equal(r.stats, E.stats)
    assert E.params.maxDets == [1, 10, 50]  # coco_evaluate works on a copy
    with pytest.raises(TypeError, match="params: expected a Params"):
        coco_evaluate(str(GT), str(DT), params={"maxDets": [1]})


def test_streaming_evaluator_takes_params_and_checks_its_keywords():
    from locuskit.eval import CocoEvaluator

    rng = np.random.default_rng(0)
    preds, targets = [], []
    for i in range(6):
        b = rng.uniform(0, 50, (5, 2))
        boxes = np.concatenate([b, b + rng.uniform(5, 40, (5, 2))], axis=1)
        targets.append({"boxes": boxes, "labels": rng.integers(1, 3, 5), "image_id": i + 1})
        preds.append({"boxes": boxes + rng.normal(0, 3, boxes.shape), "scores": rng.uniform(size=5),
                      "labels": rng.integers(1, 3, 5)})
    p = Params("bbox")
    p.maxDets = [1, 3, 5]
    by_params = CocoEvaluator(box_format="xyxy", params=p)
    by_keyword = CocoEvaluator(box_format="xyxy", maxDets=[1, 3, 5])
    for ev in (by_params, by_keyword):
        ev.update(preds, targets)
    a, b = by_params.compute(), by_keyword.compute()
    assert a.params["maxDets"] == [1, 3, 5] and np.array_equal(a.precision, b.precision)
    assert np.array_equal(a.stats, b.stats)
    with pytest.raises(TypeError, match="unexpected parameter 'maxDet'"):
        CocoEvaluator(maxDet=[1])
    with pytest.raises(TypeError, match="maxDets: expected a list"):
        CocoEvaluator(maxDets=7)


def test_a_params_like_object_assigned_to_params_is_taken_over():
    """Code that assigns another Params-like object (pycocotools' own, a namespace) still
    evaluates it: evaluate() makes it a Params with the same fields and attributes."""
    import types

    E = fresh()
    ref = fresh()
    ref.params.maxDets = [1, 10, 50]
    run(ref)
    E.params = types.SimpleNamespace(**{k: (list(v) if isinstance(v, list) else v) for k, v in dict(E.params).items()},
                                     useSegm=None, note="mine")
    E.params.maxDets = [1, 10, 50]
    run(E)
    assert isinstance(E.params, Params) and E.params.note == "mine" and E.params.maxDets == [1, 10, 50]
    assert np.array_equal(E.eval["precision"], ref.eval["precision"]) and np.array_equal(E.stats, ref.stats)


def test_the_core_params_can_be_assigned_to_the_drop_in():
    from locuskit.eval import Params as CoreParams

    E, ref = fresh(), run(fresh())
    p = CoreParams("bbox")
    p.imgIds, p.catIds = E.params.imgIds, E.params.catIds
    E.params = p
    run(E)
    assert np.array_equal(E.eval["precision"], ref.eval["precision"]) and np.array_equal(E.stats, ref.stats)
