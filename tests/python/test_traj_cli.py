"""The evo-compatible trajectory command line: every evo command line stored with the reference
numbers runs unchanged (program name replaced) and prints evo's number; evo's options beyond
them against evo's own numbers (tests/data/traj/evo_cli_extra.json); format detection;
--json/--save_results/traj res/traj show/traj kitti --plot.

Oracles: evo v1.36.5's printed statistics (expected.json, bit-identical through its CLI) and its
--save_results stats.json; evo's own result zips for the reader.
"""
from __future__ import annotations

import json
import shlex
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE
from locuskit import traj
from locuskit.cli import main as cli_main

LOCAL = DATA / "traj"
SHARED_DATA = SHARED_REFERENCE / "trajectories" / "data"
GT = LOCAL / "freiburg1_xyz-groundtruth.txt"
EST = LOCAL / "freiburg1_xyz-rgbdslam.txt"
STAT_KEYS = ("max", "mean", "median", "min", "rmse", "sse", "std")
# As tests/python/test_traj_parity.py: 1e-9 relative (evo's Python loops and our C++ sum in a
# different order; -a --n_to_align 10 on KITTI is ill-conditioned at 1e-11); values that are zero
# up to rounding (after --align_origin) carry no digits below 1e-13.
REL_TOL, ABS_FLOOR = 1e-9, 1e-13


def _expected_commands():
    expected = json.loads((LOCAL / "expected.json").read_text())
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "cli" in node and "stats" in node:
                found.append((node["cli"], node["stats"]))
            for v in node.values():
                walk(v)
    walk(expected["pairs"])
    return found


EXPECTED = _expected_commands()


def _locuskit_argv(evo_cli: str):
    argv = shlex.split(evo_cli)
    program = {"evo_ape": "ape", "evo_rpe": "rpe", "evo_traj": "show", "evo_res": "res"}[argv[0]]
    return ["traj", program] + argv[1:]


def _printed_stats(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in STAT_KEYS + ("n",):
            out[parts[0]] = float(parts[1])
    return out


def _data_dir_for(cli: str):
    names = [a for a in shlex.split(cli) if a.endswith((".txt", ".csv"))]
    if all((LOCAL / n).exists() for n in names):
        return LOCAL
    if all((SHARED_DATA / n).exists() for n in names):
        return SHARED_DATA
    return None


def test_expected_json_holds_every_evo_command():
    assert len(EXPECTED) == 208


@pytest.mark.parametrize("cli,stats", EXPECTED, ids=[c for c, _ in EXPECTED])
def test_evo_command_line_runs_unchanged_and_gives_its_number(cli, stats, monkeypatch, capsys, tmp_path):
    where = _data_dir_for(cli)
    if where is None:
        pytest.skip(f"{SHARED_DATA} not present (KITTI/fr2/EuRoC files live in ../shared/reference)")
    monkeypatch.chdir(where)
    assert cli_main(_locuskit_argv(cli)) == 0
    printed = _printed_stats(capsys.readouterr().out)
    for k in STAT_KEYS:  # printed with 10 significant digits
        assert printed[k] == pytest.approx(stats[k], rel=REL_TOL + 5e-10, abs=ABS_FLOOR), k
    assert printed["n"] == stats["n"]
    # Full precision through --json (the same run plus one output option).
    out = tmp_path / "r.json"
    assert cli_main(_locuskit_argv(cli) + ["--json", str(out), "-q"]) == 0
    d = json.loads(out.read_text())
    for k in STAT_KEYS:
        assert d["stats"][k] == pytest.approx(stats[k], rel=REL_TOL, abs=ABS_FLOOR), k
    assert len(d["errors"]) == stats["n"]


EXTRA = json.loads((LOCAL / "evo_cli_extra.json").read_text())["commands"]


@pytest.mark.parametrize("entry", EXTRA, ids=[e["cli"].split(" ", 3)[-1] for e in EXTRA])
def test_evo_options_beyond_the_reference_set(entry, monkeypatch, tmp_path):
    """-u d/r (consecutive and all pairs), point_distance_error_ratio, --pairs_from_reference,
    --t_start/--t_end, --downsample, --change_unit, --motion_filter, --project_to_plane,
    --t_offset: equal to evo's --save_results statistics."""
    monkeypatch.chdir(LOCAL)
    out = tmp_path / "r.json"
    assert cli_main(_locuskit_argv(entry["cli"]) + ["--json", str(out), "-q"]) == 0
    d = json.loads(out.read_text())
    assert d["stats"]["n"] == entry["stats"]["n"]
    for k in STAT_KEYS:
        assert d["stats"][k] == pytest.approx(entry["stats"][k], rel=REL_TOL, abs=ABS_FLOOR), k


def test_format_is_detected_and_named_in_errors(tmp_path, capsys):
    kitti = tmp_path / "a.txt"
    P = np.tile(np.eye(4)[:3].reshape(1, 12), (20, 1))
    P[:, 3] = np.arange(20.0)
    np.savetxt(kitti, P)
    np.savetxt(tmp_path / "b.txt", P + np.r_[np.zeros(11), 0.1])
    assert traj.detect_format(kitti) == "kitti"
    assert traj.detect_format(GT) == "tum"
    # No format: detected (KITTI matched by index).
    assert cli_main(["traj", "ape", str(kitti), str(tmp_path / "b.txt")]) == 0
    assert _printed_stats(capsys.readouterr().out)["rmse"] == pytest.approx(0.1)
    # A wrong explicit format: the message says what the file looks like.
    assert cli_main(["traj", "ape", "tum", str(kitti), str(tmp_path / "b.txt")]) == 1
    err = capsys.readouterr().err
    assert "expected 8 fields, found 12" in err and "looks like a KITTI file" in err
    with pytest.raises(ValueError, match="looks like a KITTI file"):
        traj.read_trajectory(kitti, "tum")
    bad = tmp_path / "bad.txt"
    bad.write_text("# header\n1 2 3 4 5\n")
    with pytest.raises(ValueError, match=r"bad.txt:2: cannot tell the trajectory format: 5 fields"):
        traj.detect_format(bad)


def test_old_spellings_still_work(capsys):
    assert cli_main(["traj", "ape", str(GT), str(EST), "--align", "sim3", "--relation", "angle_deg"]) == 0
    old = _printed_stats(capsys.readouterr().out)
    assert cli_main(["traj", "ape", "tum", str(GT), str(EST), "-as", "-r", "angle_deg"]) == 0
    assert _printed_stats(capsys.readouterr().out) == old
    assert cli_main(["traj", "rpe", str(GT), str(EST), "--delta", "10", "--unit", "f", "--all-pairs",
                     "--t-max-diff", "0.01"]) == 0
    assert _printed_stats(capsys.readouterr().out)["n"] == 775


def test_align_origin_with_align_is_refused(capsys):
    assert cli_main(["traj", "ape", str(GT), str(EST), "-a", "--align_origin"]) == 1
    assert "--align_origin" in capsys.readouterr().err


def test_json_has_per_pose_arrays_and_settings(tmp_path):
    out = tmp_path / "r.json"
    assert cli_main(["traj", "rpe", "tum", str(GT), str(EST), "-d", "10", "-as", "--json", str(out), "-q"]) == 0
    d = json.loads(out.read_text())
    n = d["stats"]["n"]
    assert len(d["errors"]) == len(d["stamps"]) == len(d["pairs"]["first"]) == len(d["pairs"]["second"]) == n
    assert d["settings"]["delta"] == 10 and d["settings"]["align"] == "sim3"
    assert d["settings"]["reference"] == str(GT) and d["unit"] == "m"
    e = np.asarray(d["errors"])
    assert np.sqrt(np.mean(e ** 2)) == pytest.approx(d["stats"]["rmse"], rel=1e-12)


def test_quiet_and_verbose(capsys):
    assert cli_main(["traj", "ape", str(GT), str(LOCAL / "freiburg1_xyz-ORB_kf_mono.txt"), "-q"]) == 0
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == ""
    assert cli_main(["traj", "ape", str(GT), str(LOCAL / "freiburg1_xyz-ORB_kf_mono.txt"), "-as", "-v"]) == 0
    cap = capsys.readouterr()
    assert "detected tum format" in cap.err and "associated 32 of 32 poses" in cap.err
    assert "Scale correction: 1.10562" in cap.out


def test_suspicious_association_warns(tmp_path, capsys):
    shifted = tmp_path / "shifted.txt"
    rows = np.loadtxt(EST)
    rows[np.arange(len(rows)) % 3 != 0, 0] += 1000.0  # two thirds of the stamps from another clock
    np.savetxt(shifted, rows, fmt="%.17g")
    assert cli_main(["traj", "ape", str(GT), str(shifted)]) == 0
    assert "poses were associated" in capsys.readouterr().err


def test_save_results_zip_is_evo_layout_and_res_reads_both(tmp_path, capsys):
    ours = tmp_path / "ours.zip"
    assert cli_main(["traj", "ape", "tum", str(GT), str(EST), "--align_origin", "--save_results", str(ours),
                     "-q"]) == 0
    with zipfile.ZipFile(ours) as z:
        names = set(z.namelist())
        assert {"info.json", "stats.json", "error_array.npy", "timestamps.npy", "seconds_from_start.npy",
                "alignment_transformation_sim3.npy"} <= names
        info = json.loads(z.read("info.json"))
        assert {"title", "ref_name", "est_name", "label"} <= set(info)
    evo_zip = LOCAL / "evo_ape_result_fr1_xyz_origin.zip"
    ours_r, evo_r = traj.load_result(ours), traj.load_result(evo_zip)
    # The same evaluation written by evo and by locuskit: equal statistics and errors.
    for k in STAT_KEYS:
        assert ours_r["stats"][k] == pytest.approx(evo_r["stats"][k], rel=1e-12)
    np.testing.assert_allclose(ours_r["arrays"]["error_array"], evo_r["arrays"]["error_array"], rtol=1e-12,
                               atol=1e-13)  # the first pose after --align_origin is 0 up to rounding
    np.testing.assert_allclose(ours_r["arrays"]["alignment_transformation_sim3"],
                               evo_r["arrays"]["alignment_transformation_sim3"], rtol=1e-12, atol=1e-15)
    table = tmp_path / "t.csv"
    out_json = tmp_path / "res.json"
    rc = cli_main(["traj", "res", str(ours), str(evo_zip), str(LOCAL / "evo_rpe_result_fr1_xyz_5deg.zip"),
                   "--save_table", str(table), "--json", str(out_json), "--use_filenames"])
    assert rc == 0
    cap = capsys.readouterr()
    assert "different things" in cap.err  # APE and RPE compared
    rows = table.read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("name,rmse")
    assert float(rows[2].split(",")[1]) == evo_r["stats"]["rmse"]


def test_res_refuses_a_non_result(tmp_path, capsys):
    bogus = tmp_path / "x.zip"
    bogus.write_text("not a zip")
    assert cli_main(["traj", "res", str(bogus)]) == 1
    assert "not a result zip" in capsys.readouterr().err


def test_show_info_conversion_roundtrip(tmp_path, capsys):
    out = tmp_path / "info.json"
    assert cli_main(["traj", "show", "tum", str(EST), "--ref", str(GT), "-a", "--save_as_kitti", "--save_as_euroc",
                     "--save_as_tum", "--out_dir", str(tmp_path), "--json", str(out)]) == 0
    info = json.loads(out.read_text())
    assert info[str(GT)]["poses"] == 3000 and float(info[str(GT)]["t_start_s"]) == traj.read_tum(GT).stamps[0]
    assert info[str(EST)]["poses"] == 785
    # The reference converts with stamps and positions exact (17 significant digits) and rotations
    # through a unit quaternion (a few ulps).
    g = traj.read_tum(GT)
    back = traj.read_trajectory(tmp_path / "freiburg1_xyz-groundtruth.tum", "tum")
    np.testing.assert_array_equal(back.stamps, g.stamps)
    np.testing.assert_array_equal(back.positions, g.positions)
    np.testing.assert_allclose(back.poses, g.poses, rtol=0, atol=4e-15)
    k = traj.read_trajectory(tmp_path / "freiburg1_xyz-groundtruth.kitti", "kitti")
    np.testing.assert_array_equal(k.poses, g.poses)
    e = traj.read_trajectory(tmp_path / "freiburg1_xyz-groundtruth.csv", "euroc")
    np.testing.assert_allclose(e.stamps, g.stamps, rtol=0, atol=1e-6)
    np.testing.assert_allclose(e.poses, g.poses, rtol=0, atol=4e-15)
    # The aligned estimate as written equals the API's alignment.
    r, e_, _ = traj.synchronize(g, traj.read_tum(EST))
    aligned, _ = traj.align(r, e_, "se3")
    np.testing.assert_allclose(traj.read_tum(tmp_path / "freiburg1_xyz-rgbdslam.tum").poses, aligned, atol=1e-15)


def test_show_kitti_to_tum_needs_stamps(tmp_path, capsys):
    kitti = tmp_path / "k.txt"
    np.savetxt(kitti, np.tile(np.eye(4)[:3].reshape(1, 12), (3, 1)))
    assert cli_main(["traj", "show", str(kitti), "--save_as_tum", "--out_dir", str(tmp_path)]) == 1
    assert "write it as kitti" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["xy", "xz", "xyz"])
def test_plots_are_written(tmp_path, mode):
    pytest.importorskip("matplotlib")
    long_dir = tmp_path / ("a_very_long_folder_name_" * 4)
    long_dir.mkdir()
    est = long_dir / "estimate_with_a_long_descriptive_file_name_from_a_sweep.txt"
    est.write_bytes(EST.read_bytes())
    for argv in (["traj", "ape", str(GT), str(est), "-a", "--plot_mode", mode, "--save_plot"],
                 ["traj", "rpe", str(GT), str(est), "-d", "5", "--plot_mode", mode, "--plot"],
                 ["traj", "show", str(est), "--ref", str(GT), "-a", "--plot_mode", mode, "--save_plot"]):
        out = tmp_path / f"{argv[1]}_{mode}.png"
        assert cli_main(argv + [str(out), "-q"]) == 0
        assert out.stat().st_size > 10_000


def test_short_title_keeps_the_file_name():
    from locuskit._cli.traj import _short

    s = _short("/x/" + "f" * 30 + "/" + "name_" * 20 + ".txt", 48)
    assert len(s) <= 48 and s.endswith(".txt") and "…" in s
    assert _short("/data/run1/est.txt") == "run1/est.txt"


def test_kitti_plot_as_the_readme_shows(tmp_path):
    pytest.importorskip("matplotlib")
    gt, est = SHARED_DATA / "KITTI_00_gt.txt", SHARED_DATA / "KITTI_00_ORB.txt"
    if not gt.exists():
        pytest.skip(f"{SHARED_DATA} not present")
    out, js = tmp_path / "k.png", tmp_path / "k.json"
    assert cli_main(["traj", "kitti", str(gt), str(est), "--plot", str(out), "--json", str(js), "-q"]) == 0
    assert out.stat().st_size > 10_000
    d = json.loads(js.read_text())
    assert d["num_segments"] == len(d["segments"]) == 3283


def test_exit_codes_from_a_real_process(tmp_path):
    """0 success, 1 invalid input (message on stderr), 2 usage error."""
    run = lambda *a: subprocess.run([sys.executable, "-m", "locuskit", "traj", *a],  # noqa: E731
                                    capture_output=True, text=True)
    ok = run("ape", "tum", str(GT), str(EST), "-a")
    assert ok.returncode == 0 and "rmse" in ok.stdout
    missing = run("ape", str(GT), str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "nope.txt" in missing.stderr
    usage = run("ape", str(GT), str(EST), "-r", "bogus")
    assert usage.returncode == 2


def test_cli_does_not_import_numpy_matplotlib_or_torch_for_numbers():
    """A plain evaluation is one call into C++ (traj.evaluate_files): start-up without NumPy."""
    code = ("import sys; from locuskit.cli import main; "
            f"assert main(['traj', 'ape', {str(GT)!r}, {str(EST)!r}, '-as', '-q']) == 0; "
            f"assert main(['traj', 'rpe', 'tum', {str(GT)!r}, {str(EST)!r}, '-d', '1', '-u', 'm', '-q']) == 0; "
            "print(*(m in sys.modules for m in ('numpy', 'matplotlib', 'torch', 'locuskit.coco')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "False", "False"]
    code = ("import sys; from locuskit.cli import main; "
            f"assert main(['traj', 'ape', {str(GT)!r}, {str(EST)!r}, '--json', '/dev/null', '-q']) == 0; "
            "print(*(m in sys.modules for m in ('numpy', 'matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def test_evaluate_files_equals_the_array_api():
    for metric, kw in (("ape", dict(align_mode="sim3")), ("rpe", dict(delta=0.5, unit="m", all_pairs=True)),
                       ("rpe", dict(relation="point_distance_error_ratio", delta=10)),
                       ("ape", dict(align_mode="origin", t_start=1305031102.5, t_end=1305031115.0))):
        d = traj.evaluate_files(GT, EST, metric, **kw)
        g, e = traj.read_tum(GT), traj.read_tum(EST)
        if "t_start" in kw:
            g = traj.select_time_range(g, kw.pop("t_start"), kw.pop("t_end"))
        r = traj.ape(g, e, kw.get("relation", "trans_part"), kw.get("align_mode", "none")) if metric == "ape" else \
            traj.rpe(g, e, kw.get("relation", "trans_part"), kw.get("delta", 1), kw.get("unit", "f"),
                     kw.get("all_pairs", False))
        for k in STAT_KEYS:
            assert d["stats"][k] == pytest.approx(r.stats[k], rel=1e-12, abs=1e-15), (metric, kw, k)
        assert d["stats"]["n"] == r.stats["n"] and d["formats"] == ("tum", "tum")
    with pytest.raises(ValueError, match="t_start is greater than t_end"):
        traj.evaluate_files(GT, EST, t_start=2e9, t_end=1e9)
    with pytest.raises(ValueError, match="no matching timestamps"):
        traj.evaluate_files(GT, EST, max_diff=0.0, offset=0.5)


def test_evo_reads_our_result_zip(tmp_path):
    """evo's own loader (live, when LOCUSKIT_PEERS points at bench/setup-peers' builds) reads what
    --save_results writes: the same statistics and error array."""
    import os
    import pathlib

    peers = os.environ.get("LOCUSKIT_PEERS")
    evo_python = pathlib.Path(peers or "/nonexistent") / "evo-venv" / "bin" / "python"
    if not evo_python.exists():
        pytest.skip("evo not built here (set LOCUSKIT_PEERS, see bench/setup-peers)")
    ours = tmp_path / "ours.zip"
    assert cli_main(["traj", "rpe", "tum", str(GT), str(EST), "-d", "10", "-as", "--save_results", str(ours),
                     "-q"]) == 0
    code = ("import json, sys; from evo.tools import file_interface as f; r = f.load_res_file(sys.argv[1]); "
            "print(json.dumps({'stats': r.stats, 'n': len(r.np_arrays['error_array']), 'title': r.info['title']}))")
    out = subprocess.run([str(evo_python), "-c", code, str(ours)], capture_output=True, text=True, check=True,
                         env=dict(os.environ, MPLBACKEND="Agg"))
    d = json.loads(out.stdout.strip().splitlines()[-1])
    mine = traj.load_result(ours)
    assert d["stats"] == mine["stats"] and d["n"] == len(mine["arrays"]["error_array"])
    assert d["title"].startswith("RPE w.r.t. translation part (m)")
