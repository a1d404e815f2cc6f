"""conventions="motmetrics" of locuskit.mot: py-motmetrics 1.4.0's eval_motchallenge numbers
(`mm.io.loadtxt` + `mm.utils.compare_to_groundtruth(gt, ts, 'iou', distth=0.5)` +
`mh.compute_many(..., metrics=mm.metrics.motchallenge_metrics, generate_overall=True)`), compared
with == (NaN where py-motmetrics gives NaN) against py-motmetrics' own stored outputs:
tests/data/mot/motmetrics_expected.json (`tiny`, `edge`: always run) and every case of
../shared/reference/tracking/expected.json (skips without it)."""
from __future__ import annotations

import json
import math

import pytest

from locuskit import mot
from locuskit.cli import main

from conftest import DATA, SHARED_REFERENCE

LOCAL = DATA / "mot"
SHARED = SHARED_REFERENCE / "tracking"


def _cases():
    out = []
    local = json.loads((LOCAL / "motmetrics_expected.json").read_text())
    te = json.loads((LOCAL / "expected.json").read_text())["cases"]
    for name, results in local["cases"].items():
        out.append(pytest.param(LOCAL / name, te[name]["trackeval_config"], results, id=f"local-{name}"))
    if (SHARED / "expected.json").is_file():
        for name, c in json.loads((SHARED / "expected.json").read_text())["cases"].items():
            if "py_motmetrics" not in c:
                continue  # distractors.no_preproc: py-motmetrics has no such switch
            results = {t: v["results"] for t, v in c["py_motmetrics"]["modes"]["eval_motchallenge"].items()
                       if v["results"]}
            out.append(pytest.param((SHARED, c), c["trackeval_config"], results, id=name))
    else:
        out.append(pytest.param(None, None, None, id="shared-absent",
                                marks=pytest.mark.skip(reason=f"{SHARED} not present (the other 7 cases)")))
    return out


def _folders(where):
    if isinstance(where, tuple):
        root, c = where
        return root / c["gt_folder"], root / c["trackers_folder"]
    return where / "gt" / "mot_challenge", where / "trackers" / "mot_challenge"


def _same(got, want):
    if want is None:
        return isinstance(got, float) and math.isnan(got)
    return got == want and isinstance(got, float) == isinstance(want, float) or (
        isinstance(want, float) and want.is_integer() and got == want)  # idtp/idfn/idfp are floats there


@pytest.mark.parametrize("where,cfg,expected", _cases())
def test_equal_to_py_motmetrics(where, cfg, expected):
    gt, trk = _folders(where)
    res = mot.evaluate(gt, trk, benchmark=cfg["BENCHMARK"], split=cfg["SPLIT_TO_EVAL"], trackers=sorted(expected),
                       conventions="motmetrics")
    n = 0
    for tracker, per in expected.items():
        assert set(res[tracker]) == set(per)
        for seq, fields in per.items():
            for field, want in fields.items():
                got = res[tracker][seq][field]
                assert _same(got, want), (tracker, seq, field, got, want)
                n += 1
    assert n >= 25


def test_edge_differs_from_trackeval_where_py_motmetrics_does():
    """The `edge` case (MOT17 layout with distractors, IoUs in [0.5 - 2^-52, 0.5), re-appearing
    objects): the two peers disagree on nearly every field and each convention gives its own peer's
    numbers (values from shared/reference/tracking/expected.json -> differences_vs_trackeval)."""
    gt, trk = _folders(LOCAL / "edge")
    te = mot.evaluate(gt, trk).results["trkA"]["SYN-01"]
    mm = mot.evaluate(gt, trk, conventions="motmetrics")["trkA"]["SYN-01"]
    pairs = [("CLEAR", "CLR_TP", "num_detections", 382, 381), ("CLEAR", "CLR_FP", "num_false_positives", 41, 45),
             ("CLEAR", "IDSW", "num_switches", 6, 4), ("CLEAR", "MT", "mostly_tracked", 20, 21),
             ("CLEAR", "Frag", "num_fragmentations", 20.0, 35), ("Identity", "IDFP", "idfp", 75, 78)]
    for fam, ours, theirs, want_te, want_mm in pairs:
        assert (te[fam][ours], mm[theirs]) == (want_te, want_mm), ours
    assert te["CLEAR"]["MOTP"] == 0.9024965525116428 and 1 - mm["motp"] == 0.9035529739093113


def test_pairs_and_bad_conventions(tmp_path):
    gt, trk = _folders(LOCAL / "tiny")
    want = json.loads((LOCAL / "motmetrics_expected.json").read_text())["cases"]["tiny"]["trkA"]["SYN-01"]
    seq = next(p for p in (gt / "MOT17-train").iterdir() if p.is_dir())
    got = mot.evaluate_files({seq.name: (seq / "gt" / "gt.txt", trk / "MOT17-train" / "trkA" / "data" / f"{seq.name}.txt")},
                             seq_lengths={seq.name: 10 ** 6}, conventions="motmetrics")["tracker"][seq.name]
    assert all(_same(got[k], v) for k, v in want.items() if k != "num_frames")  # frames with rows only
    assert got["num_frames"] == want["num_frames"]
    with pytest.raises(ValueError, match="conventions"):
        mot.evaluate(gt, trk, conventions="py-motmetrics")


def test_cli_conventions(tmp_path, capsys):
    gt, trk = _folders(LOCAL / "tiny")
    out = tmp_path / "mm.json"
    assert main(["eval", "mot", str(gt), str(trk), "--conventions", "motmetrics", "--json", str(out), "-q"]) == 0
    got = json.loads(out.read_text())
    want = json.loads((LOCAL / "motmetrics_expected.json").read_text())["cases"]["tiny"]
    assert got["trkA"]["OVERALL"]["mota"] == want["trkA"]["OVERALL"]["mota"]
    assert main(["eval", "mot", str(gt), str(trk), "--conventions", "motmetrics"]) == 0
    assert "IDF1" in capsys.readouterr().out


def test_bad_input_names_file_and_line(tmp_path):
    gt = tmp_path / "gt.txt"
    trk = tmp_path / "trk.txt"
    gt.write_text("1,1,0,0,10,10,1,1,1\n2,1,0,0,-10,10,1,1,1\n")
    trk.write_text("1,1,0,0,10,10,1\n")
    with pytest.raises(ValueError, match=r"gt\.txt:2"):
        mot.evaluate_files({"s": (gt, trk)}, conventions="motmetrics")
    gt.write_text("1,1,0,0,10,10,1,1,1\n")
    trk.write_text("1,1,0,0,10,10,1\n1,1,5,5,10,10,1\n")  # id twice in a frame
    with pytest.raises(ValueError, match=r"trk\.txt:2"):
        mot.evaluate_files({"s": (gt, trk)}, conventions="motmetrics")
    trk.write_text("")  # no detections: py-motmetrics' quiet_divide gives NaN precision
    r = mot.evaluate_files({"s": (gt, trk)}, conventions="motmetrics")["tracker"]["s"]
    assert r["num_misses"] == 1 and r["mota"] == 0.0 and math.isnan(r["precision"]) and math.isnan(r["motp"])
