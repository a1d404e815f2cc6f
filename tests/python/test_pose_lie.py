"""Lie groups: the mpmath reference cases (lie_reference.json), scipy parity for conversions,
property tests (exp∘log, group axioms, Jacobians vs finite differences, interpolation) in float32
and float64 with fixed seeds, and input validation."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.spatial.transform import Rotation

from conftest import DATA
from locuskit import pose

LIE = json.loads((DATA / "traj" / "lie_reference.json").read_text())
# lie_reference_README: 4·DBL_EPSILON ≈ 8.9e-16 absolute is achievable; allow a little margin.
ATOL64 = 1e-15


def _err(got, ref):
    return float(np.max(np.abs(np.asarray(got, np.float64) - np.asarray(ref, np.float64))))


def _so3_cases():
    return [c for c in LIE["so3"] if "input_omega" in c]


@pytest.mark.parametrize("case", _so3_cases(), ids=lambda c: c["name"])
def test_so3_reference(case):
    w = np.array(case["input_omega"])
    assert _err(pose.so3_exp(w), case["exp"]["R"]) <= ATOL64
    q = pose.matrix_to_quaternion(pose.so3_exp(w))
    assert min(_err(q, case["exp"]["quat_xyzw"]), _err(-q, case["exp"]["quat_xyzw"])) <= ATOL64
    lq = case["log_of_exp_quat"]
    got = pose.so3_log(np.array(lq["input_quat_xyzw"]))
    e = _err(got, lq["omega"])
    if lq.get("sign_ambiguous"):
        e = min(e, _err(-got, lq["omega"]))
    assert e <= ATOL64
    lr = case["log_of_exp_R"]
    got = pose.so3_log(np.array(lr["input_R"]))
    e = _err(got, lr["omega"])
    if lr["sign_ambiguous"]:
        e = min(e, _err(-got, lr["omega"]))
    assert e <= ATOL64
    for key, f in (("left_jacobian", pose.left_jacobian), ("right_jacobian", pose.right_jacobian),
                   ("left_jacobian_inverse", pose.left_jacobian_inverse),
                   ("right_jacobian_inverse", pose.right_jacobian_inverse)):
        assert _err(f(w), case[key]) <= ATOL64, key


@pytest.mark.parametrize("case", [c for c in LIE["so3"] if "input_omega" not in c], ids=lambda c: c["name"])
def test_so3_log_at_exactly_pi(case):
    for x in (np.array(case["input_quat_xyzw"]), np.array(case["input_R"], float)):
        got = pose.so3_log(x)
        assert min(_err(got, case["omega"]), _err(-got, case["omega"])) <= ATOL64


@pytest.mark.parametrize("case", LIE["se3"], ids=lambda c: c["name"])
def test_se3_reference(case):
    x = np.array(case["input_xi"])
    assert _err(pose.se3_exp(x), case["exp"]["T"]) <= ATOL64
    lq = case["log_of_exp_quat_t"]
    assert _err(pose.se3_log(np.array(lq["input_t"] + lq["input_quat_xyzw"])), lq["xi"]) <= ATOL64
    lt = case["log_of_exp_T"]
    assert _err(pose.se3_log(np.array(lt["input_T"])), lt["xi"]) <= ATOL64
    for key, f in (("left_jacobian", pose.left_jacobian), ("right_jacobian", pose.right_jacobian),
                   ("left_jacobian_inverse", pose.left_jacobian_inverse),
                   ("right_jacobian_inverse", pose.right_jacobian_inverse)):
        assert _err(f(x), case[key]) <= ATOL64, key


@pytest.mark.parametrize("case", LIE["sim3"], ids=lambda c: c["name"])
def test_sim3_reference(case):
    z = np.array(case["input_zeta"])
    T = pose.sim3_exp(z)
    assert _err(T, case["exp"]["T"]) <= ATOL64
    lo = case["log_of_exp"]
    M = np.eye(4)
    M[:3, :3] = lo["input_scale"] * pose.quaternion_to_matrix(np.array(lo["input_quat_xyzw"]))
    M[:3, 3] = lo["input_t"]
    # The reference logs the stored (s, q, t); s*R rounds once more, so allow a few ulps of sigma.
    assert _err(pose.sim3_log(M), lo["zeta"]) <= 2 * ATOL64


def test_scalar_coefficients_via_jacobian():
    # J_l(w) = I + a W + b W^2, so the coefficients can be read back from one column pair.
    for row in LIE["scalar_coefficients"]:
        th = row["theta"]
        if th == 0 or th > 3.14:
            continue
        J = pose.left_jacobian(np.array([0.0, 0.0, th]))
        a = J[1, 0] / th  # W[1,0] = th
        b = (1 - J[0, 0]) / th ** 2  # W^2[0,0] = -th^2
        assert abs(a - row["(1-cos t)/t^2"]) <= 4e-16 / max(th, 1e-300) + 1e-15
        if th > 1e-4:
            assert abs(b - row["(t-sin t)/t^3"]) <= 1e-15 / th ** 2 + 1e-15


@pytest.mark.parametrize("group", ["so3", "se3", "sim3"])
def test_float32_reference_within_1e6(group):
    worst = 0.0
    if group == "so3":
        for c in _so3_cases():
            w = np.array(c["input_omega"], np.float32)
            worst = max(worst, _err(pose.so3_exp(w), c["exp"]["R"]),
                        _err(pose.left_jacobian(w), pose.left_jacobian(w.astype(np.float64))),
                        _err(pose.left_jacobian_inverse(w), pose.left_jacobian_inverse(w.astype(np.float64))))
            lr = c["log_of_exp_R"]
            got = pose.so3_log(np.array(lr["input_R"], np.float32))
            worst = max(worst, min(_err(got, lr["omega"]), _err(-got, lr["omega"]) if lr["sign_ambiguous"] else 1))
    elif group == "se3":
        for c in LIE["se3"]:
            x = np.array(c["input_xi"], np.float32)
            worst = max(worst, _err(pose.se3_exp(x), pose.se3_exp(x.astype(np.float64))),
                        _err(pose.left_jacobian(x), pose.left_jacobian(x.astype(np.float64))),
                        _err(pose.left_jacobian_inverse(x), pose.left_jacobian_inverse(x.astype(np.float64))))
            T = np.array(c["exp"]["T"], np.float32)
            worst = max(worst, _err(pose.se3_log(T), pose.se3_log(T.astype(np.float64))))
    else:
        for c in LIE["sim3"]:
            z = np.array(c["input_zeta"], np.float32)
            worst = max(worst, _err(pose.sim3_exp(z), pose.sim3_exp(z.astype(np.float64))))
            T = np.array(c["exp"]["T"], np.float32)
            worst = max(worst, _err(pose.sim3_log(T), pose.sim3_log(T.astype(np.float64))))
    assert worst <= 1e-6, worst


# ---------------------------------------------------------------- scipy parity for conversions
def test_conversions_match_scipy():
    rng = np.random.default_rng(1)
    r = Rotation.random(2000, random_state=2)
    R, q, w = r.as_matrix(), r.as_quat(), r.as_rotvec()
    np.testing.assert_allclose(pose.quaternion_to_matrix(q), R, atol=1e-15)
    qq = pose.matrix_to_quaternion(R)
    assert (qq[:, 3] >= 0).all()
    np.testing.assert_allclose(np.abs(np.sum(qq * q, 1)), 1, atol=1e-15)
    np.testing.assert_allclose(pose.so3_exp(w), R, atol=1e-15)
    np.testing.assert_allclose(pose.so3_log(R), w, atol=1e-14)
    np.testing.assert_allclose(pose.so3_log(q), w, atol=1e-14)
    for seq in ("xyz", "zyx", "XYZ", "ZYX", "zxz", "ZXZ", "yxy", "XZY"):
        a = rng.uniform(-3, 3, (500, 3))
        a[:, 1] = rng.uniform(0.1, 3.0, 500) if seq[0].lower() == seq[2].lower() else rng.uniform(-1.5, 1.5, 500)
        Rs = Rotation.from_euler(seq, a).as_matrix()
        np.testing.assert_allclose(pose.euler_to_matrix(a, seq), Rs, atol=1e-15)
        np.testing.assert_allclose(pose.matrix_to_euler(Rs, seq), Rotation.from_matrix(Rs).as_euler(seq), atol=1e-9)
    with pytest.raises(ValueError, match="euler sequence"):
        pose.euler_to_matrix(np.zeros(3), "xxy")


def test_euler_gimbal_lock_round_trip():
    rng = np.random.default_rng(3)
    for seq, mid in (("xyz", np.pi / 2), ("ZYX", -np.pi / 2), ("zxz", 0.0), ("YXY", np.pi)):
        a = rng.uniform(-3, 3, (100, 3))
        a[:, 1] = mid
        R = Rotation.from_euler(seq, a).as_matrix()
        b = pose.matrix_to_euler(R, seq)
        assert np.all(b[:, 2] == 0)
        np.testing.assert_allclose(pose.euler_to_matrix(b, seq), R, atol=1e-14)


# ---------------------------------------------------------------- properties
def _rand_tangent(rng, n, dim, dtype, max_angle=np.pi):
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    # angles spread over many decades down to 0 and up to pi
    theta = np.concatenate([10.0 ** rng.uniform(-12, 0, n // 2), rng.uniform(0, max_angle, n - n // 2)])
    theta[:3] = [0.0, max_angle * 0.999999, 1e-9]
    w = axis * theta[:, None]
    parts = [rng.normal(0, 2, (n, 3)), w] if dim >= 6 else [w]
    if dim == 7:
        parts.append(rng.choice([0.0, 1e-9, -1e-4, 0.3, -0.7, 1.5], (n, 1)))
    return np.ascontiguousarray(np.concatenate(parts, 1).astype(dtype))


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-13), (np.float32, 2e-5)])
def test_exp_log_round_trips(dtype, tol):
    rng = np.random.default_rng(11)
    w = _rand_tangent(rng, 2000, 3, dtype, max_angle=3.1)
    assert _err(pose.so3_log(pose.so3_exp(w)), w) <= tol * 10
    xi = _rand_tangent(rng, 2000, 6, dtype, max_angle=3.1)
    assert _err(pose.se3_log(pose.se3_exp(xi)), xi) <= tol * 50
    assert _err(pose.se3_log(pose.se3_exp(xi, as_tq=True)), xi) <= tol * 50
    z = _rand_tangent(rng, 1000, 7, dtype, max_angle=3.1)
    assert _err(pose.sim3_log(pose.sim3_exp(z)), z) <= tol * 100
    T = pose.se3_exp(xi)
    assert _err(pose.se3_exp(pose.se3_log(T)), T) <= tol * 50
    assert pose.se3_exp(xi).dtype == dtype


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 5e-5)])
def test_group_axioms(dtype, tol):
    rng = np.random.default_rng(12)
    a, b, c = (pose.se3_exp(_rand_tangent(rng, 500, 6, dtype)) for _ in range(3))
    I = np.broadcast_to(np.eye(4, dtype=dtype), a.shape)
    ab_c = pose.se3_compose(pose.se3_compose(a, b), c)
    a_bc = pose.se3_compose(a, pose.se3_compose(b, c))
    assert _err(ab_c, a_bc) <= tol * 10
    assert _err(pose.se3_compose(a, pose.se3_inverse(a)), I) <= tol
    assert _err(pose.se3_compose(np.eye(4, dtype=dtype), a), a) == 0
    np.testing.assert_allclose(pose.se3_compose(a, b), a @ b, atol=tol * 10)
    np.testing.assert_allclose(pose.se3_inverse(a), np.linalg.inv(a.astype(np.float64)), atol=tol * 10)
    # adjoint: T exp(x) T^-1 = exp(Ad_T x)
    x = _rand_tangent(rng, 500, 6, dtype, max_angle=1.0)
    lhs = pose.se3_compose(pose.se3_compose(a, pose.se3_exp(x)), pose.se3_inverse(a))
    rhs = pose.se3_exp(np.ascontiguousarray(np.einsum("nij,nj->ni", pose.se3_adjoint(a), x)))
    assert _err(lhs, rhs) <= tol * 100
    # action
    p = rng.normal(size=(500, 3)).astype(dtype)
    np.testing.assert_allclose(pose.se3_act(a, p), np.einsum("nij,nj->ni", a[:, :3, :3], p) + a[:, :3, 3],
                               atol=tol * 10)


def _finite_diff_left_jacobian(exp, log, x, h):
    # J_l(x) v ≈ log(exp(x + h v) exp(x)^-1) / h (central differences)
    n = x.shape[0]
    J = np.zeros((n, n))
    T0inv = np.linalg.inv(exp(x[None])[0])
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        plus = log((exp((x + e)[None])[0] @ T0inv)[None])[0]
        minus = log((exp((x - e)[None])[0] @ T0inv)[None])[0]
        J[:, k] = (plus - minus) / (2 * h)
    return J


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.floats(-2.0, 2.0), min_size=6, max_size=6), st.sampled_from([1.0, 1e-3, 1e-7, 0.0]))
def test_se3_jacobians_vs_finite_differences(v, scale):
    x = np.array(v)
    x[3:] *= scale
    J = pose.left_jacobian(x)
    Jfd = _finite_diff_left_jacobian(pose.se3_exp, pose.se3_log, x, 1e-6)
    np.testing.assert_allclose(J, Jfd, atol=2e-8)
    np.testing.assert_allclose(pose.left_jacobian_inverse(x) @ J, np.eye(6), atol=1e-12)
    np.testing.assert_allclose(pose.right_jacobian(x), pose.left_jacobian(-x), atol=0)
    np.testing.assert_allclose(pose.right_jacobian_inverse(x) @ pose.right_jacobian(x), np.eye(6), atol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.floats(-1.5, 1.5), min_size=7, max_size=7))
def test_sim3_jacobian_vs_finite_differences(v):
    x = np.array(v)
    J = pose.left_jacobian(x)

    def sim3_exp(z):
        return pose.sim3_exp(np.ascontiguousarray(z))

    Jfd = _finite_diff_left_jacobian(sim3_exp, pose.sim3_log, x, 1e-6)
    np.testing.assert_allclose(J, Jfd, atol=5e-8)
    np.testing.assert_allclose(pose.left_jacobian_inverse(x) @ J, np.eye(7), atol=1e-11)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3), st.sampled_from([1.0, 1e-4, 1e-9]))
def test_so3_jacobian_vs_finite_differences(v, scale):
    w = np.array(v) * scale
    J = pose.left_jacobian(w)
    Jfd = _finite_diff_left_jacobian(pose.so3_exp, pose.so3_log, w, 1e-6)
    np.testing.assert_allclose(J, Jfd, atol=2e-9)
    np.testing.assert_allclose(pose.left_jacobian_inverse(w) @ J, np.eye(3), atol=1e-14)


def test_interpolation_and_averaging():
    rng = np.random.default_rng(5)
    a = pose.se3_exp(_rand_tangent(rng, 200, 6, np.float64, max_angle=3.0))
    b = pose.se3_exp(_rand_tangent(rng, 200, 6, np.float64, max_angle=3.0))
    np.testing.assert_allclose(pose.se3_interpolate(a, b, 0.0), a, atol=1e-14)
    np.testing.assert_allclose(pose.se3_interpolate(a, b, 1.0), b, atol=1e-12)
    mid = pose.se3_interpolate(a, b, 0.5)
    # the midpoint halves the relative motion: log(a^-1 mid) = log(a^-1 b) / 2
    rel = pose.se3_log(pose.se3_compose(pose.se3_inverse(a), b))
    ok = np.linalg.norm(rel[:, 3:], axis=1) < 3.1
    np.testing.assert_allclose(pose.se3_log(pose.se3_compose(pose.se3_inverse(a), mid))[ok], rel[ok] / 2, atol=1e-12)
    # averaging: symmetric perturbations around a pose average back to it
    c = pose.se3_exp(rng.normal(0, 1, (1, 6)))[0]
    d = rng.normal(0, 0.2, (50, 6))
    pts = pose.se3_compose(np.broadcast_to(c, (100, 4, 4)).copy(), pose.se3_exp(np.concatenate([d, -d])))
    np.testing.assert_allclose(pose.se3_average(pts), c, atol=1e-3)
    q = Rotation.random(300, random_state=4).as_quat()
    avg = pose.so3_average(q)
    # scipy's Rotation.mean is the same eigen-average (sign-invariant)
    ref = Rotation.from_quat(q).mean().as_quat()
    assert min(_err(avg, ref), _err(avg, -ref)) < 1e-12


# ---------------------------------------------------------------- tolerant construction, validation
def test_tolerant_construction_and_errors():
    R = Rotation.random(10, random_state=9).as_matrix()
    noisy = R + 1e-6 * np.random.default_rng(0).normal(size=R.shape)  # like KITTI files
    w = pose.so3_log(noisy)
    np.testing.assert_allclose(w, Rotation.from_matrix(noisy).as_rotvec(), atol=1e-12)
    q = Rotation.random(10, random_state=9).as_quat() * (1 + 1e-4)  # like TUM files
    np.testing.assert_allclose(pose.quaternion_to_matrix(q), R, atol=1e-15)
    bad = R.copy()
    bad[3] = np.diag([1.0, 1.0, -1.0])
    with pytest.raises(ValueError, match=r"rotations\[3\]: not a rotation"):
        pose.so3_log(bad)
    bad[3] = 0
    with pytest.raises(ValueError, match=r"rotations\[3\]"):
        pose.so3_log(bad)
    bad[3] = np.nan
    with pytest.raises(ValueError, match=r"NaN"):
        pose.so3_log(bad)
    with pytest.raises(ValueError, match="quaternion norm"):
        pose.quaternion_to_matrix(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"last row"):
        T = np.tile(np.eye(4), (2, 1, 1))
        T[1, 3, 0] = 1
        pose.se3_log(T)
    with pytest.raises(TypeError, match="float32 or float64"):
        pose.so3_exp(np.zeros((2, 3), np.int32))
    with pytest.raises(ValueError, match=r"expected shape \(N, 6\)"):
        pose.se3_exp(np.zeros((2, 5)))
    with pytest.raises(TypeError, match="float64"):
        pose.se3_compose(np.zeros((2, 4, 4)), np.zeros((2, 4, 4), np.float32))
    strided = np.linspace(0, 1, 18).reshape(3, 6)[:, ::2]  # any layout: copied once (issue 16)
    np.testing.assert_array_equal(pose.so3_exp(strided), pose.so3_exp(np.ascontiguousarray(strided)))
    with pytest.raises(ValueError, match="singular"):
        pose.sim3_log(np.zeros((1, 4, 4)))
    assert pose.se3_exp(np.zeros((0, 6))).shape == (0, 4, 4)
    assert pose.so3_log(np.zeros((0, 3, 3), np.float32)).shape == (0, 3)
