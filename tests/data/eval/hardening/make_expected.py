#!/usr/bin/python3
"""Writes the inputs and pycocotools' outputs for tests/python/test_coco_hardening.py.

Run with pycocotools 2.0.11 (built from github.com/ppwwyyxx/cocoapi, see ../shared/peers/README.md):
    PYTHONPATH=/work/peers/cocoapi/PythonAPI /usr/bin/python3 make_expected.py
Inputs (gt.json, dt.json) are a small seeded synthetic set made here (public domain, no external
data). expected.json holds, per case, pycocotools' stats (repr-exact), the sha256 of its
precision / recall / scores arrays (float64, C order), or the exception it raises.
"""
import contextlib
import copy
import hashlib
import io
import json
import os

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

HERE = os.path.dirname(os.path.abspath(__file__))


def make_inputs(seed=7, n_img=12, cats=(1, 2, 3), per=5):
    rng = np.random.default_rng(seed)
    imgs = [{"id": 10 + 3 * i, "width": 120, "height": 100} for i in range(n_img)]
    anns, dts, aid = [], [], 1
    for im in imgs:
        for _ in range(per):
            x, y = (round(float(v), 2) for v in rng.uniform(0, 70, 2))
            w, h = (round(float(v), 2) for v in rng.uniform(4, 45, 2))
            c = int(rng.choice(cats))
            anns.append({"id": aid, "image_id": im["id"], "category_id": c, "bbox": [x, y, w, h],
                         "area": round(w * h * 0.8, 3), "iscrowd": int(rng.random() < 0.08)})
            aid += 1
            for _ in range(2):
                j = rng.normal(0, 3, 4)
                dc = c if rng.random() < 0.8 else int(rng.choice(cats))
                dts.append({"image_id": im["id"], "category_id": dc,
                            "bbox": [round(x + j[0], 2), round(y + j[1], 2), round(max(1, w + j[2]), 2),
                                     round(max(1, h + j[3]), 2)],
                            "score": round(float(rng.random()), 2)})
        for _ in range(2):  # background false positives
            dts.append({"image_id": im["id"], "category_id": int(rng.choice(cats)),
                        "bbox": [round(float(v), 2) for v in (*rng.uniform(0, 80, 2), *rng.uniform(3, 30, 2))],
                        "score": round(float(rng.random()) * 0.5, 2)})
    gt = {"images": imgs, "categories": [{"id": c, "name": f"c{c}"} for c in cats], "annotations": anns}
    return gt, dts


# image id i -> ..., category id c -> ... (the same maps are in test_coco_hardening.py)
ID_MAPS = {
    "string": (lambda i: "z%03d" % (100 - i), lambda c: "cat%d" % (9 - c)),
    "float": (lambda i: 1000.5 - i, lambda c: c * 1.5),
    "beyond_int64": (lambda i: 2**63 + i, lambda c: 2**64 + c),
}


def remap_ids(gt, dt, fi, fc):
    g, d = copy.deepcopy(gt), copy.deepcopy(dt)
    for im in g["images"]:
        im["id"] = fi(im["id"])
    for c in g["categories"]:
        c["id"] = fc(c["id"])
    for a in g["annotations"]:
        a["image_id"], a["category_id"] = fi(a["image_id"]), fc(a["category_id"])
    for r in d:
        r["image_id"], r["category_id"] = fi(r["image_id"]), fc(r["category_id"])
    return g, d


def quiet(fn, *a):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*a)


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.float64).tobytes()).hexdigest()


def outputs(E):
    quiet(E.accumulate)
    out = {"shape": list(E.eval["precision"].shape),
           "precision": digest(E.eval["precision"]), "recall": digest(E.eval["recall"]),
           "scores": digest(E.eval["scores"])}
    try:
        quiet(E.summarize)
        out["stats"] = [repr(float(s)) for s in E.stats]
    except Exception as exc:  # noqa: BLE001
        out["summarize_error"] = type(exc).__name__
    return out


def records_digest(recs):
    """sha256 of the evalImgs records with every number as a float (types differ, values not)."""
    def num(x):
        if isinstance(x, (list, tuple)):
            return [num(v) for v in x]
        return float(x)

    canon = [None if r is None else {k: num(np.asarray(v).tolist()) for k, v in sorted(r.items())} for r in recs]
    return hashlib.sha256(json.dumps(canon).encode()).hexdigest()


def error_of(fn):
    try:
        quiet(fn)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def main():
    gt_ds, dt_list = make_inputs()
    gt_path, dt_path = os.path.join(HERE, "gt.json"), os.path.join(HERE, "dt.json")
    with open(gt_path, "w") as f:
        json.dump(gt_ds, f)
    with open(dt_path, "w") as f:
        json.dump(dt_list, f)
    cases = {}

    def fresh(dt=None, gt=None):
        g = quiet(COCO, gt_path) if gt is None else gt
        d = quiet(g.loadRes, dt_path if dt is None else dt)
        return g, d, COCOeval(g, d, "bbox")

    _, _, E = fresh()
    quiet(E.evaluate)
    cases["base"] = outputs(E)
    cases["base"]["evalImgs"] = records_digest(E.evalImgs)

    # issue 10 item 2: useCats=0 with duplicate category ids (pooled once per duplicate)
    _, _, E = fresh()
    E.params.useCats = 0
    E.params.catIds = [1, 1, 2, 3, 3]
    quiet(E.evaluate)
    cases["usecats0_duplicate_catids"] = outputs(E)
    cases["usecats0_duplicate_catids"]["evalImgs"] = records_digest(E.evalImgs)

    # item 2b: torchvision references/detection/coco_eval.py pattern (batches of 3 images, the
    # last batch short; per batch: loadRes of that batch's results, params.imgIds = batch ids,
    # evaluate(), evalImgs reshaped (K, A, I_batch); then concatenate on axis 2, np.unique over
    # the image ids, assign evalImgs / params.imgIds / _paramsEval and accumulate()).
    g = quiet(COCO, gt_path)
    E = COCOeval(g, iouType="bbox")
    img_ids_all, evs = [], []
    ids = sorted(g.getImgIds())
    order = [ids[i] for i in (5, 0, 3, 1, 11, 2, 7, 6, 9, 10, 8, 4)]  # a shuffled loader
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
    cases["torchvision_pattern"] = outputs(E)

    # item 2b: params changed between evaluate() and accumulate(): pycocotools maps the
    # categories / area ranges / maxDets / images of params that _paramsEval also has
    _, _, E = fresh()
    quiet(E.evaluate)
    E.params.catIds = [3, 2, 7]
    E.params.areaRng = [E.params.areaRng[2], [0, 50], E.params.areaRng[0]]
    E.params.areaRngLbl = ["medium", "x", "all"]
    E.params.maxDets = [100, 5, 1]
    E.params.imgIds = E.params.imgIds[3:]
    E.params.recThrs = np.linspace(0, 1, 11)
    cases["params_changed_before_accumulate"] = outputs(E)

    # item 2b: in-place edit of dataset annotations, then createIndex()
    g = quiet(COCO, gt_path)
    for a in g.dataset["annotations"][::3]:
        a["bbox"] = [a["bbox"][0] + 2.5, a["bbox"][1], a["bbox"][2], a["bbox"][3] * 0.9]
    g.dataset["annotations"].append({"id": 999, "image_id": 13, "category_id": 2, "bbox": [5, 5, 20, 20],
                                     "area": 400.0, "iscrowd": 0})
    quiet(g.createIndex)
    _, _, E = fresh(gt=g)
    quiet(E.evaluate)
    cases["dataset_edit_createindex"] = outputs(E)

    # item 3: iouThrs as a Python list (summarize's `iouThr == p.iouThrs` is then False)
    _, _, E = fresh()
    E.params.iouThrs = [float(t) for t in E.params.iouThrs]
    quiet(E.evaluate)
    cases["iouthrs_list"] = outputs(E)

    # item 3: duplicate GT annotation ids (the id-keyed anns dict keeps the last one)
    dup = copy.deepcopy(gt_ds)
    a = dup["annotations"]
    a[7]["id"] = a[2]["id"]             # same image (10 vs 13): last wins, moves to image 13
    a[20]["id"] = a[21]["id"]           # same image: the later one twice
    a[30]["id"] = a[4]["id"]            # earlier image
    a.insert(12, copy.deepcopy(a[40]))  # a copy in another image's block
    a[12]["image_id"] = a[11]["image_id"]
    dup_path = os.path.join(HERE, "gt_duplicate_ids.json")
    with open(dup_path, "w") as f:
        json.dump(dup, f)
    _, _, E = fresh(gt=quiet(COCO, dup_path))
    quiet(E.evaluate)
    cases["duplicate_annotation_ids"] = outputs(E)

    # item 3: negative maxDets (Python slicing dt[0:maxDet])
    for name, md in (("maxdets_negative", [-3, -2, -1]), ("maxdets_negative_first", [1, 10, -1])):
        _, _, E = fresh()
        E.params.maxDets = md
        quiet(E.evaluate)
        cases[name] = outputs(E)

    # item 3: NaN / infinite scores and boxes in results (pycocotools ranks them as NumPy does)
    nan_dt = copy.deepcopy(dt_list)
    nan_dt[0]["score"] = float("nan")
    nan_dt[1]["score"] = float("inf")
    nan_dt[5]["score"] = -float("inf")
    nan_dt[9]["bbox"][0] = float("nan")
    nan_dt[14]["bbox"][2] = float("inf")
    nan_path = os.path.join(HERE, "dt_nonfinite.json")
    with open(nan_path, "w") as f:
        json.dump(nan_dt, f)  # Python writes NaN / Infinity / -Infinity, and json.load reads them
    _, _, E = fresh(dt=nan_path)
    quiet(E.evaluate)
    cases["nonfinite_results"] = outputs(E)

    # item 3: string, non-integral float and beyond-int64 image / category ids (orders that
    # differ from the numeric one, so cross-image ties and the category axis change)
    for name, (fi, fc) in ID_MAPS.items():
        g_ds, d_ds = remap_ids(gt_ds, dt_list, fi, fc)
        g = COCO()
        g.dataset = g_ds
        quiet(g.createIndex)
        _, _, E = fresh(gt=g, dt=d_ds)
        quiet(E.evaluate)
        cases[f"ids_{name}"] = outputs(E)

    # item 3: errors
    nocat = copy.deepcopy(gt_ds)
    del nocat["categories"]
    nocat_path = os.path.join(HERE, "gt_no_categories.json")
    with open(nocat_path, "w") as f:
        json.dump(nocat, f)
    g = quiet(COCO, nocat_path)
    errors = {
        "no_categories.loadRes": error_of(lambda: g.loadRes(dt_path)),
        "no_categories.COCOeval": error_of(lambda: COCOeval(g, None, "bbox")),
    }
    _, _, E = fresh()
    errors["accumulate_before_evaluate"] = error_of(E.accumulate)
    # item 3: the keys loadRes adds to box results
    g, d, _ = fresh()
    load_res = [d.dataset["annotations"][i] for i in (0, 1, 50)]
    out = {"provenance": "pycocotools 2.0.11 (ppwwyyxx/cocoapi), numpy " + np.__version__ +
                         "; written by tests/data/eval/hardening/make_expected.py",
           "cases": cases, "errors": errors, "loadRes_annotations": load_res}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
