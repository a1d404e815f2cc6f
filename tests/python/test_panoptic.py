"""locuskit.panoptic against panopticapi's pq_compute on ../shared/reference/masks/panoptic
(copied to tests/data/masks/panoptic)."""
from __future__ import annotations

import json

import pytest

from conftest import DATA
from locuskit import panoptic

ROOT = DATA / "masks" / "panoptic"
EXPECTED = json.loads((ROOT / "expected.json").read_text())["cases"]


def run(name, split):
    c = EXPECTED[name]
    return panoptic.pq_compute(ROOT / c["gt_json"], ROOT / c["pred_json"], ROOT / c["gt_folder"],
                               ROOT / c["pred_folder"], process_split=split)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pq_equals_panopticapi(name):
    c = EXPECTED[name]
    r = run(name, c["cpu_count_used_by_pq_compute"])  # same summation order as the recorded run
    for split in ("All", "Things", "Stuff"):
        assert r[split] == c["results"][split], split
    assert {str(k): v for k, v in r["per_class"].items()} == c["results"]["per_class"]
    single = run(name, 1)
    assert {str(k): v for k, v in single["per_category_counts"].items()} == c["per_category_counts_single_process"]


def test_pq_errors(tmp_path):
    c = EXPECTED["basic"]
    gt = json.loads((ROOT / c["gt_json"]).read_text())
    pred = json.loads((ROOT / c["pred_json"]).read_text())
    pred_missing = dict(pred, annotations=pred["annotations"][1:])
    with pytest.raises(ValueError, match="no prediction for the image"):
        panoptic.pq_compute(gt, pred_missing, ROOT / c["gt_folder"], ROOT / c["pred_folder"])
    pred_extra = json.loads(json.dumps(pred))
    pred_extra["annotations"][0]["segments_info"].append({"id": 999999, "category_id": 1, "iscrowd": 0})
    with pytest.raises(KeyError, match="presented in JSON and not presented in PNG"):
        panoptic.pq_compute(gt, pred_extra, ROOT / c["gt_folder"], ROOT / c["pred_folder"])
    (tmp_path / "000000000000.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot be read"):
        panoptic.pq_compute(gt, pred, ROOT / c["gt_folder"], tmp_path)


def test_panoptic_cli(tmp_path, capsys):
    from locuskit.cli import main

    c = EXPECTED["basic"]
    out = tmp_path / "pq.json"
    rc = main(["eval", "panoptic", str(ROOT / c["gt_json"]), str(ROOT / c["gt_folder"]), str(ROOT / c["pred_json"]),
               str(ROOT / c["pred_folder"]), "--process-split", "2", "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    assert res["All"] == c["results"]["All"] and res["per_class"] == c["results"]["per_class"]
    assert "Things" in capsys.readouterr().out


def test_panoptic_cli_quiet_and_verbose(tmp_path, capsys):
    """-q prints nothing (the JSON is still written), -v adds details on stderr, the table stays on stdout."""
    from locuskit.cli import main

    c = EXPECTED["basic"]
    argv = ["eval", "panoptic", str(ROOT / c["gt_json"]), str(ROOT / c["gt_folder"]), str(ROOT / c["pred_json"]),
            str(ROOT / c["pred_folder"])]
    out = tmp_path / "pq.json"
    assert main(argv + ["-q", "--json", str(out)]) == 0
    assert capsys.readouterr() == ("", "")
    assert json.loads(out.read_text())["All"] == c["results"]["All"]
    assert main(argv) == 0
    plain = capsys.readouterr()
    assert "Things" in plain.out and plain.err == ""
    assert main(argv + ["-v"]) == 0
    verbose = capsys.readouterr()
    assert verbose.out == plain.out and "categories" in verbose.err
