"""Trajectory readers, association, pair selection, statistics, alignment and the CLI.

Oracles: straightforward NumPy transcriptions of evo's O(N*M) / O(n^2) definitions (notes §B-§E)
on randomized inputs with fixed seeds (ties, duplicates, unsorted stamps included), numpy's own
statistics, and the real files.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE
from locuskit import pose, traj
from locuskit.cli import main as cli_main

LOCAL = DATA / "traj"


# ---------------------------------------------------------------- readers
def test_tum_reader_is_lenient_and_normalizes():
    text = ("# comment\n\n  # indented comment\n"
            "1.0 1 2 3 0 0 0 1\n"
            "2.0\t1  2 3   0 0 0 2.0002   \r\n"     # tabs, repeated spaces, CRLF, non-unit quaternion
            "   3.5e0 0 0 0 0 0 1 0\n"            # leading whitespace, scientific notation
            "3.5 0 0 0 0 0 1 0")                   # duplicate stamp, no final newline
    t = traj.parse_trajectory(text, "tum", "x.txt")
    assert len(t) == 4
    np.testing.assert_array_equal(t.stamps, [1.0, 2.0, 3.5, 3.5])
    np.testing.assert_allclose(t.poses[1, :3, :3], np.eye(3), atol=1e-15)
    np.testing.assert_allclose(t.poses[2, :3, :3], np.diag([-1.0, -1.0, 1.0]), atol=1e-15)
    assert any("duplicated" in w for w in t.warnings)


@pytest.mark.parametrize("text,needle", [
    ("1 2 3\n", "x.txt:1: expected 8 fields, found 3"),
    ("# c\n1 0 0 0 0 0 0 1\n2 0 0 nan 0 0 0 1\n", "x.txt:3: field 4 is nan"),
    ("1 0 0 0 0 0 0 0\n", "x.txt:1: quaternion has norm"),
    ("1 0 0 abc 0 0 0 1\n", "x.txt:1: field 4 ('abc') is not a number"),
    ("# only comments\n\n", "x.txt: no poses found"),
])
def test_tum_reader_errors_name_file_line_problem(text, needle):
    with pytest.raises(ValueError) as e:
        traj.parse_trajectory(text, "tum", "x.txt")
    assert needle in str(e.value)


def test_kitti_reader_keeps_raw_rotations_and_rejects_non_rotations():
    row = "1 0 0 5 0 1 0 6 0 0 1.0000004 7\n"  # 4e-7 off orthonormal, as KITTI files
    t = traj.parse_trajectory(row + row, "kitti", "k.txt")
    assert t.stamps is None and len(t) == 2
    assert t.poses[0, 2, 2] == 1.0000004 and t.poses[0, 0, 3] == 5
    with pytest.raises(ValueError, match="k.txt:2: rotation is not a rotation matrix"):
        traj.parse_trajectory(row + "1 0 0 0 0 1 0 0 0 0 -1 0\n", "kitti", "k.txt")
    with pytest.raises(ValueError, match="k.txt:1: expected 12 fields, found 11"):
        traj.parse_trajectory("1 0 0 5 0 1 0 6 0 0 1\n", "kitti", "k.txt")


def test_euroc_reader_int64_ns_and_w_first():
    text = ("#timestamp, p_x, p_y, p_z, q_w, q_x, q_y, q_z, v_x\n"
            "1403715523912143104,1,2,3,0,0,0,1,9\n"
            "1403715523917143040, 1, 2, 3, 1, 0, 0, 0, 9\n")
    t = traj.parse_trajectory(text, "euroc", "e.csv")
    assert t.stamps_ns.dtype == np.int64
    np.testing.assert_array_equal(t.stamps_ns, [1403715523912143104, 1403715523917143040])
    np.testing.assert_array_equal(t.stamps, np.array([float("1403715523912143104"), float("1403715523917143040")]) / 1e9)
    np.testing.assert_allclose(t.poses[0, :3, :3], np.diag([-1.0, -1.0, 1.0]), atol=1e-15)  # w=0, z=1: pi about z
    np.testing.assert_allclose(t.poses[1, :3, :3], np.eye(3), atol=1e-15)


def test_reader_missing_file():
    with pytest.raises(FileNotFoundError):
        traj.read_tum(LOCAL / "does-not-exist.txt")


def test_reader_matches_numpy_on_real_file():
    t = traj.read_tum(LOCAL / "freiburg1_xyz-groundtruth.txt")
    raw = np.loadtxt(LOCAL / "freiburg1_xyz-groundtruth.txt", comments="#")
    np.testing.assert_array_equal(t.stamps, raw[:, 0])
    np.testing.assert_array_equal(t.positions, raw[:, 1:4])
    from scipy.spatial.transform import Rotation
    np.testing.assert_allclose(t.poses[:, :3, :3], Rotation.from_quat(raw[:, 4:8]).as_matrix(), atol=2e-15)


# ---------------------------------------------------------------- association (evo's O(N*M) rule)
def evo_associate(ref_stamps, est_stamps, max_diff=0.01, offset=0.0):
    snd_longer = len(est_stamps) > len(ref_stamps)
    long, short = (est_stamps, ref_stamps) if snd_longer else (ref_stamps, est_stamps)
    long = long + (offset if snd_longer else -offset)
    ia, ib = [], []
    for i, s in enumerate(short):
        diffs = np.abs(long - s)
        j = int(np.argmin(diffs))
        if diffs[j] <= max_diff:
            ia.append(i)
            ib.append(j)
    ia, ib = np.array(ia, np.int64), np.array(ib, np.int64)
    return (ia, ib) if snd_longer else (ib, ia)


@pytest.mark.parametrize("seed", range(40))
def test_association_equals_evo_bruteforce(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 200, 2)
    grid = 0.005  # a coarse grid makes exact ties and duplicates common
    ref = np.sort(rng.integers(0, 400, n) * grid) + 1e4
    est = np.sort(rng.integers(0, 400, m) * grid) + 1e4
    if seed % 4 == 0:
        est = rng.permutation(est)  # unsorted estimate (query side or long side)
    if seed % 5 == 0:
        ref = rng.permutation(ref)
    offset = [0.0, 0.0025, -0.01, 0.005][seed % 4]
    max_diff = [0.01, 0.0, 0.0025, 0.005][(seed // 4) % 4]
    got = traj.associate(traj.Trajectory(np.zeros((n, 4, 4)), ref), traj.Trajectory(np.zeros((m, 4, 4)), est),
                         max_diff, offset)
    exp = evo_associate(ref, est, max_diff, offset)
    np.testing.assert_array_equal(got[0], exp[0])
    np.testing.assert_array_equal(got[1], exp[1])


# ---------------------------------------------------------------- RPE pair selection (evo's rules)
def evo_pairs_meters(positions, delta, tol, all_pairs):
    if all_pairs:
        dist = np.concatenate(([0], np.cumsum(np.linalg.norm(positions[:-1] - positions[1:], axis=1))))
        pairs = []
        for i in range(dist.size - 1):
            d = dist[i + 1:] - dist[i]
            k = int(np.argmin(np.abs(d - delta)))
            if np.abs(d[k] - delta) > tol:
                continue
            pairs.append((i, k + i + 1))
        return pairs
    ids, path = [], 0.0
    prev = positions[0]
    for i, p in enumerate(positions):
        path += np.linalg.norm(p - prev)
        prev = p
        if path >= delta:
            ids.append(i)
            path = 0.0
    return list(zip(ids, ids[1:]))


@pytest.mark.parametrize("seed", range(12))
def test_rpe_meter_pairs_equal_evo(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(20, 400))
    steps = rng.uniform(0, 0.2, (n, 3)) * (rng.random((n, 1)) < 0.8)  # some zero steps (plateaus)
    steps = np.round(steps, 2)
    pos = np.cumsum(steps, axis=0)
    poses = np.tile(np.eye(4), (n, 1, 1))
    poses[:, :3, 3] = pos
    for all_pairs in (False, True):
        delta = float(rng.choice([0.5, 1.0, 2.0]))
        exp = evo_pairs_meters(pos, delta, delta * 0.1, all_pairs)
        if not exp:
            with pytest.raises(ValueError, match="empty index list"):
                traj.rpe(poses, poses, delta=delta, unit="m", all_pairs=all_pairs)
            continue
        r = traj.rpe(poses, poses, delta=delta, unit="m", all_pairs=all_pairs)
        assert list(zip(r.pairs[0].tolist(), r.pairs[1].tolist())) == exp


def test_rpe_frame_pairs():
    poses = np.tile(np.eye(4), (25, 1, 1))
    r = traj.rpe(poses, poses, delta=10, unit="f")
    assert list(zip(*r.pairs)) == [(0, 10), (10, 20)]
    r = traj.rpe(poses, poses, delta=10, unit="f", all_pairs=True)
    assert len(r.errors) == 15 and r.pairs[0][-1] == 14


# ---------------------------------------------------------------- statistics and metrics vs numpy
@pytest.mark.parametrize("n", [1, 2, 5, 6, 1001])
def test_statistics_match_numpy(n):
    e = np.random.default_rng(n).gamma(2.0, 1.0, n)
    s = traj.statistics(e)
    assert s["n"] == n
    np.testing.assert_allclose(
        [s["rmse"], s["mean"], s["median"], s["std"], s["min"], s["max"], s["sse"]],
        [np.sqrt(np.mean(e ** 2)), e.mean(), np.median(e), e.std(ddof=0), e.min(), e.max(), np.sum(e ** 2)],
        rtol=1e-13)


def random_poses(rng, n, scale=10.0):
    xi = np.concatenate([rng.normal(0, scale, (n, 3)), rng.normal(0, 1.0, (n, 3))], 1)
    return pose.se3_exp(xi)


def test_ape_rpe_relations_against_numpy():
    from scipy.spatial.transform import Rotation
    rng = np.random.default_rng(7)
    Q, P = random_poses(rng, 300), random_poses(rng, 300)
    E = np.linalg.inv(P) @ Q  # evo: relative_se3(est, ref)
    ang = np.linalg.norm(Rotation.from_matrix(E[:, :3, :3]).as_rotvec(), axis=1)
    np.testing.assert_allclose(traj.ape(Q, P, "angle_rad").errors, ang, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(traj.ape(Q, P, "angle_deg").errors, np.rad2deg(ang), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.ape(Q, P, "trans_part").errors, np.linalg.norm(P[:, :3, 3] - Q[:, :3, 3], axis=1),
                               rtol=1e-14)
    np.testing.assert_allclose(traj.ape(Q, P, "full").errors, np.linalg.norm(E - np.eye(4), axis=(1, 2)), rtol=1e-10)
    np.testing.assert_allclose(traj.ape(Q, P, "rot_part").errors,
                               np.linalg.norm(E[:, :3, :3] - np.eye(3), axis=(1, 2)), rtol=1e-10)
    r = traj.rpe(Q, P, "trans_part", delta=3, unit="f", all_pairs=True)
    i, j = r.pairs
    Erpe = np.linalg.inv(np.linalg.inv(Q[i]) @ Q[j]) @ (np.linalg.inv(P[i]) @ P[j])
    np.testing.assert_allclose(r.errors, np.linalg.norm(Erpe[:, :3, 3], axis=1), rtol=1e-9)
    r = traj.rpe(Q, P, "point_distance", delta=3, unit="f")
    i, j = r.pairs
    exp = np.abs(np.linalg.norm(Q[j, :3, 3] - Q[i, :3, 3], axis=1) - np.linalg.norm(P[j, :3, 3] - P[i, :3, 3], axis=1))
    np.testing.assert_allclose(r.errors, exp, rtol=1e-12)


def umeyama_numpy(x, y, with_scale):
    mx, my = x.mean(1), y.mean(1)
    n = x.shape[1]
    sx = np.mean(np.linalg.norm(x - mx[:, None], axis=0) ** 2)
    cov = (y - my[:, None]) @ (x - mx[:, None]).T / n
    u, d, v = np.linalg.svd(cov)
    S = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(v) < 0:
        S[2, 2] = -1
    R = u @ S @ v
    c = np.trace(np.diag(d) @ S) / sx if with_scale else 1.0
    return R, my - c * R @ mx, c


@pytest.mark.parametrize("seed", range(10))
def test_umeyama_recovers_sim3_and_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    n = 50
    P = random_poses(rng, n)
    g = pose.sim3_exp(rng.normal(0, 1, 7))[0] if False else pose.sim3_exp(rng.normal(0, 1, (1, 7)))[0]
    Q = P.copy()
    Q[:, :3, 3] = P[:, :3, 3] @ g[:3, :3].T + g[:3, 3]
    R, t, s = traj.umeyama_alignment(P, Q, with_scale=True)
    np.testing.assert_allclose(s * R, g[:3, :3], atol=1e-9)
    np.testing.assert_allclose(t, g[:3, 3], atol=1e-8)
    Qn = Q.copy()
    Qn[:, :3, 3] += rng.normal(0, 0.5, (n, 3))
    for ws in (False, True):
        R, t, s = traj.umeyama_alignment(P, Qn, with_scale=ws)
        Re, te, se = umeyama_numpy(P[:, :3, 3].T, Qn[:, :3, 3].T, ws)
        np.testing.assert_allclose(R, Re, atol=1e-12)
        np.testing.assert_allclose(t, te, atol=1e-10)
        assert abs(s - se) <= 1e-12 * se


def test_umeyama_degenerate_raises():
    P = np.tile(np.eye(4), (10, 1, 1))
    with pytest.raises(ValueError, match="degenerate"):
        traj.ape(P, P, align_mode="se3")


def test_aligned_drift_copy_equals_original():
    gt = traj.read_tum(LOCAL / "freiburg1_xyz-groundtruth.txt")
    a = traj.ape(gt, traj.read_tum(LOCAL / "freiburg1_xyz-rgbdslam.txt"), align_mode="se3")
    b = traj.ape(gt, traj.read_tum(LOCAL / "freiburg1_xyz-rgbdslam_drift.txt"), align_mode="se3")
    assert abs(a.stats["rmse"] - b.stats["rmse"]) < 1e-5 * a.stats["rmse"]


def test_kitti_metric_rejects_unequal_lengths():
    P = np.tile(np.eye(4), (10, 1, 1))
    with pytest.raises(ValueError, match="equal counts"):
        traj.kitti_metric(P, P[:5])


# ---------------------------------------------------------------- CLI
def test_cli_ape_rpe_json_plot(tmp_path, capsys):
    gt, est = str(LOCAL / "freiburg1_xyz-groundtruth.txt"), str(LOCAL / "freiburg1_xyz-ORB_kf_mono.txt")
    out = tmp_path / "ape.json"
    png = tmp_path / "ape.png"
    assert cli_main(["traj", "ape", gt, est, "--align", "sim3", "--json", str(out), "--plot", str(png)]) == 0
    printed = capsys.readouterr().out
    assert "rmse" in printed and "Scale correction: 1.1056" in printed
    d = json.loads(out.read_text())
    exp = json.loads((LOCAL / "expected.json").read_text())["pairs"]["tum_fr1_xyz_orb_kf_mono"]
    e = exp["ape"]["translation_part"]["sim3"]["stats"]["rmse"]
    assert abs(d["stats"]["rmse"] - e) <= 1e-9 * e
    assert png.stat().st_size > 10000
    png2 = tmp_path / "rpe.png"
    assert cli_main(["traj", "rpe", gt, est, "-r", "angle_deg", "--delta", "0.5", "--unit", "m", "--all-pairs",
                     "--align", "sim3", "--plot", str(png2)]) == 0
    e = exp["rpe"]["delta_0.5_m_all_pairs_sim3"]["rotation_angle_deg"]["stats"]["rmse"]
    rmse = [float(line.split()[1]) for line in capsys.readouterr().out.splitlines() if line.split()[:1] == ["rmse"]]
    assert rmse == [pytest.approx(e, rel=1e-9)]
    assert png2.exists()


def test_cli_errors_are_reported(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3\n")
    assert cli_main(["traj", "ape", "tum", str(bad), str(bad)]) == 1
    assert "bad.txt:1: expected 8 fields" in capsys.readouterr().err
    assert cli_main(["traj", "ape", str(bad), str(bad)]) == 1  # format detection says what it found
    assert "bad.txt:1: cannot tell the trajectory format: 3 fields" in capsys.readouterr().err


def test_cli_kitti(tmp_path, capsys):
    d = SHARED_REFERENCE / "trajectories" / "data"
    if not (d / "KITTI_00_gt.txt").exists():
        pytest.skip("KITTI 00 not available")
    out = tmp_path / "k.json"
    assert cli_main(["traj", "kitti", str(d / "KITTI_00_gt.txt"), str(d / "KITTI_00_ORB.txt"), "--json", str(out)]) == 0
    assert "0.006997 0.000044" in capsys.readouterr().out
    assert json.loads(out.read_text())["num_segments"] == 3283


def test_results_do_not_depend_on_thread_count():
    import locuskit
    rng = np.random.default_rng(21)
    n = 30000
    steps = np.zeros((n, 6))
    steps[:, 2] = 1.0
    steps[:, 3:] = rng.normal(0, 0.01, (n, 3))
    gt = pose.se3_exp(steps)
    gt[:, :3, 3] = np.cumsum(gt[:, :3, 3], axis=0)  # a path of ~1 m steps
    est = pose.se3_compose(gt, pose.se3_exp(rng.normal(0, 0.01, (n, 6))))
    old = locuskit.get_num_threads()
    try:
        out = []
        for threads in (1, 2, 3):
            locuskit.set_num_threads(threads)
            k = traj.kitti_metric(gt, est)
            out.append((traj.ape(gt, est, "angle_deg").errors, traj.rpe(gt, est, "trans_part").errors,
                        k["segments"], k["t_err_fraction"], pose.se3_log(est)))
    finally:
        locuskit.set_num_threads(old)
    for o in out[1:]:
        for a, b in zip(out[0], o):
            np.testing.assert_array_equal(a, b)


def test_large_coordinates_alignment_precision():
    # UTM-like coordinates (~5e6 m, evo issue #687): a rigidly moved copy must align back to ~0.
    path = SHARED_REFERENCE / "trajectories" / "data" / "georeferenced.tum"
    if not path.exists():
        pytest.skip("georeferenced.tum not available")
    t = traj.read_tum(path)
    g = pose.se3_exp(np.array([[100.0, -50.0, 3.0, 0.01, -0.02, 0.3]]))[0]
    moved = pose.se3_compose(np.ascontiguousarray(g[None]), t.poses)
    est = traj.Trajectory(moved, t.stamps)
    for mode in ("se3", "sim3"):
        r = traj.ape(t, est, "trans_part", mode)
        assert r.stats["max"] < 1e-8, (mode, r.stats["max"])  # rounding floor: eps * 5e6 m = 1e-9
        if mode == "sim3":
            assert abs(r.alignment["s"] - 1) < 1e-9
    assert traj.ape(t, est, "angle_deg", "se3").stats["max"] < 1e-6


def test_cli_directories_are_clear_errors(tmp_path, capsys):
    # Issue 10 item 5: a directory (as a trajectory or as an output) printed a Python traceback.
    gt = str(LOCAL / "freiburg1_xyz-groundtruth.txt")
    assert cli_main(["traj", "ape", str(tmp_path), gt]) == 1
    assert f"{tmp_path}: is a directory" in capsys.readouterr().err
    assert cli_main(["traj", "ape", gt, gt, "--json", str(tmp_path)]) == 1
    assert f"--json {tmp_path}: Is a directory" in capsys.readouterr().err
    png_dir = tmp_path / "plot.png"
    png_dir.mkdir()
    assert cli_main(["traj", "ape", gt, gt, "--plot", str(png_dir)]) == 1
    assert f"--plot {png_dir}: Is a directory" in capsys.readouterr().err
    assert cli_main(["traj", "kitti", str(tmp_path), gt]) == 1
    assert "is a directory" in capsys.readouterr().err


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    # Issue 10 item 5: evo reads files with a UTF-8 BOM; we rejected them.
    src = LOCAL / "freiburg1_xyz-groundtruth.txt"
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + src.read_bytes())
    a, b = traj.read_trajectory(src), traj.read_trajectory(bom)
    np.testing.assert_array_equal(a.stamps, b.stamps)
    np.testing.assert_array_equal(a.poses, b.poses)


def test_unsorted_reference_association_equals_sorted_evo_rule():
    # Issue 10 item 5: an unsorted long side used evo's O(N*M) scan (2.8 s at 50k poses); it is now
    # sorted once. Same rows as evo's argmin rule (first minimum), checked blockwise at 20k.
    rng = np.random.default_rng(4)
    n = 20000
    ref = 1.3e9 + np.round(rng.uniform(0, 1000, n), 2)  # duplicates and rounding ties
    est = 1.3e9 + np.round(rng.uniform(0, 1000, n // 3), 3)
    rng.shuffle(ref)
    ri, ei = traj.associate(traj.Trajectory(np.tile(np.eye(4), (n, 1, 1)), ref),
                            traj.Trajectory(np.tile(np.eye(4), (len(est), 1, 1)), est), 0.004)
    want_r, want_e = [], []
    for s in range(0, len(est), 500):
        q = est[s:s + 500]
        d = np.abs(ref[None, :] - q[:, None])
        j = d.argmin(1)
        ok = d[np.arange(len(q)), j] <= 0.004
        want_e += list(np.arange(s, s + len(q))[ok])
        want_r += list(j[ok])
    np.testing.assert_array_equal(ei, want_e)
    np.testing.assert_array_equal(ri, want_r)
