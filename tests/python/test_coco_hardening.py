"""Issue 10: COCO-evaluation defects found in verification, each against pycocotools 2.0.11's
stored outputs (tests/data/eval/hardening/expected.json, made by make_expected.py there).

Arrays are compared through the sha256 of their float64 bytes (bitwise equality) and stats by
their repr, so a single changed bit fails."""
from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import DATA

from locuskit.coco import COCO, COCOeval
from locuskit.eval import CocoEvaluator, coco_evaluate

HERE = DATA / "eval" / "hardening"
EXPECTED = json.loads((HERE / "expected.json").read_text())
GT = HERE / "gt.json"
DT = HERE / "dt.json"


def quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.float64).tobytes()).hexdigest()


def check(E, case):
    """accumulate + summarize, then every stored pycocotools output of `case`."""
    exp = EXPECTED["cases"][case]
    quiet(E.accumulate)
    assert list(E.eval["precision"].shape) == exp["shape"]
    assert digest(E.eval["precision"]) == exp["precision"]
    assert digest(E.eval["recall"]) == exp["recall"]
    assert digest(E.eval["scores"]) == exp["scores"]
    if "stats" in exp:
        quiet(E.summarize)
        assert [repr(float(s)) for s in E.stats] == exp["stats"]


def records_digest(recs):
    """sha256 of evalImgs records with every number as a float (as make_expected.py)."""
    def num(x):
        if isinstance(x, (list, tuple)):
            return [num(v) for v in x]
        return float(x)

    canon = [None if r is None else {k: num(np.asarray(v).tolist()) for k, v in sorted(r.items())} for r in recs]
    return hashlib.sha256(json.dumps(canon).encode()).hexdigest()


def fresh(gt=None, dt=None):
    g = quiet(COCO, str(GT)) if gt is None else gt
    d = quiet(g.loadRes, str(DT) if dt is None else dt)
    return g, d, COCOeval(g, d, "bbox")


def test_base_case_matches():
    _, _, E = fresh()
    quiet(E.evaluate)
    check(E, "base")


@pytest.mark.parametrize("case", ["base", "usecats0_duplicate_catids"])
def test_eval_imgs_records_equal_pycocotools(case):
    """Every field of every evalImgs record (dtIds, gtIds, dtMatches, gtMatches, ignores...)."""
    _, _, E = fresh()
    if case != "base":
        E.params.useCats = 0
        E.params.catIds = [1, 1, 2, 3, 3]
    quiet(E.evaluate)
    assert records_digest(E.evalImgs) == EXPECTED["cases"][case]["evalImgs"]


# ------------------------------------------------------------------ item 2
def test_use_cats_0_with_duplicate_category_ids_pools_them_twice():
    _, _, E = fresh()
    E.params.useCats = 0
    E.params.catIds = [1, 1, 2, 3, 3]
    quiet(E.evaluate)
    check(E, "usecats0_duplicate_catids")


def test_coco_evaluate_use_cats_0_duplicate_category_ids():
    exp = EXPECTED["cases"]["usecats0_duplicate_catids"]
    r = coco_evaluate(str(GT), str(DT), use_cats=False, cat_ids=[1, 1, 2, 3, 3])
    assert [repr(float(s)) for s in r.stats] == exp["stats"]
    assert digest(r.precision) == exp["precision"]


# ------------------------------------------------------------------ item 2b
def test_torchvision_reference_script_pattern():
    """torchvision references/detection/coco_eval.py, CocoEvaluator: per batch loadRes + evaluate,
    evalImgs reshaped (K, A, I_batch) and concatenated; then merge (np.unique over image ids),
    assign evalImgs / params.imgIds / _paramsEval and accumulate()."""
    g = quiet(COCO, str(GT))
    dt_list = json.loads(DT.read_text())
    E = COCOeval(g, iouType="bbox")
    img_ids_all, evs = [], []
    ids = sorted(g.getImgIds())
    order = [ids[i] for i in (5, 0, 3, 1, 11, 2, 7, 6, 9, 10, 8, 4)]
    for b in range(0, len(order), 5):
        batch = order[b:b + 5]
        res = [copy.deepcopy(d) for d in dt_list if d["image_id"] in batch]
        img_ids = list(np.unique(batch))
        img_ids_all.extend(img_ids)
        E.cocoDt = quiet(COCO.loadRes, g, res) if res else COCO()
        E.params.imgIds = list(img_ids)
        quiet(E.evaluate)
        evs.append(np.asarray(E.evalImgs).reshape(-1, len(E.params.areaRng), len(E.params.imgIds)))
    merged_ids, idx = np.unique(np.array(img_ids_all), return_index=True)
    merged = np.concatenate(evs, 2)[..., idx]
    E.evalImgs = list(merged.flatten())
    E.params.imgIds = list(merged_ids)
    E._paramsEval = copy.deepcopy(E.params)
    check(E, "torchvision_pattern")
    # and it equals one evaluation over everything
    assert EXPECTED["cases"]["torchvision_pattern"]["stats"] == EXPECTED["cases"]["base"]["stats"]


def test_assigned_eval_imgs_are_used():
    """accumulate() reads evalImgs as assigned: dropping every record gives pycocotools' -1 cells."""
    _, _, E = fresh()
    quiet(E.evaluate)
    E.evalImgs = [None] * len(E.evalImgs)
    quiet(E.accumulate)
    assert (E.eval["precision"] == -1).all()


def test_dataset_edit_then_create_index():
    g = quiet(COCO, str(GT))
    for a in g.dataset["annotations"][::3]:
        a["bbox"] = [a["bbox"][0] + 2.5, a["bbox"][1], a["bbox"][2], a["bbox"][3] * 0.9]
    g.dataset["annotations"].append({"id": 999, "image_id": 13, "category_id": 2, "bbox": [5, 5, 20, 20],
                                     "area": 400.0, "iscrowd": 0})
    quiet(g.createIndex)
    _, _, E = fresh(gt=g)
    quiet(E.evaluate)
    check(E, "dataset_edit_createindex")


def test_results_dataset_edit_then_create_index():
    """Edits of cocoDt.dataset count after createIndex() too (here: scores of every result zeroed
    but one -> the same as evaluating the edited list)."""
    g, d, E = fresh()
    for a in d.dataset["annotations"][1:]:
        a["score"] = 0.0
    quiet(d.createIndex)
    quiet(E.evaluate)
    quiet(E.accumulate)
    edited = json.loads(DT.read_text())
    for a in edited[1:]:
        a["score"] = 0.0
    _, _, E2 = fresh(dt=edited)
    quiet(E2.evaluate)
    quiet(E2.accumulate)
    assert np.array_equal(E.eval["precision"], E2.eval["precision"])
    assert not np.array_equal(E.eval["precision"], fresh_base_precision())


def fresh_base_precision():
    _, _, E = fresh()
    quiet(E.evaluate)
    quiet(E.accumulate)
    return E.eval["precision"]


# ------------------------------------------------------------------ item 3
def test_iou_thrs_as_python_list():
    _, _, E = fresh()
    E.params.iouThrs = [float(t) for t in E.params.iouThrs]
    quiet(E.evaluate)
    check(E, "iouthrs_list")


def test_duplicate_annotation_ids_last_wins():
    _, _, E = fresh(gt=quiet(COCO, str(HERE / "gt_duplicate_ids.json")))
    quiet(E.evaluate)
    check(E, "duplicate_annotation_ids")


@pytest.mark.parametrize("case,max_dets", [("maxdets_negative", [-3, -2, -1]), ("maxdets_negative_first", [1, 10, -1])])
def test_negative_max_dets(case, max_dets):
    _, _, E = fresh()
    E.params.maxDets = max_dets
    quiet(E.evaluate)
    check(E, case)


def test_nonfinite_scores_and_boxes_from_file_and_list():
    path = HERE / "dt_nonfinite.json"
    _, _, E = fresh(dt=str(path))
    quiet(E.evaluate)
    check(E, "nonfinite_results")
    lst = json.loads(path.read_text())  # Python reads NaN / Infinity
    assert any(np.isnan(d["score"]) for d in lst)
    _, _, E = fresh(dt=lst)
    quiet(E.evaluate)
    check(E, "nonfinite_results")
    exp = EXPECTED["cases"]["nonfinite_results"]
    assert [repr(float(s)) for s in coco_evaluate(str(GT), str(path)).stats] == exp["stats"]


def test_gt_without_categories_raises_like_pycocotools():
    g = quiet(COCO, str(HERE / "gt_no_categories.json"))
    assert EXPECTED["errors"]["no_categories.loadRes"].startswith("KeyError")
    with pytest.raises(KeyError, match="categories"):
        quiet(g.loadRes, str(DT))
    with pytest.raises(KeyError, match="categories"):
        COCOeval(g, None, "bbox")
    with pytest.raises(KeyError, match="categories"):
        coco_evaluate(str(HERE / "gt_no_categories.json"), str(DT))


def test_accumulate_before_evaluate_raises_like_pycocotools():
    assert EXPECTED["errors"]["accumulate_before_evaluate"].startswith("AttributeError")
    _, _, E = fresh()
    with pytest.raises(AttributeError, match="useCats"):
        quiet(E.accumulate)


def test_load_res_adds_pycocotools_keys():
    _, d, _ = fresh()
    anns = d.dataset["annotations"]
    for i, exp in zip((0, 1, 50), EXPECTED["loadRes_annotations"]):
        assert list(anns[i].keys()) == list(exp.keys())
        assert anns[i] == exp


def test_streaming_evaluator_rejects_infinite_scores():
    ev = CocoEvaluator(box_format="xywh")
    target = {"boxes": np.array([[0.0, 0, 10, 10]]), "labels": np.array([1])}
    for bad in (np.inf, -np.inf, np.nan):
        pred = {"boxes": np.array([[0.0, 0, 10, 10]]), "scores": np.array([bad]), "labels": np.array([1])}
        with pytest.raises(ValueError, match="infinite"):
            ev.update([pred], [target])


@pytest.mark.parametrize("text,match", [
    ('[{"image_id": 18446744073709551616, "category_id": 1, "bbox": [0,0,1,1], "score": 1}]', "not an image"),
    ('[{"image_id": 9223372036854775808, "category_id": 1, "bbox": [0,0,1,1], "score": 1}]', "not an image"),
    ('[{"image_id": "10", "category_id": 1, "bbox": [0,0,1,1], "score": 1}]', "string"),
    ('[{"image_id": 10.5, "category_id": 1, "bbox": [0,0,1,1], "score": 1}]', "not an integer"),
])
def test_result_ids_outside_int64_are_not_gt_images(text, match):
    """pycocotools' loadRes asserts every result image is a GT image: so do we, naming it."""
    g = quiet(COCO, str(GT))
    with pytest.raises(AssertionError, match=match):
        quiet(g.loadRes, json.loads(text))


def test_huge_numbers_are_valid_json():
    """1e400 (float('inf') in Python) and integers beyond 2^64 are read, not 'malformed JSON'."""
    g = quiet(COCO, str(GT))
    res = [{"image_id": 10, "category_id": 1, "bbox": [0, 0, 18446744073709551616, 5], "score": 1e400},
           {"image_id": 10.0, "category_id": 2, "bbox": [1, 2, 3, 4], "score": 0.5}]
    text = json.dumps(res).encode()
    r = quiet(g.loadRes, json.loads(text))
    t = r._table()
    assert t["score"][0] == np.inf and t["bbox"][0, 2] == 18446744073709551616.0
    assert t["image_id"].tolist() == [10, 10]
    with pytest.raises(ValueError, match="category_id"):
        quiet(g.loadRes, [{"image_id": 10, "category_id": 2**64, "bbox": [0, 0, 1, 1], "score": 1}])


def test_gt_huge_numbers(tmp_path):
    """An image id >= 2^64 is an id like any other (through the IdMap); 1e400 in a GT box is
    refused with a message that says why (the GT loader keeps finite doubles)."""
    p = tmp_path / "gt.json"
    p.write_text('{"images": [{"id": 18446744073709551616}], "categories": [{"id": 1}], "annotations": []}')
    assert coco_evaluate(str(p), []).params["imgIds"] == [2**64]
    p.write_text('{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, '
                 '"category_id": 1, "bbox": [0, 0, 1e400, 1], "area": 1, "iscrowd": 0}]}')
    with pytest.raises(ValueError, match="2\\^64, or beyond the double range"):
        coco_evaluate(str(p), [])


@pytest.mark.parametrize("option", ["--json", "--plot"])
def test_cli_output_directory_is_a_clear_error(tmp_path, option):
    r = subprocess.run([sys.executable, "-m", "locuskit", "eval", "coco", str(GT), str(DT), option, str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "is a directory" in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------ resource limits
def test_absurd_parameter_sizes_are_refused_before_allocating():
    with pytest.raises(ValueError, match="resource limit"):  # results x areas x thresholds
        coco_evaluate(str(GT), str(DT), iou_thrs=np.linspace(0.5, 0.95, 2_000_000))
    with pytest.raises(ValueError, match="resource limit"):  # the precision array
        coco_evaluate(str(GT), str(DT), iou_thrs=np.linspace(0.5, 0.95, 1000), rec_thrs=np.linspace(0, 1, 1_000_000))


def test_keypoints_column_with_gaps_is_dropped_not_padded():
    """A first result with many keypoints and later ones without must not allocate rows x K."""
    g = quiet(COCO, str(GT))
    res = [{"image_id": 10, "category_id": 1, "bbox": [0, 0, 1, 1], "keypoints": [1.0, 2.0, 2.0] * 1000, "score": 0.9}]
    res += [{"image_id": 10, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}] * 50
    t = quiet(g.loadRes, res)._table()
    assert t["keypoints"].size == 0 and "keypoints" in t["missing"]


def test_voc_parsers_refuse_absurd_files_and_name_bad_lines(tmp_path, monkeypatch):
    from locuskit.eval import _voc, voc_evaluate

    gt, det = tmp_path / "gt", tmp_path / "det"
    gt.mkdir()
    det.mkdir()
    (gt / "a.txt").write_text("cat 0 0 10 10\n")
    (det / "a.txt").write_text("cat 0.9 0 0 10 ten\n")
    with pytest.raises(ValueError, match=r"a\.txt:1: expected numbers"):
        voc_evaluate(gt, det)
    (det / "a.txt").write_text("cat 0.9 0 0 10 10\n")
    monkeypatch.setattr(_voc, "MAX_FILE_BYTES", 8)
    with pytest.raises(ValueError, match="resource limit"):
        voc_evaluate(gt, det)
    monkeypatch.undo()
    (gt / "a.txt").unlink()
    (gt / "a.xml").write_text("<annotation><object><bndbox><xmin>0</xmin></bndbox></object></annotation>")
    with pytest.raises(ValueError, match="needs <name>"):
        voc_evaluate(gt, det)
    (gt / "a.xml").write_text("<annotation><object>")
    with pytest.raises(ValueError, match="malformed XML"):
        voc_evaluate(gt, det)


def test_detr_style_reimplemented_evaluate():
    """The older torchvision coco_eval.py (copied by DETR and many repos) re-implements evaluate():
    params normalised, _prepare(), computeIoU per unit, evaluateImg per (cat, area, image),
    _paramsEval copied; then the per-batch records are concatenated and accumulated."""
    g = quiet(COCO, str(GT))
    dt_list = json.loads(DT.read_text())
    E = COCOeval(g, iouType="bbox")
    img_ids_all, evs = [], []
    ids = sorted(g.getImgIds())
    for b in range(0, len(ids), 4):
        batch = ids[b:b + 4]
        E.cocoDt = quiet(COCO.loadRes, g, [copy.deepcopy(d) for d in dt_list if d["image_id"] in batch])
        E.params.imgIds = list(batch)
        p = E.params
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        E._prepare()
        cat_ids = p.catIds if p.useCats else [-1]
        E.ious = {(i, c): E.computeIoU(i, c) for i in p.imgIds for c in cat_ids}
        recs = [E.evaluateImg(i, c, a, p.maxDets[-1]) for c in cat_ids for a in p.areaRng for i in p.imgIds]
        E._paramsEval = copy.deepcopy(E.params)
        img_ids_all.extend(p.imgIds)
        evs.append(np.asarray(recs).reshape(len(cat_ids), len(p.areaRng), len(p.imgIds)))
    merged_ids, idx = np.unique(np.array(img_ids_all), return_index=True)
    E.evalImgs = list(np.concatenate(evs, 2)[..., idx].flatten())
    E.params.imgIds = list(merged_ids)
    E._paramsEval = copy.deepcopy(E.params)
    check(E, "base")


def test_params_changed_between_evaluate_and_accumulate_map_as_pycocotools():
    """pycocotools accumulates the categories / areas / maxDets / images of params that
    _paramsEval also has, written at their positions among those kept (here 'all' lands under
    the label 'x'); locuskit used to raise ValueError."""
    _, _, E = fresh()
    quiet(E.evaluate)
    E.params.catIds = [3, 2, 7]
    E.params.areaRng = [E.params.areaRng[2], [0, 50], E.params.areaRng[0]]
    E.params.areaRngLbl = ["medium", "x", "all"]
    E.params.maxDets = [100, 5, 1]
    E.params.imgIds = E.params.imgIds[3:]
    E.params.recThrs = np.linspace(0, 1, 11)
    check(E, "params_changed_before_accumulate")


def test_duplicate_image_entries_give_unique_img_ids(tmp_path):
    """pycocotools' getImgIds() is imgs.keys(): one id per image, first-occurrence order."""
    ds = json.loads(GT.read_text())
    ds["images"] = [ds["images"][3]] + ds["images"] + [ds["images"][0]]
    p = tmp_path / "gt.json"
    p.write_text(json.dumps(ds))
    g = quiet(COCO, str(p))
    ids = [im["id"] for im in json.loads(GT.read_text())["images"]]
    assert g.getImgIds() == [ids[3]] + ids[:3] + ids[4:]
    assert COCOeval(g, None, "bbox").params.imgIds == sorted(ids)


# image id i -> ..., category id c -> ... (as in tests/data/eval/hardening/make_expected.py)
ID_MAPS = {
    "string": (lambda i: "z%03d" % (100 - i), lambda c: "cat%d" % (9 - c)),
    "float": (lambda i: 1000.5 - i, lambda c: c * 1.5),
    "beyond_int64": (lambda i: 2**63 + i, lambda c: 2**64 + c),
}


def remap_ids(fi, fc):
    g, d = json.loads(GT.read_text()), json.loads(DT.read_text())
    for im in g["images"]:
        im["id"] = fi(im["id"])
    for c in g["categories"]:
        c["id"] = fc(c["id"])
    for a in g["annotations"]:
        a["image_id"], a["category_id"] = fi(a["image_id"]), fc(a["category_id"])
    for r in d:
        r["image_id"], r["category_id"] = fi(r["image_id"]), fc(r["category_id"])
    return g, d


@pytest.mark.parametrize("name", list(ID_MAPS))
@pytest.mark.parametrize("via_file", [False, True])
def test_string_float_and_huge_ids_in_the_drop_in(name, via_file, tmp_path):
    """pycocotools evaluates any hashable, sortable ids; the drop-in maps them to int64 codes that
    sort the same way (evaluation order and tie-breaking unchanged) and reports the originals."""
    g_ds, d_ds = remap_ids(*ID_MAPS[name])
    if via_file:
        (tmp_path / "gt.json").write_text(json.dumps(g_ds))
        (tmp_path / "dt.json").write_text(json.dumps(d_ds))
        g = quiet(COCO, str(tmp_path / "gt.json"))
        d = quiet(g.loadRes, str(tmp_path / "dt.json"))
    else:
        g = COCO()
        g.dataset = g_ds
        quiet(g.createIndex)
        d = quiet(g.loadRes, d_ds)
    E = COCOeval(g, d, "bbox")
    assert E.params.imgIds == sorted(im["id"] for im in g_ds["images"])
    quiet(E.evaluate)
    rec = next(e for e in E.evalImgs if e is not None)
    assert rec["image_id"] in set(E.params.imgIds) and rec["category_id"] in set(E.params.catIds)
    E._evalImgs = None  # back to the native state: both paths are checked
    check(E, f"ids_{name}")
    quiet(E.evaluate)
    _ = E.evalImgs
    check(E, f"ids_{name}")
    with pytest.raises(AssertionError, match="not an image"):
        quiet(g.loadRes, [dict(d_ds[0], image_id=12345)])


def test_streamed_results_equal_pythons_json_on_random_texts(tmp_path):
    """Differential: random result files (number spellings, whitespace, escapes, nested extra
    fields, NaN / Infinity / 1e400 / integers past 2^64) read by the streaming loader and by
    Python's json (what pycocotools uses) give the same columns."""
    rng = np.random.default_rng(20261204)
    g = quiet(COCO, str(GT))
    img_ids = g.getImgIds()

    def ws():
        return "".join(rng.choice([" ", "\n", "\t", "\r", ""], size=int(rng.integers(0, 3))))

    def number():
        v = float(rng.normal(0, 100))
        forms = [repr(v), "%.17g" % v, "%e" % v, "%E" % v, str(int(v)), "-0", "0.0e+00", "%.3f" % abs(v),
                 str(2**70 + int(rng.integers(0, 1000))), "123456789012345678901234567890",
                 "1e400", "-1e400", "1e-400", "NaN", "Infinity", "-Infinity"]
        return forms[int(rng.integers(0, len(forms)))]

    def junk(depth=0):
        k = int(rng.integers(0, 6 if depth < 3 else 3))
        if k == 0:
            return '"' + rng.choice(["plain", "\\u00e9t\\u00e9", "q\\\"uote\\\\", "\\ud83d\\ude00", "\\n\\t/\\/"]) + '"'
        if k == 1:
            return number()
        if k == 2:
            return str(rng.choice(["true", "false", "null"]))
        if k == 3:
            return "[" + ws() + ("," + ws()).join(junk(depth + 1) for _ in range(int(rng.integers(0, 3)))) + ws() + "]"
        return "{" + ("," + ws()).join(f'"k{j}"' + ws() + ":" + ws() + junk(depth + 1)
                                       for j in range(int(rng.integers(0, 3)))) + "}"

    for trial in range(25):
        items = []
        for _ in range(int(rng.integers(1, 30))):
            fields = [
                '"image_id"' + ws() + ":" + ws() + str(rng.choice(img_ids)),
                '"category_id"' + ws() + ":" + ws() + str(int(rng.integers(1, 4))),
                '"bbox"' + ws() + ":" + ws() + "[" + ",".join(ws() + number() + ws() for _ in range(4)) + "]",
                '"score"' + ws() + ":" + ws() + number(),
            ]
            fields += [f'"extra{j}"' + ws() + ":" + ws() + junk() for j in range(int(rng.integers(0, 3)))]
            order = rng.permutation(len(fields))
            items.append("{" + ws() + ("," + ws()).join(fields[i] for i in order) + ws() + "}")
        text = ws() + "[" + ("," + ws()).join(items) + "]" + ws()
        ref = json.loads(text)
        path = tmp_path / f"r{trial}.json"
        path.write_text(text)
        for source in (str(path), ref):
            t = quiet(g.loadRes, source)._table()
            assert t["image_id"].tolist() == [r["image_id"] for r in ref]
            assert t["category_id"].tolist() == [r["category_id"] for r in ref]
            exp_box = np.array([[float(v) for v in r["bbox"]] for r in ref])
            np.testing.assert_array_equal(t["bbox"], exp_box)  # NaN == NaN here
            np.testing.assert_array_equal(t["score"], np.array([float(r["score"]) for r in ref]))
            with np.errstate(invalid="ignore"):  # inf * 0
                np.testing.assert_array_equal(t["area"], exp_box[:, 2] * exp_box[:, 3])


@pytest.mark.parametrize("name", list(ID_MAPS))
def test_string_float_and_huge_ids_in_coco_evaluate_and_cli(name, tmp_path):
    g_ds, d_ds = remap_ids(*ID_MAPS[name])
    (tmp_path / "gt.json").write_text(json.dumps(g_ds))
    (tmp_path / "dt.json").write_text(json.dumps(d_ds))
    exp = EXPECTED["cases"][f"ids_{name}"]
    for gt, dt in ((str(tmp_path / "gt.json"), str(tmp_path / "dt.json")), (g_ds, d_ds)):
        r = coco_evaluate(gt, dt)
        assert [repr(float(s)) for s in r.stats] == exp["stats"]
        assert digest(r.precision) == exp["precision"]
        assert r.params["imgIds"] == sorted(im["id"] for im in g_ds["images"])
        assert {row["category_id"] for row in r.per_category()} == {c["id"] for c in g_ds["categories"]}
    out = tmp_path / "out.json"
    run = subprocess.run([sys.executable, "-m", "locuskit", "eval", "coco", str(tmp_path / "gt.json"),
                          str(tmp_path / "dt.json"), "--per-class", "--json", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert [repr(v) for v in json.loads(out.read_text())["stats"].values()] == exp["stats"]
