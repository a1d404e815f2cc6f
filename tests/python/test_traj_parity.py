"""Parity with evo v1.36.5 and the KITTI odometry devkit on real trajectories.

Expected numbers: shared/reference/trajectories/expected.json (evo's own CLI/in-process output and
the compiled devkit), golden per-pose arrays and evo's association rows. The fr1/xyz pairs run from
the lean copies in tests/data/traj; KITTI 00, fr2/desk and EuRoC V1_02 read the shared reference
and skip when it is absent.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE
from locuskit import traj

LOCAL = DATA / "traj"
SHARED = SHARED_REFERENCE / "trajectories"
EXPECTED = json.loads((LOCAL / "expected.json").read_text())
REL_TOL = 1e-9
# Values that are zero up to rounding (the first pose after --align_origin) carry no digits to
# compare: evo gets 6e-16 where we get 1e-16. Below this absolute level both are "0".
ABS_FLOOR = 1e-13

APE_MODES = {"none": ("none", -1), "se3": ("se3", -1), "sim3": ("sim3", -1), "scale_only": ("scale", -1),
             "origin": ("origin", -1), "se3_first10": ("se3", 10)}
STAT_KEYS = ("rmse", "mean", "median", "std", "min", "max", "sse")


def _file(name):
    for base in (LOCAL, SHARED / "data"):
        if (base / name).exists():
            return base / name
    pytest.skip(f"{name} not available (needs {SHARED})")


_cache = {}


def _load(pair_name):
    if pair_name not in _cache:
        p = EXPECTED["pairs"][pair_name]
        fmt = p["format"]
        ref = traj.read_trajectory(_file(p["reference"]), fmt)
        est = traj.read_trajectory(_file(p["estimate"]), "tum" if fmt == "euroc" else fmt)
        _cache[pair_name] = (ref, est)
    return _cache[pair_name]


def _check_stats(got, exp, what):
    assert got["n"] == exp["n"], what
    for k in STAT_KEYS:
        g, e = got[k], exp[k]
        if abs(e) < ABS_FLOOR and abs(g) < ABS_FLOOR:
            continue
        assert abs(g - e) <= REL_TOL * abs(e), f"{what} {k}: {g!r} vs evo {e!r} (rel {abs(g - e) / abs(e):.2e})"


PAIRS = sorted(EXPECTED["pairs"])


@pytest.mark.parametrize("pair", PAIRS)
def test_ape_matches_evo(pair):
    ref, est = _load(pair)
    p = EXPECTED["pairs"][pair]
    for relation, key in (("trans_part", "translation_part"), ("angle_deg", "rotation_angle_deg")):
        for mode, (align_mode, n) in APE_MODES.items():
            entry = p["ape"][key][mode]
            r = traj.ape(ref, est, relation, align_mode, n)
            _check_stats(r.stats, entry["stats"], f"{pair} ape {relation} {mode} ({entry['cli']})")
            al = entry.get("alignment", {})
            if "s" in al and mode in ("sim3", "scale_only"):
                assert abs(r.alignment["s"] - al["s"]) <= REL_TOL * al["s"]
            if "R" in al and mode != "scale_only":
                # Umeyama on 10 poses is ill-conditioned: R agrees to ~3e-10 there, 1e-15 elsewhere.
                np.testing.assert_allclose(r.alignment["R"], al["R"], rtol=0, atol=1e-8)
                np.testing.assert_allclose(r.alignment["t"], al["t"], rtol=0, atol=1e-6)


def _rpe_config(cfg):
    parts = cfg.split("_")
    return float(parts[1]), ("f" if parts[2] == "frames" else "m"), ("all" in parts), \
        ("sim3" if parts[-1] == "sim3" else "none")


@pytest.mark.parametrize("pair", PAIRS)
def test_rpe_matches_evo(pair):
    ref, est = _load(pair)
    p = EXPECTED["pairs"][pair]
    assert p["rpe"], pair
    for cfg, v in p["rpe"].items():
        delta, unit, all_pairs, align_mode = _rpe_config(cfg)
        for relation, key in (("trans_part", "translation_part"), ("angle_deg", "rotation_angle_deg")):
            r = traj.rpe(ref, est, relation, delta, unit, all_pairs, align_mode)
            _check_stats(r.stats, v[key]["stats"], f"{pair} rpe {cfg} {relation} ({v[key]['cli']})")


@pytest.mark.parametrize("pair", [p for p in PAIRS if EXPECTED["pairs"][p]["format"] != "kitti"])
def test_association_rows_match_evo(pair):
    rows = np.load(LOCAL / "association_rows.npz")
    ref, est = _load(pair)
    ri, ei = traj.associate(ref, est)
    np.testing.assert_array_equal(ri, rows[f"{pair}__ref_row"])
    np.testing.assert_array_equal(ei, rows[f"{pair}__est_row"])
    assert len(ri) == EXPECTED["pairs"][pair]["association"]["n_pairs"]


def test_v102_duplicate_stamps_reuse_reference_rows():
    ref, est = _load("euroc_v102")
    ri, ei = traj.associate(ref, est)
    _, counts = np.unique(ri, return_counts=True)
    assert (counts > 1).sum() == EXPECTED["pairs"]["euroc_v102"]["association"]["ref_rows_used_more_than_once"]
    assert any("duplicated" in w for w in est.warnings)


@pytest.mark.parametrize("pair", ["kitti00_orbslam2_stereo", "kitti00_sptam"])
def test_kitti_devkit_bit_exact(pair):
    ref, est = _load(pair)
    exp = EXPECTED["pairs"][pair]["kitti_devkit"]
    d = traj.kitti_metric(ref, est, "devkit")
    for variant in ("devkit_compiled", "float32_devkit_emulation"):
        e = exp[variant]
        assert d["num_segments"] == e["num_segments"]
        assert d["t_err_fraction"] == e["t_err_fraction"]  # bit-exact float32 emulation
        assert d["r_err_rad_per_m"] == e["r_err_rad_per_m"]
        assert d["stats_txt_line"] == e["stats_txt_line"]
        for length, v in e["per_length"].items():
            assert d["per_length"][length]["n"] == v["n"]
            assert d["per_length"][length]["t_err_fraction"] == v["t_err_fraction"]
            assert d["per_length"][length]["r_err_rad_per_m"] == v["r_err_rad_per_m"]
    dd = traj.kitti_metric(ref, est, "double")
    e = exp["float64"]
    assert dd["num_segments"] == e["num_segments"]
    for k in ("t_err_fraction", "r_err_rad_per_m", "gt_path_length_m"):
        assert abs(dd[k] - e[k]) <= REL_TOL * abs(e[k]), k


def _golden(name):
    path = SHARED / "golden" / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    return np.load(path)


def test_kitti_segments_and_per_pose_golden():
    g = _golden("kitti00_orbslam2_stereo.npz")
    ref, est = _load("kitti00_orbslam2_stereo")
    np.testing.assert_array_equal(traj.kitti_metric(ref, est, "devkit")["segments"], g["kitti_segments_devkit_compiled"])
    seg, exp = traj.kitti_metric(ref, est, "double")["segments"], g["kitti_segments_float64"]
    np.testing.assert_array_equal(seg[:, [0, 3]], exp[:, [0, 3]])
    np.testing.assert_allclose(seg[:, [2, 4]], exp[:, [2, 4]], rtol=1e-12)
    # acos near 1 amplifies the last-bit differences of the 4x4 inverses: absolute comparison.
    np.testing.assert_allclose(seg[:, 1], exp[:, 1], rtol=0, atol=1e-12)
    for mode, (am, n) in APE_MODES.items():
        np.testing.assert_allclose(traj.ape(ref, est, "trans_part", am, n).errors, g[f"ape_trans_{mode}"],
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(traj.ape(ref, est, "angle_deg", am, n).errors, g[f"ape_rot_deg_{mode}"],
                                   rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(traj.rpe(ref, est, "trans_part").errors, g["rpe_trans_delta_1_frames"], rtol=1e-9)
    np.testing.assert_allclose(traj.rpe(ref, est, "angle_deg").errors, g["rpe_rot_deg_delta_1_frames"], rtol=1e-9,
                               atol=1e-12)


def test_ape_full_composes_est_inverse_ref_as_evo():
    """evo's APE error is relative_se3(est, ref) = est⁻¹·ref; KITTI rotations are not exactly
    orthonormal, so ref⁻¹·est gives `-r full` values up to 1.7e-6 away (issue 10, item 4)."""
    want = np.load(LOCAL / "evo_ape_full_kitti00_orb.npz")["orb_full"]
    ref, est = _load("kitti00_orbslam2_stereo")
    np.testing.assert_allclose(traj.ape(ref, est, "full").errors, want, rtol=1e-13, atol=1e-13)


def test_euroc_golden():
    g = _golden("euroc_v102.npz")
    ref, est = _load("euroc_v102")
    ri, ei = traj.associate(ref, est)
    np.testing.assert_array_equal(ri, g["assoc_ref_row"])
    np.testing.assert_array_equal(ei, g["assoc_est_row"])
    np.testing.assert_array_equal(ref.stamps[ri], g["timestamps_ref"])  # evo: float(ns)/1e9
    for mode, (am, n) in APE_MODES.items():
        np.testing.assert_allclose(traj.ape(ref, est, "trans_part", am, n).errors, g[f"ape_trans_{mode}"],
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(traj.ape(ref, est, "angle_deg", am, n).errors, g[f"ape_rot_deg_{mode}"],
                                   rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(traj.rpe(ref, est, "angle_deg").errors, g["rpe_rot_deg_delta_1_frames"], rtol=1e-9,
                               atol=1e-12)
