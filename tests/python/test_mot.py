"""TrackEval parity of locuskit.mot: every value of shared/reference/tracking/expected.json
(TrackEval @ 12c8791b, 10 evaluations incl. the real TUD sequences) compared with ==, per sequence
and combined; TrackEval's own output files; thread-count independence; bad input; the CLI.

tests/data/mot holds the `tiny` and `edge` cases (always run); the other cases are read from
../shared/reference/tracking and skip without it."""
from __future__ import annotations

import json
import os
import pathlib
import shutil

import numpy as np
import pytest

import locuskit
from locuskit import mot
from locuskit.cli import main

from conftest import DATA, SHARED_REFERENCE

LOCAL = DATA / "mot"
SHARED = SHARED_REFERENCE / "tracking"


def _cases():
    out = []
    local = json.loads((LOCAL / "expected.json").read_text())
    for name, c in local["cases"].items():
        out.append(pytest.param(LOCAL, name, c, id=f"local-{name}"))
    if (SHARED / "expected.json").is_file():
        shared = json.loads((SHARED / "expected.json").read_text())
        for name, c in shared["cases"].items():
            out.append(pytest.param(SHARED, name, c, id=name))
    else:
        out.append(pytest.param(None, None, None, id="shared-absent",
                                marks=pytest.mark.skip(reason=f"{SHARED} not present (the other 8 cases)")))
    return out


def _evaluate(root, case, c):
    cfg = c["trackeval_config"]
    base = root / "cases" if root == SHARED else root
    gt = base / c["gt_folder"].replace("cases/", "", 1) if root != SHARED else root / c["gt_folder"]
    trk = base / c["trackers_folder"].replace("cases/", "", 1) if root != SHARED else root / c["trackers_folder"]
    return mot.evaluate(gt, trk, benchmark=cfg["BENCHMARK"], split=cfg["SPLIT_TO_EVAL"],
                        do_preproc=cfg["DO_PREPROC"], metrics=cfg["METRICS"])


@pytest.mark.parametrize("root,case,c", _cases())
def test_bit_identical_to_trackeval(root, case, c):
    res = _evaluate(root, case, c)
    assert sorted(res.trackers) == sorted(c["trackers"])
    n = 0
    for tracker, per in c["trackeval"].items():
        for seq, metrics in per.items():
            for metric, fields in metrics.items():
                ours = res.results[tracker][seq][metric]
                for field, want in fields.items():
                    if field == "mean_over_alphas":
                        for f, m in want.items():
                            assert np.mean(ours[f]) == m, (tracker, seq, f)
                        continue
                    got = ours[field]
                    if isinstance(want, list):
                        assert isinstance(got, np.ndarray) and got.dtype == np.float64
                        assert got.tolist() == want, (tracker, seq, metric, field)
                    else:
                        assert got == want, (tracker, seq, metric, field, got, want)
                        assert isinstance(got, float) == isinstance(want, float), (field, got, want)
                    n += 1
    assert n > 90


def test_alphas_are_trackevals():
    exp = json.loads((LOCAL / "expected.json").read_text())
    assert mot.ALPHAS.tolist() == exp["alpha_thresholds"]


def _tiny():
    return LOCAL / "tiny" / "gt" / "mot_challenge", LOCAL / "tiny" / "trackers" / "mot_challenge"


def _edge():
    return LOCAL / "edge" / "gt" / "mot_challenge", LOCAL / "edge" / "trackers" / "mot_challenge"


@pytest.mark.skipif(not (SHARED / "trackeval_output_example").is_dir(), reason="shared reference absent")
def test_trackeval_output_files_reproduced():
    # TrackEval's own pedestrian_summary.txt / pedestrian_detailed.csv for case `basic`.
    c = SHARED / "cases" / "basic"
    res = mot.evaluate(c / "gt" / "mot_challenge", c / "trackers" / "mot_challenge")
    for t in res.trackers:
        d = SHARED / "trackeval_output_example" / t
        assert res.summary_txt(t).encode() == (d / "pedestrian_summary.txt").read_bytes()
        assert res.detailed_csv(t).encode() == (d / "pedestrian_detailed.csv").read_bytes()


def test_results_independent_of_thread_count():
    gt, trk = _edge()
    before = locuskit.get_num_threads()
    try:
        locuskit.set_num_threads(1)
        one = mot.evaluate(gt, trk).to_json()
        for n in (2, 5):
            locuskit.set_num_threads(n)
            assert mot.evaluate(gt, trk).to_json() == one
    finally:
        locuskit.set_num_threads(before)


def test_metric_subsets_and_plain_pairs():
    gt, trk = _tiny()
    full = mot.evaluate(gt, trk)
    only = mot.evaluate(gt, trk, metrics=["Identity"])
    assert set(only.results["trkA"]["SYN-01"]) == {"Identity", "Count"}
    assert only.results["trkA"]["COMBINED_SEQ"]["Identity"] == full.results["trkA"]["COMBINED_SEQ"]["Identity"]
    pairs = mot.evaluate_files({"SYN-01": (gt / "MOT17-train/SYN-01/gt/gt.txt", trk / "MOT17-train/trkA/data/SYN-01.txt")},
                               tracker_name="trkA")
    assert pairs.to_dict()["trackers"]["trkA"] == full.to_dict()["trackers"]["trkA"]
    with pytest.raises(ValueError, match="unknown metric"):
        mot.evaluate(gt, trk, metrics=["MOTA"])


def _copy_tiny(tmp_path):
    gt, trk = _tiny()
    shutil.copytree(gt, tmp_path / "gt")
    shutil.copytree(trk, tmp_path / "trk")
    return tmp_path / "gt", tmp_path / "trk", tmp_path / "trk" / "MOT17-train" / "trkA" / "data" / "SYN-01.txt"


def test_bad_input_names_file_and_line(tmp_path):
    gt, trk, f = _copy_tiny(tmp_path)
    lines = f.read_text().splitlines()
    # an id reused within a frame
    f.write_text("\n".join(lines + [lines[0]]) + "\n")
    with pytest.raises(ValueError, match=rf"SYN-01.txt:{len(lines) + 1}: id \d+ appears twice in frame 1 \(also on line 1\)"):
        mot.evaluate(gt, trk)
    # a frame beyond seqLength
    f.write_text("\n".join(lines + ["31,1,0,0,1,1,1,-1,-1,-1"]) + "\n")
    with pytest.raises(ValueError, match=rf"SYN-01.txt:{len(lines) + 1}: frame 31 is beyond the sequence length 30"):
        mot.evaluate(gt, trk)
    # malformed rows
    for bad, msg in (("1,1,0,0,-5,1,1", "negative box size"), ("1.5,1,0,0,1,1,1", "not an integer"),
                     ("1,1,0,0,1", "expected at least 7 fields"), ("1,1,a,0,1,1,1", "is not a number")):
        f.write_text(bad + "\n")
        with pytest.raises(ValueError, match=f"SYN-01.txt:1: .*{msg}"):
            mot.evaluate(gt, trk)
    # a tracker without a file for a sequence
    f.unlink()
    with pytest.raises(FileNotFoundError, match="tracker trkA has no result for sequence SYN-01"):
        mot.evaluate(gt, trk)
    # an empty (0-byte) file is a valid result without detections
    f.write_text("")
    r = mot.evaluate(gt, trk).results["trkA"]["SYN-01"]
    assert r["CLEAR"]["CLR_TP"] == 0 and r["Count"]["Dets"] == 0 and r["CLEAR"]["MLR"] == 1.0


def test_frames_out_of_order_are_grouped_like_trackeval(tmp_path):
    # TrackEval groups rows by frame; the order of frames in the file does not matter.
    gt, trk, f = _copy_tiny(tmp_path)
    want = mot.evaluate(gt, trk).to_json()
    lines = f.read_text().splitlines()
    # Whole frames reversed; the rows of a frame keep their order (it decides assignment ties).
    frames = {}
    for ln in lines:
        frames.setdefault(ln.split(",")[0], []).append(ln)
    f.write_text("\n".join(ln for k in reversed(list(frames)) for ln in frames[k]) + "\n")
    assert mot.evaluate(gt, trk).to_json() == want


def test_read_format_round_trip(tmp_path):
    rows = mot.parse_mot("1,3,113.84,274.5,57.307,130.05,0.5,-1,-1,-1\n2,4,0.1,-2,0,4,1\n")
    assert rows["frame"].tolist() == [1, 2] and rows["id"].tolist() == [3, 4]
    assert rows["boxes"].tolist() == [[113.84, 274.5, 57.307, 130.05], [0.1, -2.0, 0.0, 4.0]]
    assert rows["line"].tolist() == [1, 2]
    assert np.isnan(rows["class_id"][1])
    p = tmp_path / "out.txt"
    mot.write_mot(p, rows["frame"], rows["id"], rows["boxes"], rows["confidence"])
    assert p.read_text() == "1,3,113.84,274.5,57.307,130.05,0.5,-1,-1,-1\n2,4,0.1,-2,0,4,1,-1,-1,-1\n"
    back = mot.read_mot(p)
    assert back["boxes"].tolist() == rows["boxes"].tolist()
    (tmp_path / "empty.txt").write_text("")
    assert mot.read_mot(tmp_path / "empty.txt", kind="gt")["frame"].size == 0
    with pytest.raises(ValueError, match="kind"):
        mot.read_mot(p, kind="bad")
    with pytest.raises(ValueError, match="nope.txt: cannot open file"):
        mot.read_mot(tmp_path / "nope.txt")


def test_cli(tmp_path, capsys):
    gt, trk = _tiny()
    out = tmp_path / "out"
    rc = main(["eval", "mot", str(gt), str(trk), "--benchmark", "MOT17", "--split", "train",
               "--metrics", "HOTA", "CLEAR", "Identity", "--json", str(tmp_path / "r.json"),
               "--csv", str(tmp_path / "r.csv"), "--output-folder", str(out), "--plot", str(tmp_path / "p")])
    assert rc == 0
    text = capsys.readouterr().out
    assert "HOTA: trkA-pedestrian" in text and "COMBINED" in text and "CLEAR: trkA-pedestrian" in text
    exp = json.loads((LOCAL / "expected.json").read_text())["cases"]["tiny"]["trackeval"]["trkA"]
    got = json.loads((tmp_path / "r.json").read_text())["trackers"]["trkA"]
    assert got["COMBINED_SEQ"]["HOTA"]["HOTA"] == exp["COMBINED_SEQ"]["HOTA"]["HOTA"]
    assert got["SYN-01"]["CLEAR"]["MOTA"] == exp["SYN-01"]["CLEAR"]["MOTA"]
    assert (out / "trkA" / "pedestrian_summary.txt").is_file()
    assert (tmp_path / "r.csv").read_text().startswith("tracker,seq,HOTA(0)")
    assert (tmp_path / "p_hota_alpha.png").stat().st_size > 1000
    assert (tmp_path / "p_deta_assa.png").stat().st_size > 1000
    # plain pairs
    rc = main(["eval", "mot", str(gt / "MOT17-train/SYN-01/gt/gt.txt"), str(trk / "MOT17-train/trkA/data/SYN-01.txt"),
               "--pairs", "--metrics", "CLEAR"])
    assert rc == 0
    assert "CLEAR: tracker-pedestrian" in capsys.readouterr().out
    # errors: exit code 1 with the message
    assert main(["eval", "mot", str(tmp_path / "nothing"), str(trk)]) == 1
    assert "seqmap" in capsys.readouterr().err
