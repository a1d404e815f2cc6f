"""LVIS federated evaluation against the lvis API's LVISEval (lvis-api @7d7f07d on pycocotools
2.0.11): stored outputs compared bitwise (stats, precision / recall arrays, per-category AP,
frequency groups, counts), the drop-in class, the CLI, errors, and the peer live when it is
importable (``PYTHONPATH=<lvis-api>:<cocoapi>/PythonAPI``)."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from conftest import SHARED_REFERENCE

from locuskit.eval import LVISEval, lvis_evaluate

LOCAL = pathlib.Path(__file__).resolve().parents[1] / "data" / "eval" / "lvis"
SHARED = SHARED_REFERENCE / "lvis"


def _cases(root: pathlib.Path):
    exp = json.loads((root / "expected.json").read_text())
    return [(root, name, case) for name, case in exp["cases"].items()]


LOCAL_CASES = _cases(LOCAL)
SHARED_CASES = _cases(SHARED) if (SHARED / "expected.json").exists() else []


def _check_case(root, name, case):
    res = lvis_evaluate(root / case["gt"], root / case["dt"], case["iou_type"])
    assert list(res.results) == list(case["results"])
    for k, v in case["results"].items():
        assert res.results[k] == v, (name, k)  # bitwise: floats from JSON round-trip exactly
    arrays = np.load(root / case["arrays"])
    assert np.array_equal(res.precision, arrays["precision"])
    assert np.array_equal(res.recall, arrays["recall"])
    assert np.array_equal(res.cat_ids, arrays["cat_ids"])
    per_cat = {str(int(c)): float(ap) for c, ap in zip(res.cat_ids, res.per_category_ap)}
    assert per_cat == case["per_category_AP"]
    assert {g: [int(c) for c in ids] for g, ids in res.freq_groups.items()} == case["freq_groups"]
    assert res.counts == {"num_results_after_cap": case["num_results_after_cap"],
                          "num_dt_evaluated": case["num_dt_evaluated"],
                          "num_gt_evaluated": case["num_gt_evaluated"]}


@pytest.mark.parametrize("root,name,case", LOCAL_CASES, ids=[c[1] for c in LOCAL_CASES])
def test_lvis_equals_lvis_api_on_local_cases(root, name, case):
    _check_case(root, name, case)


@pytest.mark.skipif(not SHARED_CASES, reason="../shared/reference/lvis absent (set LOCUSKIT_SHARED_REFERENCE)")
@pytest.mark.parametrize("root,name,case", SHARED_CASES, ids=[c[1] for c in SHARED_CASES])
def test_lvis_equals_lvis_api_on_shared_cases(root, name, case):
    _check_case(root, name, case)


def test_lvis_inputs_as_dicts_bytes_and_drop_in():
    case = json.loads((LOCAL / "expected.json").read_text())["cases"]["micro_federated_bbox"]
    gt = json.loads((LOCAL / case["gt"]).read_text())
    dt = json.loads((LOCAL / case["dt"]).read_text())
    a = lvis_evaluate(gt, dt, "bbox")
    b = lvis_evaluate(json.dumps(gt).encode(), str(LOCAL / case["dt"]), "bbox")
    assert a.results == b.results == case["results"]
    E = LVISEval(str(LOCAL / case["gt"]), dt, "bbox")
    with pytest.raises(RuntimeError):
        E.accumulate()
    E.run()
    assert dict(E.get_results()) == case["results"]
    assert E.eval["precision"].shape == (10, 101, len(E.params.cat_ids), 4)
    assert [[E.params.cat_ids[k] for k in g] for g in E.freq_groups] == list(case["freq_groups"].values())
    # restricting the evaluated categories as the API's params.cat_ids
    E2 = LVISEval(gt, dt, "bbox")
    E2.params.cat_ids = [1, 5]
    E2.run()
    assert E2.eval["precision"].shape[2] == 2
    # a tighter per-image cap changes the numbers (the cap is LVISResults' max_dets)
    assert lvis_evaluate(gt, dt, "bbox", max_dets=1).counts["num_results_after_cap"] < a.counts[
        "num_results_after_cap"]


def test_lvis_summary_lines_format():
    case = json.loads((LOCAL / "expected.json").read_text())["cases"]["micro_federated_bbox"]
    res = lvis_evaluate(LOCAL / case["gt"], LOCAL / case["dt"], "bbox")
    assert res.summary_lines[0] == (
        f" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=300 catIds=all] = "
        f"{case['results']['AP']:0.3f}")
    assert res.summary_lines[1].startswith(" Average Precision  (AP) @[ IoU=0.50      | area=   all")
    assert "area=     s" in res.summary_lines[3] and "catIds=  r]" in res.summary_lines[6]
    assert res.summary_lines[9].startswith(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=300")


def test_lvis_errors():
    gt = {"images": [{"id": 1, "neg_category_ids": [], "not_exhaustive_category_ids": []}],
          "categories": [{"id": 1, "frequency": "f"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4], "area": 16}]}
    dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4], "score": 0.5}]
    assert lvis_evaluate(gt, dt).results["AP50"] > 0.99
    with pytest.raises(ValueError, match="not supported"):
        lvis_evaluate(gt, dt, "keypoints")
    with pytest.raises(AssertionError, match="image"):
        lvis_evaluate(gt, [dict(dt[0], image_id=7)])
    bad = json.loads(json.dumps(gt))
    del bad["images"][0]["neg_category_ids"]
    with pytest.raises(KeyError, match="neg_category_ids"):
        lvis_evaluate(bad, dt)
    bad = json.loads(json.dumps(gt))
    del bad["categories"][0]["frequency"]
    with pytest.raises(ValueError, match="frequency"):
        lvis_evaluate(bad, dt)
    with pytest.raises(ValueError, match="malformed"):
        lvis_evaluate(b"{", dt)
    with pytest.raises(TypeError, match="gt"):
        lvis_evaluate(3, dt)
    # an empty results list evaluates as no detections (the API raises IndexError)
    assert lvis_evaluate(gt, []).results["AP"] == 0.0


def _run_cli(*args):
    return subprocess.run([sys.executable, "-m", "locuskit", *map(str, args)], capture_output=True, text=True)


def test_cli_eval_lvis(tmp_path):
    case = json.loads((LOCAL / "expected.json").read_text())["cases"]["synth_small_bbox"]
    out = tmp_path / "r.json"
    r = _run_cli("eval", "lvis", LOCAL / case["gt"], LOCAL / case["dt"], "--per-class", "--json", out)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].endswith(f"= {case['results']['AP']:0.3f}") and "catIds=all" in lines[0]
    assert len([ln for ln in lines if ln.startswith(" Average")]) == 13
    assert "freq" in r.stdout
    saved = json.loads(out.read_text())
    assert saved["results"] == case["results"]
    r = _run_cli("eval", "lvis", LOCAL / case["gt"], tmp_path / "missing.json")
    assert r.returncode != 0 and "missing.json" in r.stderr
    r = _run_cli("eval", "lvis", LOCAL / case["gt"], LOCAL / case["dt"], "--per-class", "-q", "--json", out)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""  # -q: nothing but errors; the JSON is still written
    assert json.loads(out.read_text())["results"] == case["results"]


def _lvis_api():
    try:
        import lvis  # noqa: F401  (peer on PYTHONPATH)
        from lvis import LVIS, LVISEval as PeerEval, LVISResults
    except Exception:  # noqa: BLE001 - absent or broken peer: skip
        return None
    return LVIS, PeerEval, LVISResults


@pytest.mark.skipif(_lvis_api() is None, reason="lvis API not importable (PYTHONPATH=<lvis-api>:<cocoapi>/PythonAPI)")
@pytest.mark.skipif(not (SHARED / "tools" / "gen_lvis.py").exists(), reason="../shared/reference/lvis/tools absent")
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_lvis_live_against_lvis_api(tmp_path, seed):
    import logging
    logging.disable(logging.CRITICAL)
    LVIS, PeerEval, LVISResults = _lvis_api()
    gt, dt = tmp_path / "gt.json", tmp_path / "dt.json"
    subprocess.run([sys.executable, str(SHARED / "tools" / "gen_lvis.py"), "--images", "25", "--cats", "12",
                    "--seed", str(seed), "--heavy-frac", "0.1", "--out-gt", str(gt), "--out-dt", str(dt)],
                   check=True, capture_output=True)
    g = LVIS(str(gt))
    E = PeerEval(g, LVISResults(g, str(dt), max_dets=300), "bbox")
    E.run()
    res = lvis_evaluate(gt, dt, "bbox")
    assert dict(E.results) == dict(res.results)
    assert np.array_equal(E.eval["precision"], res.precision)
    assert np.array_equal(E.eval["recall"], res.recall)
