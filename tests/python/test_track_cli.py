"""``locuskit track``: MOTChallenge detections in, MOTChallenge results out; errors name file and line."""
from __future__ import annotations

import numpy as np
import pytest

from locuskit import track
from locuskit.cli import main
from conftest import DATA

LEAN = DATA / "track"


def test_cli_reproduces_bytetrack_evaluator_file(tmp_path):
    """The file ByteTrack's MOT evaluator wrote (mot17_eval settings, area/aspect filter, 0.1 px
    rounding) comes out row for row."""
    out = tmp_path / "out.txt"
    assert main(["track", str(LEAN / "SYN-01.det.txt"), "--tracker", "bytetrack", "-o", str(out),
                 "--track-thresh", "0.6", "--match-thresh", "0.9", "--num-frames", "180",
                 "--min-box-area", "100", "--aspect-ratio-thresh", "1.6", "--decimals", "1"]) == 0
    mine = np.loadtxt(out, delimiter=",")
    ref = np.loadtxt(LEAN / "bytetrack_mot17_eval_SYN-01.txt", delimiter=",")
    np.testing.assert_array_equal(mine, ref)


def test_cli_sort_matches_reference_rows(tmp_path):
    out = tmp_path / "sort.txt"
    assert main(["track", str(LEAN / "SYN-01.det.txt"), "--tracker", "sort", "-o", str(out), "--num-frames", "180"]) == 0
    mine = np.loadtxt(out, delimiter=",")
    ref = np.load(LEAN / "reference_SYN-01.npz")["sort_default_rows"]
    np.testing.assert_array_equal(mine[:, :2], ref[:, :2])
    np.testing.assert_allclose(mine[:, 2:4], ref[:, 2:4], atol=1e-6)
    np.testing.assert_allclose(mine[:, 4:6], ref[:, 4:6] - ref[:, 2:4], atol=1e-6)
    assert (mine[:, 7:] == -1).all()


def test_cli_stdout_and_python_api_agree(tmp_path, capsys):
    assert main(["track", str(LEAN / "SYN-01.det.txt")]) == 0
    text = capsys.readouterr().out
    rows = track.track_file(LEAN / "SYN-01.det.txt")
    assert text.count("\n") == len(rows) > 1000
    first = [float(v) for v in text.splitlines()[0].split(",")]
    np.testing.assert_array_equal(first[:7], rows[0])


@pytest.mark.parametrize("body,message", [
    ("1,-1,10,20,40,100,0.9\n1,-1,10,20,40\n", r"d\.txt:2: expected at least 7 fields"),
    ("1,-1,10,20,-40,100,0.9\n", r"d\.txt:1: negative box size"),
    ("1,-1,10,20,40,100,nan\n", r"d\.txt:1: field 7 is nan"),
    ("2,-1,10,20,40,100,0.9\n\n1,-1,10,20,40,100,0.9\n", r"d\.txt:3: frame 1 after frame 2 \(frames out of order"),
    ("1.5,-1,10,20,40,100,0.9\n", r"d\.txt:1: frame .* not an integer"),
    ("1,-1,abc,20,40,100,0.9\n", r"d\.txt:1: field 3 \('abc'\) is not a number"),
])
def test_bad_input_names_file_and_line(tmp_path, capsys, body, message):
    p = tmp_path / "d.txt"
    p.write_text(body)
    with pytest.raises(ValueError, match=message):
        track.track_file(p)
    assert main(["track", str(p)]) != 0
    assert "d.txt" in capsys.readouterr().err


def test_empty_file_and_missing_file(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("")
    assert track.track_file(p).shape == (0, 7)
    assert track.track_file(p, num_frames=10, tracker="sort").shape == (0, 7)
    with pytest.raises(ValueError, match="cannot open"):
        track.track_file(tmp_path / "missing.txt")
