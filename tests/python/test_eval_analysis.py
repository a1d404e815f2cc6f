"""Detection error analysis (locuskit.eval.tide / lrp / confusion_matrix / score curves) against
the peers' stored outputs: tidecv (tests/data/eval/tide) and LRP-Error's COCOeval
(tests/data/eval/lrp), bitwise; the synth_* cases come from ../shared/reference (skipped without it)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import locuskit.eval as le
from conftest import DATA, SHARED_REFERENCE

TIDE_LOCAL, LRP_LOCAL = DATA / "eval" / "tide", DATA / "eval" / "lrp"
TIDE_EXP = json.loads((TIDE_LOCAL / "expected.json").read_text())["cases"]
LRP_EXP = json.loads((LRP_LOCAL / "expected.json").read_text())["cases"]


def _case(root_local, shared_name, rel):
    for root in (root_local, SHARED_REFERENCE / shared_name):
        if (root / rel).exists():
            return root / rel
    pytest.skip(f"{rel}: only in ../shared/reference/{shared_name}, which is absent here")


@pytest.mark.parametrize("case", sorted(TIDE_EXP))
def test_tide_equals_tidecv(case):
    exp = TIDE_EXP[case]
    want = exp["results"]
    gt, dt = _case(TIDE_LOCAL, "tide", exp["gt"]), _case(TIDE_LOCAL, "tide", exp["dt"])
    r = le.tide(gt, dt)
    assert r.ap == want["AP50"]
    assert r.main_dap == want["main_errors_dAP"]
    assert r.special_dap == want["special_errors_dAP"]
    assert r.error_counts == want["error_counts"]
    assert {f"{t:.2f}": v for t, v in r.ap_per_threshold.items()} == want["AP_per_threshold"]
    assert r.ap_50_95 == want["AP_50_95"]
    assert {str(c): d["ap"] for c, d in r.per_class.items()} == want["per_class_AP50"]
    assert {str(c): d["positives"] for c, d in r.per_class.items()} == want["num_gt_positives"]
    # per-row outcomes are consistent with the counts
    names, counts = np.unique(r.dt_error.astype(str), return_counts=True)
    got = dict(zip(names, counts))
    for e in ("Cls", "Loc", "Both", "Dupe", "Bkg"):
        assert got.get(e, 0) == want["error_counts"][e]
    assert int((r.gt_error == "Miss").sum()) == want["error_counts"]["Miss"]


def _nan_equal(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@pytest.mark.parametrize("case", sorted(LRP_EXP))
def test_lrp_equals_lrp_error(case):
    exp = LRP_EXP[case]
    want = exp["results"]
    gt, dt = _case(LRP_LOCAL, "lrp", exp["gt"]), _case(LRP_LOCAL, "lrp", exp["dt"])
    r = le.lrp(gt, dt)
    for name, v in r.stats.items():
        assert v == want["stats"][name], name
    for c, d in r.per_class.items():
        w = want["per_class_all_100"][str(c)]
        for ours, theirs in (("olrp", "olrp"), ("olrp_loc", "olrp_loc"), ("olrp_fp", "olrp_fp"),
                             ("olrp_fn", "olrp_fn"), ("threshold", "lrp_opt_thr")):
            assert _nan_equal(d[ours], np.nan if w[theirs] is None else w[theirs]), (c, ours)
    arrays = np.load(_case(LRP_LOCAL, "lrp", exp["arrays"]))
    assert list(arrays["cat_ids"]) == r.cat_ids
    for key, ours in (("olrp", r.olrp), ("olrp_loc", r.olrp_loc), ("olrp_fp", r.olrp_fp), ("olrp_fn", r.olrp_fn),
                      ("lrp_opt_thr", r.threshold)):
        assert _nan_equal(ours, arrays[key]), key  # every class, area range and maxDets
    # The per-class curves are the points of the peer's precision array (IoU .5, area all, maxDets 100).
    rec_thrs = np.linspace(0, 1, 101)
    for k, c in enumerate(r.curves):
        peer = arrays["precision"][0, :, k, 0, 2]
        if c.num_gt == 0:
            assert np.all(peer == -1)
            continue
        tp, fp = c.tp.astype(np.float64), c.fp.astype(np.float64)
        pr = (tp / (tp + fp + np.spacing(1))).tolist()
        for i in range(len(pr) - 1, 0, -1):
            pr[i - 1] = max(pr[i - 1], pr[i])
        idx = np.searchsorted(tp / c.num_gt, rec_thrs, side="left")
        q = np.array([pr[i] if i < len(pr) else 0.0 for i in idx])
        assert np.array_equal(q, peer), c.category_id


def _confusion_reference(gt_path, dt_path, iou_thr, score_thr, max_dets=100):
    """The rule of the docstring, written independently with Python loops and NumPy."""
    gt = json.loads(open(gt_path).read())
    dts = json.loads(open(dt_path).read())
    cats = [c["id"] for c in gt["categories"]]
    slot = {c: i for i, c in enumerate(cats)}
    K = len(cats)
    m = np.zeros((K + 1, K + 1), dtype=np.int64)

    def iou(a, b, crowd):
        ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
        iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
        i = ix * iy
        u = a[2] * a[3] if crowd else a[2] * a[3] + b[2] * b[3] - i
        return i / u if i > 0 else 0.0

    for img in dict.fromkeys(im["id"] for im in gt["images"]):
        g = [a for a in gt["annotations"] if a["image_id"] == img and a["category_id"] in slot]
        regular = [a for a in g if not a["iscrowd"]]
        crowd = [a for a in g if a["iscrowd"]]
        d = [x for x in dts if x["image_id"] == img and x["score"] >= score_thr and x["category_id"] in slot]
        d = sorted(d, key=lambda x: -x["score"])[:max_dets]
        taken = [False] * len(regular)
        for x in d:
            best = None
            for own in (True, False):
                cand = [(iou(x["bbox"], a["bbox"], False), j) for j, a in enumerate(regular)
                        if not taken[j] and (not own or a["category_id"] == x["category_id"])]
                cand = [(v, j) for v, j in cand if v >= iou_thr]
                if cand:
                    top = max(v for v, _ in cand)
                    best = min(j for v, j in cand if v == top)
                    break
            if best is not None:
                taken[best] = True
                m[slot[regular[best]["category_id"]], slot[x["category_id"]]] += 1
            elif not any(iou(x["bbox"], a["bbox"], True) >= iou_thr and a["category_id"] == x["category_id"]
                         for a in crowd):
                m[K, slot[x["category_id"]]] += 1
        for j, a in enumerate(regular):
            if not taken[j]:
                m[slot[a["category_id"]], K] += 1
    return m


@pytest.mark.parametrize("case,iou_thr,score_thr", [("micro_errors", 0.5, 0.0), ("micro_errors", 0.3, 0.5),
                                                    ("synth_small", 0.5, 0.3), ("synth_crowd", 0.6, 0.1)])
def test_confusion_matrix_equals_reference(case, iou_thr, score_thr):
    exp = TIDE_EXP[case]
    gt, dt = _case(TIDE_LOCAL, "tide", exp["gt"]), _case(TIDE_LOCAL, "tide", exp["dt"])
    cm = le.confusion_matrix(gt, dt, iou_threshold=iou_thr, score_threshold=score_thr)
    assert np.array_equal(cm.counts, _confusion_reference(gt, dt, iou_thr, score_thr))
    assert cm.counts[-1, -1] == 0
    assert cm.table().count("\n") >= 2


def test_analysis_from_one_call_api_and_cli(tmp_path):
    exp = TIDE_EXP["micro_errors"]
    gt, dt = TIDE_LOCAL / exp["gt"], TIDE_LOCAL / exp["dt"]
    res = le.coco_evaluate(gt, dt, analysis=["tide", "lrp", "confusion"])
    assert res.analysis["tide"].ap == exp["results"]["AP50"]
    assert res.analysis["lrp"].stats["oLRP"] == LRP_EXP["micro_errors"]["results"]["stats"]["oLRP"]
    assert res.analysis["confusion"].counts.shape == (4, 4)
    out, png = tmp_path / "o.json", tmp_path / "pr.png"
    r = subprocess.run([sys.executable, "-m", "locuskit", "eval", "coco", str(gt), str(dt), "--analysis",
                        "tide,lrp,confusion", "--json", str(out), "--plot", str(png)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "TIDE" in r.stdout and "optimal LRP" in r.stdout and "confusion matrix" in r.stdout
    rep = json.loads(out.read_text())
    assert rep["analysis"]["tide"]["main_errors_dAP"] == exp["results"]["main_errors_dAP"]
    assert rep["analysis"]["lrp"]["stats"]["oLRP_FN"] == LRP_EXP["micro_errors"]["results"]["stats"]["oLRP_FN"]
    assert rep["analysis"]["confusion"]["counts"] == res.analysis["confusion"].counts.tolist()
    for suffix in ("tide", "confusion", "pr_per_class", "f1"):
        assert (tmp_path / f"pr_{suffix}.png").stat().st_size > 1000
    r = subprocess.run([sys.executable, "-m", "locuskit", "eval", "coco", str(gt), str(dt), "--analysis", "tidy"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "tide,lrp,confusion" in r.stderr


def test_bad_arguments_are_named():
    exp = TIDE_EXP["micro_errors"]
    gt, dt = TIDE_LOCAL / exp["gt"], TIDE_LOCAL / exp["dt"]
    with pytest.raises(ValueError, match="pos_threshold"):
        le.tide(gt, dt, pos_threshold=float("nan"))
    with pytest.raises(ValueError, match="iou_threshold"):
        le.confusion_matrix(gt, dt, iou_threshold=2.0)
    with pytest.raises(ValueError, match="unknown"):
        le.analyze(gt, dt, ["nope"])
