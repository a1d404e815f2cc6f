"""Batched Lie groups SO(3), SE(3), Sim(3) on arrays.

Conventions (the same as Sophus, manif and the C++ ``locuskit::SO3/SE3/Sim3``):

* quaternions are stored **x, y, z, w**;
* se(3) tangents are ``[v; w]`` = (translation part, rotation vector), shape (N, 6);
* sim(3) tangents are ``[v; w; sigma]`` with scale ``s = exp(sigma)``, shape (N, 7);
* poses are (N, 4, 4) homogeneous matrices or (N, 7) ``[t, q_xyzw]``; rotations (N, 3, 3).

float32 and float64 are both supported and kept (no silent casts); inputs must be C-contiguous.
Slightly-off rotations (``|R^T R - I|_F <= 1e-2``) and quaternions (``|‖q‖ - 1| <= 1e-2``) are
projected/normalized; NaN/Inf, reflections, singular matrices and larger deviations raise
ValueError naming the argument and the row. exp/log/compose/inverse run vectorized in C++ with
the GIL released; accuracy is a few ulps over the whole range (series below per-coefficient
thresholds, atan2 logs, expm1 for Sim(3)).
"""
from __future__ import annotations

import numpy as np

from . import _core
from ._arrays import as_array, tensor_io
from ._args import INT32_MAX, integer

__all__ = [
    "so3_exp",
    "so3_log",
    "so3_hat",
    "so3_vee",
    "quaternion_to_matrix",
    "matrix_to_quaternion",
    "rotvec_to_matrix",
    "matrix_to_rotvec",
    "euler_to_matrix",
    "matrix_to_euler",
    "se3_exp",
    "se3_log",
    "se3_hat",
    "se3_vee",
    "se3_compose",
    "se3_inverse",
    "se3_act",
    "se3_adjoint",
    "se3_interpolate",
    "se3_average",
    "so3_average",
    "tq_to_matrix",
    "matrix_to_tq",
    "sim3_exp",
    "sim3_log",
    "left_jacobian",
    "right_jacobian",
    "left_jacobian_inverse",
    "right_jacobian_inverse",
]


def _batched(x, name, tail):
    """Adds a leading batch axis to a single element; returns (array, was_single)."""
    a = as_array(x, name)
    if a.ndim == len(tail) and a.shape == tail:
        return np.ascontiguousarray(a[None]), True
    return a, False


def _unbatch(out, single):
    return out[0] if single else out


@tensor_io
def so3_exp(omega):
    """Rotation matrices (N, 3, 3) of rotation vectors (N, 3) (or one (3,))."""
    w, single = _batched(omega, "omega", (3,))
    return _unbatch(_core.pose.so3_exp(w), single)


@tensor_io
def so3_log(rotations):
    """Rotation vectors (N, 3), angle in [0, pi], of (N, 3, 3) matrices or (N, 4) xyzw quaternions."""
    a = as_array(rotations, "rotations")
    single = a.ndim in (1, 2) and a.shape in ((3, 3), (4,))
    if single:
        a = np.ascontiguousarray(a[None])
    return _unbatch(_core.pose.so3_log(a), single)


@tensor_io
def so3_hat(omega):
    """Skew matrices (N, 3, 3) with hat(w) v = w x v."""
    w = as_array(omega, "omega")
    out = np.zeros(w.shape[:-1] + (3, 3), w.dtype)
    out[..., 0, 1] = -w[..., 2]
    out[..., 0, 2] = w[..., 1]
    out[..., 1, 0] = w[..., 2]
    out[..., 1, 2] = -w[..., 0]
    out[..., 2, 0] = -w[..., 1]
    out[..., 2, 1] = w[..., 0]
    return out


@tensor_io
def so3_vee(m):
    """Inverse of so3_hat (reads the antisymmetric part)."""
    m = as_array(m, "m")
    return np.stack([m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1) / 2


@tensor_io
def quaternion_to_matrix(quaternions):
    """(N, 4) quaternions **x, y, z, w** (normalized first) -> (N, 3, 3)."""
    q, single = _batched(quaternions, "quaternions", (4,))
    return _unbatch(_core.pose.quaternion_to_matrix(q), single)


@tensor_io
def matrix_to_quaternion(rotations):
    """(N, 3, 3) -> unit quaternions (N, 4) x, y, z, w with w >= 0 (largest-pivot method)."""
    r, single = _batched(rotations, "rotations", (3, 3))
    return _unbatch(_core.pose.matrix_to_quaternion(r), single)


rotvec_to_matrix = so3_exp
matrix_to_rotvec = so3_log


@tensor_io
def euler_to_matrix(angles, seq: str):
    """Rotation matrices from Euler angles (N, 3) in radians. ``seq`` as scipy: lower case
    ("xyz") = extrinsic (fixed axes), upper case ("XYZ") = intrinsic (rotating axes)."""
    a, single = _batched(angles, "angles", (3,))
    return _unbatch(_core.pose.so3_from_euler(a, seq), single)


@tensor_io
def matrix_to_euler(rotations, seq: str):
    """Euler angles (N, 3) in radians of rotation matrices, sequence as :func:`euler_to_matrix`.
    At gimbal lock one angle is set to 0."""
    r, single = _batched(rotations, "rotations", (3, 3))
    return _unbatch(_core.pose.so3_to_euler(r, seq), single)


@tensor_io
def se3_exp(xi, *, as_tq: bool = False):
    """exp of (N, 6) tangents [v; w] -> (N, 4, 4), or (N, 7) [t, q_xyzw] with ``as_tq=True``."""
    x, single = _batched(xi, "xi", (6,))
    return _unbatch(_core.pose.se3_exp(x, as_tq), single)


@tensor_io
def se3_log(poses):
    """log of (N, 4, 4) poses or (N, 7) [t, q_xyzw] -> (N, 6) [v; w]."""
    a = as_array(poses, "poses")
    single = a.shape in ((4, 4), (7,))
    if single:
        a = np.ascontiguousarray(a[None])
    return _unbatch(_core.pose.se3_log(a), single)


@tensor_io
def se3_hat(xi):
    """(N, 6) -> (N, 4, 4) generators [[hat w, v], [0, 0]]."""
    x = as_array(xi, "xi")
    out = np.zeros(x.shape[:-1] + (4, 4), x.dtype)
    out[..., :3, :3] = so3_hat(x[..., 3:])
    out[..., :3, 3] = x[..., :3]
    return out


@tensor_io
def se3_vee(m):
    """Inverse of se3_hat."""
    m = as_array(m, "m")
    return np.concatenate([m[..., :3, 3], so3_vee(m[..., :3, :3])], -1)


@tensor_io
def se3_compose(a, b):
    """Products a[i] @ b[i] of (N, 4, 4) rigid transforms (one side may have N = 1)."""
    a_, sa = _batched(a, "a", (4, 4))
    b_, sb = _batched(b, "b", (4, 4))
    return _unbatch(_core.pose.se3_compose(a_, b_), sa and sb)


@tensor_io
def se3_inverse(poses):
    """Inverses [R^T, -R^T t] of (N, 4, 4) rigid transforms."""
    p, single = _batched(poses, "poses", (4, 4))
    return _unbatch(_core.pose.se3_inverse(p), single)


@tensor_io
def se3_act(poses, points):
    """R p + t for (N, 4, 4) poses and (N, 3) points (or one pose and (M, 3) points)."""
    T = as_array(poses, "poses")
    p = as_array(points, "points")
    if T.ndim == 2:
        return p @ T[:3, :3].T + T[:3, 3]
    return np.einsum("nij,nj->ni", T[:, :3, :3], p) + T[:, :3, 3]


@tensor_io
def se3_adjoint(poses):
    """(N, 6, 6) adjoints [[R, hat(t) R], [0, R]] (order [v; w])."""
    p, single = _batched(poses, "poses", (4, 4))
    return _unbatch(_core.pose.se3_adjoint(p), single)


@tensor_io
def se3_interpolate(a, b, t):
    """Geodesic interpolation a exp(t log(a^-1 b)) for (N, 4, 4) a, b and t (N,) (or scalars)."""
    a_, single = _batched(a, "a", (4, 4))
    b_, _ = _batched(b, "b", (4, 4))
    t_ = np.ascontiguousarray(np.broadcast_to(np.asarray(t, dtype=a_.dtype), (a_.shape[0],)))
    return _unbatch(_core.pose.se3_interpolate(a_, b_, t_), single)


@tensor_io
def so3_average(quaternions):
    """Quaternion eigen-average (Markley 2007) of (N, 4) xyzw float64 -> (4,) with w >= 0."""
    return _core.pose.so3_average(np.ascontiguousarray(as_array(quaternions, "quaternions"), dtype=np.float64))


@tensor_io
def se3_average(poses, max_iterations: int = 50):
    """Iterative mean of (N, 4, 4) float64 poses: x <- x exp(mean log(x^-1 x_i))."""
    return _core.pose.se3_average(np.ascontiguousarray(as_array(poses, "poses"), dtype=np.float64),
                            integer(max_iterations, "max_iterations", minimum=1, maximum=INT32_MAX))


@tensor_io
def tq_to_matrix(tq):
    """(N, 7) [t, q_xyzw] -> (N, 4, 4) (quaternions normalized)."""
    a, single = _batched(tq, "tq", (7,))
    if a.ndim != 2 or a.shape[1] != 7:
        raise ValueError(f"tq: expected shape (N, 7) [t, q_xyzw], got {a.shape}")
    R = _core.pose.quaternion_to_matrix(np.ascontiguousarray(a[:, 3:]))
    out = np.zeros((a.shape[0], 4, 4), a.dtype)
    out[:, :3, :3] = R
    out[:, :3, 3] = a[:, :3]
    out[:, 3, 3] = 1
    return _unbatch(out, single)


@tensor_io
def matrix_to_tq(poses):
    """(N, 4, 4) -> (N, 7) [t, q_xyzw] with w >= 0."""
    p, single = _batched(poses, "poses", (4, 4))
    q = _core.pose.matrix_to_quaternion(np.ascontiguousarray(p[:, :3, :3]))
    return _unbatch(np.concatenate([p[:, :3, 3], q], 1), single)


@tensor_io
def sim3_exp(zeta):
    """exp of (N, 7) [v; w; sigma] -> (N, 4, 4) [[s R, t], [0, 1]], s = exp(sigma)."""
    z, single = _batched(zeta, "zeta", (7,))
    return _unbatch(_core.pose.sim3_exp(z), single)


@tensor_io
def sim3_log(transforms):
    """log of (N, 4, 4) similarity transforms -> (N, 7) [v; w; sigma]."""
    m, single = _batched(transforms, "transforms", (4, 4))
    return _unbatch(_core.pose.sim3_log(m), single)


def _jac(tangent, kind):
    x = as_array(tangent, "tangent")
    single = x.ndim == 1
    if single:
        x = np.ascontiguousarray(x[None])
    group = {3: "so3", 6: "se3", 7: "sim3"}.get(x.shape[-1])
    if group is None:
        raise ValueError(f"tangent: expected shape (N, 3), (N, 6) or (N, 7), got {x.shape}")
    return _unbatch(_core.pose.lie_jacobian(x, group, kind), single)


@tensor_io
def left_jacobian(tangent):
    """J_l = sum ad(x)^n/(n+1)!; the group is chosen by the tangent size (3: SO3, 6: SE3, 7: Sim3)."""
    return _jac(tangent, "left")


@tensor_io
def right_jacobian(tangent):
    """J_r(x) = J_l(-x)."""
    return _jac(tangent, "right")


@tensor_io
def left_jacobian_inverse(tangent):
    """J_l(x)^-1 (closed form for SO3/SE3)."""
    return _jac(tangent, "left_inverse")


@tensor_io
def right_jacobian_inverse(tangent):
    """J_r(x)^-1."""
    return _jac(tangent, "right_inverse")
