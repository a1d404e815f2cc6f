// Python bindings for the pose area (_core.pose): batched SO(3), SE(3), Sim(3) operations.
// Trajectory evaluation is bound in bind_traj.cpp (_core.traj).
// Validation happens here with the GIL held; the kernels run with it released.
#include <locuskit/pose.hpp>

#include "arrays.hpp"
#include "batch_arrays.hpp"

namespace locuskit::python {
namespace {

template <class T>
T rotation_tolerance() {
  return std::is_same_v<T, float> ? T(1e-2) : T(1e-2);
}

/// Rows already known to be finite: last row (0, 0, 0, 1) and a rotation block.
template <class T>
void check_se3_structure(const T* M, std::size_t n, const char* name) {
  for (std::size_t i = 0; i < n; ++i) {
    const T* p = M + 16 * i;
    if (p[12] != T(0) || p[13] != T(0) || p[14] != T(0) || p[15] != T(1))
      throw std::invalid_argument(std::string(name) + "[" + std::to_string(i) + "]: last row is not (0, 0, 0, 1)");
  }
  check_rotations(M, n, 16, 4, rotation_tolerance<T>(), name, Parallel{num_threads()});
}

template <class T>
void check_se3_rows(const T* M, std::size_t n, const char* name) {
  check_finite(M, 16 * n, name, 16);
  check_se3_structure(M, n, name);
}

/// (N, 3, 3) rotation matrices at the bindings' tolerance.
template <class T>
void check_rotation_matrices(const T* R, std::size_t n, const char* name, Parallel par = {}) {
  check_rotations(R, n, 9, 3, rotation_tolerance<T>(), name, par);
}

template <class T>
void check_quaternions(const T* q, std::size_t n, std::size_t stride, std::size_t offset, const char* name) {
  for (std::size_t i = 0; i < n; ++i) {
    const T* p = q + stride * i + offset;
    const T nn = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2] + p[3] * p[3]);
    if (!(std::abs(nn - T(1)) <= T(1e-2)))
      throw std::invalid_argument(std::string(name) + "[" + std::to_string(i) + "]: quaternion norm " +
                                  std::to_string(nn) + " is not 1 (tolerance 1e-2)");
  }
}

/// Finite (N, 4, 4) similarity transforms: the 3x3 block is s R with s > 0 and R a rotation.
template <class T>
void check_similarities(const T* M, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const T* m = M + 16 * i;
    Matrix3<T> sR;
    sR << m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10];
    const T det = sR.determinant();
    if (!(det > T(0)))
      throw std::invalid_argument("transforms[" + std::to_string(i) + "]: scale block is singular or reflecting");
    const T s = std::cbrt(det);
    const Matrix3<T> R = sR / s;
    const T dev = (R.transpose() * R - Matrix3<T>::Identity()).norm();
    if (!(dev <= T(1e-2)))
      throw std::invalid_argument("transforms[" + std::to_string(i) + "]: not a similarity (|R^T R - I|_F = " +
                                  std::to_string(dev) + ")");
  }
}

/// Elements per row of a (N, tail...) array.
std::size_t row_size(std::initializer_list<py::ssize_t> tail) {
  std::size_t per = 1;
  for (auto d : tail) per *= static_cast<std::size_t>(d);
  return per;
}

/// A new (n, tail...) array.
template <class T>
py::array_t<T> new_batch_array(std::size_t n, std::initializer_list<py::ssize_t> tail) {
  std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(n)};
  shape.insert(shape.end(), tail.begin(), tail.end());
  return new_array<T>(std::move(shape));
}

struct NoFurtherChecks {
  template <class T>
  void operator()(const T*, std::size_t) const {}
};

/// The batched Lie-group bindings: `x` float32/float64 of shape (N, in_tail...) (`expected` in the
/// message), finite, then `check(data, N)` for what the group needs beyond that; returns a new
/// (N, out_tail...) array of x's dtype filled by `batch(data, N, out, Parallel)` with the GIL
/// released. `batch` is generic over the scalar, e.g. `[](auto... a) { so3_exp_batch(a...); }`.
template <class Batch, class Check = NoFurtherChecks>
py::array run_batch(const py::array& x, const char* name, std::initializer_list<py::ssize_t> in_tail,
                    const char* expected, std::initializer_list<py::ssize_t> out_tail, Batch batch, Check check = {}) {
  return with_float_dtype(x, name, [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* p = batch_data<T>(x, name, in_tail, expected, n);
    const std::size_t per = row_size(in_tail);
    check_finite(p, per * n, name, per);
    check(p, n);
    auto out = new_batch_array<T>(n, out_tail);
    T* o = out.mutable_data();
    py::gil_scoped_release release;
    batch(p, n, o, Parallel{num_threads()});
    return std::move(out);
  });
}

// ---------------------------------------------------------------- batched Lie groups
py::array so3_exp_py(const py::array& w) {
  return run_batch(w, "omega", {3}, "(N, 3)", {3, 3}, [](auto... a) { so3_exp_batch(a...); });
}

py::array so3_log_py(const py::array& x) {
  const char* expected = "(N, 3, 3) or (N, 4) quaternions xyzw";
  if (x.ndim() == 2)
    return run_batch(x, "rotations", {4}, expected, {3}, [](auto... a) { so3_log_quaternion_batch(a...); },
                     [](auto* q, std::size_t n) { check_quaternions(q, n, 4, 0, "rotations"); });
  return run_batch(x, "rotations", {3, 3}, expected, {3}, [](auto... a) { so3_log_batch(a...); },
                   [](auto* R, std::size_t n) { check_rotation_matrices(R, n, "rotations", Parallel{num_threads()}); });
}

py::array quaternion_to_matrix_py(const py::array& q) {
  return run_batch(q, "quaternions", {4}, "(N, 4) xyzw", {3, 3}, [](auto... a) { quaternion_to_matrix_batch(a...); },
                   [](auto* p, std::size_t n) { check_quaternions(p, n, 4, 0, "quaternions"); });
}

py::array matrix_to_quaternion_py(const py::array& R) {
  return run_batch(R, "rotations", {3, 3}, "(N, 3, 3)", {4}, [](auto... a) { matrix_to_quaternion_batch(a...); },
                   [](auto* p, std::size_t n) { check_rotation_matrices(p, n, "rotations"); });
}

py::array se3_exp_py(const py::array& xi, bool as_tq) {
  if (as_tq) return run_batch(xi, "xi", {6}, "(N, 6)", {7}, [](auto... a) { se3_exp_tq_batch(a...); });
  return run_batch(xi, "xi", {6}, "(N, 6)", {4, 4}, [](auto... a) { se3_exp_batch(a...); });
}

py::array se3_log_py(const py::array& x) {
  const char* expected = "(N, 4, 4) or (N, 7) [t, q_xyzw]";
  if (x.ndim() == 2)
    return run_batch(x, "poses", {7}, expected, {6}, [](auto... a) { se3_log_tq_batch(a...); },
                     [](auto* p, std::size_t n) { check_quaternions(p, n, 7, 3, "poses"); });
  return run_batch(x, "poses", {4, 4}, expected, {6}, [](auto... a) { se3_log_batch(a...); },
                   [](auto* p, std::size_t n) { check_se3_structure(p, n, "poses"); });
}

py::array se3_compose_py(const py::array& a, const py::array& b) {
  return with_float_dtype(a, "a", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t na = 0, nb = 0;
    const T* pa = batch_data<T>(a, "a", {4, 4}, "(N, 4, 4)", na);
    const T* pb = batch_data<T>(b, "b", {4, 4}, "(N, 4, 4)", nb, "a");
    if (na != nb && na != 1 && nb != 1)
      throw std::invalid_argument("compose: a has " + std::to_string(na) + " poses and b has " + std::to_string(nb) +
                                  " (they must match, or one must have 1)");
    check_finite(pa, 16 * na, "a", 16);
    check_finite(pb, 16 * nb, "b", 16);
    const std::size_t n = na == 1 ? nb : na;
    auto out = new_array<T>({static_cast<py::ssize_t>(n), 4, 4});
    T* o = out.mutable_data();
    py::gil_scoped_release release;
    se3_compose_batch(pa, pb, n, o, na == 1 && n != 1, nb == 1 && n != 1, Parallel{num_threads()});
    return std::move(out);
  });
}

py::array se3_inverse_py(const py::array& a) {
  return run_batch(a, "poses", {4, 4}, "(N, 4, 4)", {4, 4}, [](auto... args) { se3_inverse_batch(args...); });
}

py::array sim3_exp_py(const py::array& z) {
  return run_batch(z, "zeta", {7}, "(N, 7)", {4, 4}, [](auto... a) { sim3_exp_batch(a...); });
}

py::array sim3_log_py(const py::array& x) {
  return run_batch(x, "transforms", {4, 4}, "(N, 4, 4)", {7}, [](auto... a) { sim3_log_batch(a...); },
                   [](auto* p, std::size_t n) { check_similarities(p, n); });
}

/// Per-element operations that are not hot: Jacobians, adjoints, interpolation, Euler angles.
template <class T, class F>
py::array map_rows(const py::array& x, const char* name, std::initializer_list<py::ssize_t> in_tail, const char* expected,
                   std::initializer_list<py::ssize_t> out_tail, std::size_t in_per, F&& f) {
  std::size_t n = 0;
  const T* p = batch_data<T>(x, name, in_tail, expected, n);
  check_finite(p, in_per * n, name, in_per);
  const std::size_t out_per = row_size(out_tail);
  auto out = new_batch_array<T>(n, out_tail);
  T* o = out.mutable_data();
  for (std::size_t i = 0; i < n; ++i) f(p + in_per * i, o + out_per * i);
  return std::move(out);
}

enum class JacKind { left, right, left_inverse, right_inverse };
JacKind parse_jac(const std::string& s) {
  if (s == "left") return JacKind::left;
  if (s == "right") return JacKind::right;
  if (s == "left_inverse") return JacKind::left_inverse;
  if (s == "right_inverse") return JacKind::right_inverse;
  throw std::invalid_argument("kind: expected 'left', 'right', 'left_inverse' or 'right_inverse', got '" + s + "'");
}

template <class G, int D, class T>
Eigen::Matrix<T, D, D> jac(JacKind k, const Eigen::Matrix<T, D, 1>& v) {
  switch (k) {
    case JacKind::left: return G::left_jacobian(v);
    case JacKind::right: return G::right_jacobian(v);
    case JacKind::left_inverse: return G::left_jacobian_inverse(v);
    default: return G::right_jacobian_inverse(v);
  }
}

py::array jacobian_py(const py::array& x, const std::string& group, const std::string& kind) {
  const JacKind k = parse_jac(kind);
  return with_float_dtype(x, "tangent", [&](auto tag) -> py::array {
    using T = decltype(tag);
    if (group == "so3")
      return map_rows<T>(x, "tangent", {3}, "(N, 3)", {3, 3}, 3, [&](const T* in, T* out) {
        Eigen::Map<detail::RowMat3<T>> out_map(out);
        out_map = jac<SO3<T>, 3, T>(k, Eigen::Map<const Vector3<T>>(in));
      });
    if (group == "se3")
      return map_rows<T>(x, "tangent", {6}, "(N, 6)", {6, 6}, 6, [&](const T* in, T* out) {
        Eigen::Map<Eigen::Matrix<T, 6, 6, Eigen::RowMajor>> out_map(out);
        out_map = jac<SE3<T>, 6, T>(k, Eigen::Map<const Vector6<T>>(in));
      });
    if (group == "sim3")
      return map_rows<T>(x, "tangent", {7}, "(N, 7)", {7, 7}, 7, [&](const T* in, T* out) {
        Eigen::Map<Eigen::Matrix<T, 7, 7, Eigen::RowMajor>> out_map(out);
        out_map = jac<Sim3<T>, 7, T>(k, Eigen::Map<const Vector7<T>>(in));
      });
    throw std::invalid_argument("group: expected 'so3', 'se3' or 'sim3', got '" + group + "'");
  });
}

py::array se3_adjoint_py(const py::array& x) {
  return with_float_dtype(x, "poses", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* p = batch_data<T>(x, "poses", {4, 4}, "(N, 4, 4)", n);
    check_se3_rows(p, n, "poses");
    return map_rows<T>(x, "poses", {4, 4}, "(N, 4, 4)", {6, 6}, 16, [&](const T* in, T* out) {
      Eigen::Map<Eigen::Matrix<T, 6, 6, Eigen::RowMajor>> out_map(out);
      out_map = detail::se3_from_rowmajor(in).adjoint();
    });
  });
}

py::array se3_interpolate_py(const py::array& a, const py::array& b, const py::array& t) {
  return with_float_dtype(a, "a", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t na = 0, nb = 0;
    const T* pa = batch_data<T>(a, "a", {4, 4}, "(N, 4, 4)", na);
    const T* pb = batch_data<T>(b, "b", {4, 4}, "(N, 4, 4)", nb, "a");
    const T* pt = vector_data<T>(t, "t", static_cast<py::ssize_t>(na), "a");
    if (na != nb) throw std::invalid_argument("interpolate: a and b must have the same length");
    check_se3_rows(pa, na, "a");
    check_se3_rows(pb, nb, "b");
    check_finite(pt, na, "t", 1);
    auto out = new_array<T>({static_cast<py::ssize_t>(na), 4, 4});
    T* o = out.mutable_data();
    for (std::size_t i = 0; i < na; ++i)
      detail::se3_to_rowmajor(SE3<T>::interpolate(detail::se3_from_rowmajor(pa + 16 * i),
                                                  detail::se3_from_rowmajor(pb + 16 * i), pt[i]),
                              o + 16 * i);
    return std::move(out);
  });
}

py::array so3_from_euler_py(const py::array& angles, const std::string& seq) {
  return with_float_dtype(angles, "angles", [&](auto tag) -> py::array {
    using T = decltype(tag);
    return map_rows<T>(angles, "angles", {3}, "(N, 3)", {3, 3}, 3, [&](const T* in, T* out) {
      Eigen::Map<detail::RowMat3<T>> out_map(out);
      out_map = SO3<T>::from_euler(seq, Vector3<T>(in[0], in[1], in[2])).matrix();
    });
  });
}

py::array so3_to_euler_py(const py::array& R, const std::string& seq) {
  return with_float_dtype(R, "rotations", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* p = batch_data<T>(R, "rotations", {3, 3}, "(N, 3, 3)", n);
    check_finite(p, 9 * n, "rotations", 9);
    check_rotation_matrices(p, n, "rotations");
    return map_rows<T>(R, "rotations", {3, 3}, "(N, 3, 3)", {3}, 9, [&](const T* in, T* out) {
      Eigen::Map<Vector3<T>> out_map(out);
      out_map = SO3<T>::from_matrix_unchecked(Eigen::Map<const detail::RowMat3<T>>(in)).to_euler(seq);
    });
  });
}

py::array so3_average_py(const py::array& q) {
  std::size_t n = 0;
  const double* p = batch_data<double>(q, "quaternions", {4}, "(N, 4) xyzw", n);
  check_finite(p, 4 * n, "quaternions", 4);
  check_quaternions(p, n, 4, 0, "quaternions");
  std::vector<SO3d> rs;
  for (std::size_t i = 0; i < n; ++i) rs.push_back(SO3d::from_quaternion(p[4 * i], p[4 * i + 1], p[4 * i + 2], p[4 * i + 3]));
  auto c = SO3d::average(rs).quaternion_xyzw();
  if (c[3] < 0) c = -c;
  auto out = new_array<double>({4});
  for (int k = 0; k < 4; ++k) out.mutable_data()[k] = c[k];
  return std::move(out);
}

py::array se3_average_py(const py::array& x, int max_iterations) {
  std::size_t n = 0;
  const double* p = batch_data<double>(x, "poses", {4, 4}, "(N, 4, 4)", n);
  check_se3_rows(p, n, "poses");
  std::vector<SE3d> gs;
  for (std::size_t i = 0; i < n; ++i) gs.push_back(detail::se3_from_rowmajor(p + 16 * i));
  auto out = new_array<double>({4, 4});
  detail::se3_to_rowmajor(SE3d::average(gs, max_iterations), out.mutable_data());
  return std::move(out);
}

}  // namespace

void bind_pose(py::module_& parent) {
  auto m = parent.def_submodule("pose", "batched SO(3), SE(3), Sim(3) (use locuskit.pose)");
  m.def("so3_exp", &so3_exp_py, py::arg("omega"));
  m.def("so3_log", &so3_log_py, py::arg("rotations"));
  m.def("quaternion_to_matrix", &quaternion_to_matrix_py, py::arg("quaternions"));
  m.def("matrix_to_quaternion", &matrix_to_quaternion_py, py::arg("rotations"));
  m.def("se3_exp", &se3_exp_py, py::arg("xi"), py::arg("as_tq") = false);
  m.def("se3_log", &se3_log_py, py::arg("poses"));
  m.def("se3_compose", &se3_compose_py, py::arg("a"), py::arg("b"));
  m.def("se3_inverse", &se3_inverse_py, py::arg("poses"));
  m.def("sim3_exp", &sim3_exp_py, py::arg("zeta"));
  m.def("sim3_log", &sim3_log_py, py::arg("transforms"));
  m.def("lie_jacobian", &jacobian_py, py::arg("tangent"), py::arg("group"), py::arg("kind"));
  m.def("se3_adjoint", &se3_adjoint_py, py::arg("poses"));
  m.def("se3_interpolate", &se3_interpolate_py, py::arg("a"), py::arg("b"), py::arg("t"));
  m.def("so3_from_euler", &so3_from_euler_py, py::arg("angles"), py::arg("seq"));
  m.def("so3_to_euler", &so3_to_euler_py, py::arg("rotations"), py::arg("seq"));
  m.def("so3_average", &so3_average_py, py::arg("quaternions"));
  m.def("se3_average", &se3_average_py, py::arg("poses"), py::arg("max_iterations") = 50);
}

}  // namespace locuskit::python
