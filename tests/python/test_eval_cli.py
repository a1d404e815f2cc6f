"""``locuskit eval coco|voc`` end to end: the printed summary equals pycocotools' lines."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import DATA, ROOT

SAMPLE = ROOT / "examples" / "data" / "coco_val2014_100"
EXPECTED = json.loads((DATA / "eval" / "detection" / "expected.json").read_text())


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "locuskit", *map(str, args)], capture_output=True, text=True)


def test_cli_coco_summary_json_plot(tmp_path):
    out = tmp_path / "o.json"
    png = tmp_path / "pr.png"
    r = _cli("eval", "coco", SAMPLE / "instances_val2014_100.json",
             SAMPLE / "instances_val2014_fakebbox100_results.json", "--per-class", "--json", out, "--plot", png)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:12] == EXPECTED["cases"]["cocoapi_fake100.bbox"]["summary_lines"]
    assert any(line.startswith("person") for line in lines[12:])
    rep = json.loads(out.read_text())
    assert rep["stats"]["AP"] == EXPECTED["cases"]["cocoapi_fake100.bbox"]["stats"][0]
    assert png.stat().st_size > 1000


def test_cli_coco_errors_are_clear(tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text('[{"image_id": 999999999, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}]')
    r = _cli("eval", "coco", SAMPLE / "instances_val2014_100.json", bad)
    assert r.returncode == 1
    assert "not an image of the ground truth" in r.stderr
    r = _cli("eval", "coco", SAMPLE / "instances_val2014_100.json", tmp_path / "missing.json")
    assert r.returncode == 1 and "cannot read" in r.stderr


def test_cli_voc():
    g = DATA / "eval/detection/fixtures/review_object_detection_metrics/test_case_1"
    if not g.exists():
        pytest.skip("fixture absent")
    r = _cli("eval", "voc", g / "gts", g / "dets", "--iou", "0.3", "--plus-one")
    assert r.returncode == 0, r.stderr
    assert "0.2457" in r.stdout and "0.2684" in r.stdout
