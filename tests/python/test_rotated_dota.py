"""DOTA task-1 evaluation against DOTA_devkit's results (tests/data/rotated/dota: micro cases and
expected.json copied from ../shared/reference/oriented/dota_eval; s1/s2 read from there)."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from locuskit import rotated

from conftest import DATA, SHARED_REFERENCE

LOCAL = DATA / "rotated" / "dota"
EXPECTED = json.loads((LOCAL / "expected.json").read_text())["cases"]
SHARED = SHARED_REFERENCE / "oriented" / "dota_eval"


def _folder(name: str):
    case = EXPECTED[name]
    if name.startswith("micro."):
        return LOCAL / case["folder"], case
    if not (SHARED / case["folder"]).is_dir():
        pytest.skip(f"needs ../shared/reference/oriented/dota_eval/{case['folder']}")
    return SHARED / case["folder"], case


def _same(got: float, want) -> bool:
    if want is None or want == "nan":
        return math.isnan(got)
    return got == want


# empty_det_file: the devkit raises IndexError on the empty Task1 file; we give AP 0 (tested below).
CASES = [k for k in EXPECTED if k != "micro.empty_det_file"]


@pytest.mark.parametrize("name", CASES)
def test_ap_equals_dota_devkit(name):
    folder, case = _folder(name)
    res = rotated.dota_evaluate(folder / "labelTxt", folder, imageset=folder / "imageset.txt",
                                classes=case["classes"])
    for c in case["classes"]:
        assert _same(res.ap[c], case["voc07"]["ap"][c]), (c, res.ap[c], case["voc07"]["ap"][c])
        assert _same(res.ap_all_point[c], case["all_point"]["ap"][c]), (c, res.ap_all_point[c])
    assert _same(res.mAP, case["voc07"]["mAP"])
    assert _same(res.mAP_all_point, case["all_point"]["mAP"])


@pytest.mark.parametrize("name", ["s1", "s2"])
def test_recall_precision_arrays_equal_devkit(name):
    folder, case = _folder(name)
    arrays = SHARED / case["arrays"]
    z = np.load(arrays)
    res = rotated.dota_evaluate(folder / "labelTxt", folder, imageset=folder / "imageset.txt",
                                classes=case["classes"])
    checked = 0
    for c in case["classes"]:
        np.testing.assert_array_equal(res.per_class[c]["recall"], z[f"{c}.rec"])
        np.testing.assert_array_equal(res.per_class[c]["precision"], z[f"{c}.prec"])
        checked += 1
    assert checked > 0, z.files


def test_empty_result_file_is_a_class_without_detections():
    folder = LOCAL / "micro" / "empty_det_file"
    res = rotated.dota_evaluate(folder / "labelTxt", folder, imageset=folder / "imageset.txt",
                                classes=["plane", "ship"])
    assert res.ap["plane"] == EXPECTED["micro.empty_det_file"]["voc07"]["ap"]["plane"]
    assert res.ap["ship"] == 0.0 and res.ap_all_point["ship"] == 0.0


def test_malformed_files_name_file_and_line(tmp_path):
    (tmp_path / "labelTxt").mkdir()
    (tmp_path / "labelTxt" / "A.txt").write_text("imagesource:x\ngsd:1\n0 0 10 0 10 10 0 1O plane 0\n")
    with pytest.raises(ValueError, match=r"A.txt:3"):
        rotated.read_dota_labels(tmp_path / "labelTxt" / "A.txt")
    (tmp_path / "Task1_plane.txt").write_text("A 0.9 0 0 10 0 10 10 0\n")
    with pytest.raises(ValueError, match=r"Task1_plane.txt:1"):
        rotated.read_dota_results(tmp_path / "Task1_plane.txt")
    (tmp_path / "labelTxt" / "A.txt").write_text("0 0 10 0 10 10 0 10 plane 0\n")
    (tmp_path / "Task1_plane.txt").write_text("B 0.9 0 0 10 0 10 10 0 10\n")
    with pytest.raises(ValueError, match="not in the image set"):
        rotated.dota_evaluate(tmp_path / "labelTxt", tmp_path, classes=["plane"])


def test_cli_eval_dota(tmp_path):
    folder = LOCAL / "micro" / "recall_0p7_arange"
    out = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "locuskit", "eval", "dota", str(folder / "labelTxt"), str(folder),
                        "--imageset", str(folder / "imageset.txt"), "--classes", "plane", "--json", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "plane" in p.stdout and "63.64" in p.stdout
    assert json.loads(out.read_text())["ap_voc07"]["plane"] == EXPECTED["micro.recall_0p7_arange"]["voc07"]["ap"]["plane"]
