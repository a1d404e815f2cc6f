// Python bindings for the pose area: batched Lie-group operations and trajectory evaluation.
// Validation happens here with the GIL held; the kernels run with it released.
#include <locuskit/pose.hpp>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

/// Array of dtype T with trailing shape `tail` (leading dimension N), C-contiguous.
template <class T>
const T* batch_data(const py::array& a, const char* name, std::initializer_list<py::ssize_t> tail,
                    const char* expected, std::size_t& n, const char* relative_to = nullptr) {
  require_dtype<T>(a, name, relative_to);
  bool ok = a.ndim() == static_cast<py::ssize_t>(tail.size() + 1);
  py::ssize_t d = 1;
  for (auto it = tail.begin(); ok && it != tail.end(); ++it, ++d)
    if (a.shape(d) != *it) ok = false;
  if (!ok) throw std::invalid_argument(std::string(name) + ": expected shape " + expected + ", got " + shape_str(a));
  require_contiguous(a, name);
  n = static_cast<std::size_t>(a.shape(0));
  return static_cast<const T*>(a.data());
}

template <class T>
void check_finite(const T* p, std::size_t count, const char* name, std::size_t per) {
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(p[i]))
      throw std::invalid_argument(std::string(name) + "[" + std::to_string(i / per) + "]: contains NaN or Inf");
}

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

// ---------------------------------------------------------------- trajectories
TrajectoryFormat parse_format(const std::string& s) {
  if (s == "tum") return TrajectoryFormat::tum;
  if (s == "kitti") return TrajectoryFormat::kitti;
  if (s == "euroc") return TrajectoryFormat::euroc;
  throw std::invalid_argument("format: expected 'tum', 'kitti' or 'euroc', got '" + s + "'");
}

py::tuple to_py(TrajectoryData&& d) {
  const auto n = static_cast<py::ssize_t>(d.size());
  auto poses = new_array<double>({n, 4, 4});
  std::copy(d.poses.begin(), d.poses.end(), poses.mutable_data());
  py::object stamps = py::none(), ns = py::none();
  if (!d.stamps.empty()) {
    auto s = new_array<double>({n});
    std::copy(d.stamps.begin(), d.stamps.end(), s.mutable_data());
    stamps = s;
  }
  if (!d.stamps_ns.empty()) {
    auto s = new_array<std::int64_t>({n});
    std::copy(d.stamps_ns.begin(), d.stamps_ns.end(), s.mutable_data());
    ns = s;
  }
  return py::make_tuple(stamps, ns, poses, d.warnings);
}

py::tuple read_trajectory_py(const std::string& path, const std::string& format) {
  const TrajectoryFormat f = parse_format(format);
  TrajectoryData d;
  {
    py::gil_scoped_release release;
    d = read_trajectory(path, f);
  }
  return to_py(std::move(d));
}

py::tuple parse_trajectory_py(const std::string& text, const std::string& format, const std::string& name) {
  const TrajectoryFormat f = parse_format(format);
  TrajectoryData d;
  {
    py::gil_scoped_release release;
    d = parse_trajectory(text, f, name);
  }
  return to_py(std::move(d));
}

py::array_t<std::int64_t> to_array(const std::vector<std::int64_t>& v) {
  auto a = new_array<std::int64_t>({static_cast<py::ssize_t>(v.size())});
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::tuple associate_py(const py::array& ref, const py::array& est, double max_diff, double offset) {
  const double* r = vector_data<double>(ref, "ref_stamps", -1);
  const double* e = vector_data<double>(est, "est_stamps", -1);
  check_finite(r, static_cast<std::size_t>(ref.shape(0)), "ref_stamps", 1);
  check_finite(e, static_cast<std::size_t>(est.shape(0)), "est_stamps", 1);
  std::vector<std::int64_t> ri, ei;
  {
    py::gil_scoped_release release;
    associate_stamps(r, static_cast<std::size_t>(ref.shape(0)), e, static_cast<std::size_t>(est.shape(0)), max_diff,
                     offset, ri, ei);
  }
  return py::make_tuple(to_array(ri), to_array(ei));
}

const double* poses_data(const py::array& a, const char* name, std::size_t& n) {
  const double* p = batch_data<double>(a, name, {4, 4}, "(N, 4, 4) float64", n);
  check_finite(p, 16 * n, name, 16);
  return p;
}

py::tuple umeyama_py(const py::array& x, const py::array& y, bool with_scale, long long n_to_align) {
  std::size_t nx = 0, ny = 0;
  const double* px = poses_data(x, "est_poses", nx);
  const double* py_ = poses_data(y, "ref_poses", ny);
  if (nx != ny) throw std::invalid_argument("umeyama: est_poses and ref_poses have different lengths");
  Alignment a;
  {
    py::gil_scoped_release release;
    a = umeyama_alignment(px, py_, nx, with_scale, n_to_align);
  }
  auto R = new_array<double>({3, 3});
  auto t = new_array<double>({3});
  Eigen::Map<Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(R.mutable_data()) = a.R;
  Eigen::Map<Eigen::Vector3d>(t.mutable_data()) = a.t;
  return py::make_tuple(R, t, a.s);
}

py::array apply_alignment_py(const py::array& poses, const py::array& R, const py::array& t, double s, bool scale_only) {
  std::size_t n = 0;
  const double* p = poses_data(poses, "poses", n);
  Alignment a;
  std::size_t k = 0;
  const double* rr = batch_data<double>(R, "R", {3}, "(3, 3)", k);
  if (k != 3) throw std::invalid_argument("R: expected shape (3, 3)");
  const double* tt = vector_data<double>(t, "t", 3);
  a.R = Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(rr);
  a.t = Eigen::Map<const Eigen::Vector3d>(tt);
  a.s = s;
  auto out = new_array<double>({static_cast<py::ssize_t>(n), 4, 4});
  double* o = out.mutable_data();
  std::copy(p, p + 16 * n, o);
  py::gil_scoped_release release;
  apply_alignment(o, n, a, scale_only);
  return std::move(out);
}

PoseRelation parse_relation(const std::string& s) {
  if (s == "trans_part" || s == "translation") return PoseRelation::translation;
  if (s == "angle_rad") return PoseRelation::rotation_angle_rad;
  if (s == "angle_deg") return PoseRelation::rotation_angle_deg;
  if (s == "rot_part") return PoseRelation::rotation_part;
  if (s == "full") return PoseRelation::full;
  if (s == "point_distance") return PoseRelation::point_distance;
  throw std::invalid_argument(
      "relation: expected 'trans_part', 'angle_deg', 'angle_rad', 'rot_part', 'full' or 'point_distance', got '" + s + "'");
}

py::array ape_py(const py::array& ref, const py::array& est, const std::string& relation) {
  const PoseRelation rel = parse_relation(relation);
  std::size_t nr = 0, ne = 0;
  const double* r = poses_data(ref, "ref_poses", nr);
  const double* e = poses_data(est, "est_poses", ne);
  if (nr != ne) throw std::invalid_argument("ape: ref_poses and est_poses have different lengths (associate first)");
  auto out = new_array<double>({static_cast<py::ssize_t>(nr)});
  double* o = out.mutable_data();
  py::gil_scoped_release release;
  ape_errors(r, e, nr, rel, o, Parallel{num_threads()});
  return std::move(out);
}

py::tuple rpe_pairs_py(const py::array& poses, double delta, const std::string& unit, bool all_pairs, double rel_tol) {
  DeltaUnit u;
  if (unit == "f" || unit == "frames") u = DeltaUnit::frames;
  else if (unit == "m" || unit == "meters") u = DeltaUnit::meters;
  else throw std::invalid_argument("unit: expected 'f' (frames) or 'm' (meters), got '" + unit + "'");
  std::size_t n = 0;
  const double* p = poses_data(poses, "poses", n);
  std::vector<std::int64_t> a, b;
  {
    py::gil_scoped_release release;
    rpe_pairs(p, n, delta, u, all_pairs, rel_tol, a, b);
  }
  return py::make_tuple(to_array(a), to_array(b));
}

py::array rpe_py(const py::array& ref, const py::array& est, const py::array& first, const py::array& second,
                 const std::string& relation) {
  const PoseRelation rel = parse_relation(relation);
  std::size_t nr = 0, ne = 0;
  const double* r = poses_data(ref, "ref_poses", nr);
  const double* e = poses_data(est, "est_poses", ne);
  if (nr != ne) throw std::invalid_argument("rpe: ref_poses and est_poses have different lengths (associate first)");
  const std::int64_t* f = vector_data<std::int64_t>(first, "first", -1);
  const std::int64_t* s = vector_data<std::int64_t>(second, "second", first.shape(0), "first");
  const std::size_t np = static_cast<std::size_t>(first.shape(0));
  for (std::size_t k = 0; k < np; ++k)
    if (f[k] < 0 || s[k] < 0 || static_cast<std::size_t>(f[k]) >= nr || static_cast<std::size_t>(s[k]) >= nr)
      throw std::invalid_argument("rpe: pair " + std::to_string(k) + " is out of range");
  auto out = new_array<double>({static_cast<py::ssize_t>(np)});
  double* o = out.mutable_data();
  py::gil_scoped_release release;
  rpe_errors(r, e, f, s, np, rel, o, Parallel{num_threads()});
  return std::move(out);
}

py::dict statistics_py(const py::array& e) {
  const double* p = vector_data<double>(e, "errors", -1);
  const ErrorStatistics s = error_statistics(p, static_cast<std::size_t>(e.shape(0)));
  py::dict d;
  d["rmse"] = s.rmse;
  d["mean"] = s.mean;
  d["median"] = s.median;
  d["std"] = s.std;
  d["min"] = s.min;
  d["max"] = s.max;
  d["sse"] = s.sse;
  d["n"] = s.n;
  return d;
}

py::dict kitti_py(const py::array& gt, const py::array& est, const std::string& precision) {
  KittiPrecision prec;
  if (precision == "devkit") prec = KittiPrecision::devkit;
  else if (precision == "double") prec = KittiPrecision::double_;
  else throw std::invalid_argument("precision: expected 'devkit' or 'double', got '" + precision + "'");
  std::size_t ng = 0, ne = 0;
  const double* g = poses_data(gt, "gt_poses", ng);
  const double* e = poses_data(est, "est_poses", ne);
  if (ng != ne)
    throw std::invalid_argument("kitti: gt_poses has " + std::to_string(ng) + " poses and est_poses " + std::to_string(ne) +
                                " (the devkit needs equal counts)");
  check_finite(g, 16 * ng, "gt_poses", 16);
  check_finite(e, 16 * ne, "est_poses", 16);
  KittiResult r;
  {
    py::gil_scoped_release release;
    r = kitti_odometry_metric(g, e, ng, prec, Parallel{num_threads()});
  }
  auto seg = new_array<double>({static_cast<py::ssize_t>(r.segments.size()), 5});
  double* o = seg.mutable_data();
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const auto& s = r.segments[i];
    o[5 * i] = static_cast<double>(s.first_frame);
    o[5 * i + 1] = s.r_err;
    o[5 * i + 2] = s.t_err;
    o[5 * i + 3] = s.len;
    o[5 * i + 4] = s.speed;
  }
  py::dict per;
  for (int li = 0; li < 8; ++li) {
    py::dict d;
    d["n"] = r.length_count[li];
    d["t_err_fraction"] = r.length_t_err[li];
    d["r_err_rad_per_m"] = r.length_r_err[li];
    per[py::str(std::to_string(static_cast<int>(r.lengths[li])))] = d;
  }
  py::dict d;
  d["segments"] = seg;
  d["t_err_fraction"] = r.t_err;
  d["r_err_rad_per_m"] = r.r_err;
  d["per_length"] = per;
  d["gt_path_length_m"] = r.gt_path_length;
  return d;
}

}  // namespace

void bind_pose(py::module_& m) {
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
  m.def("traj_read", &read_trajectory_py, py::arg("path"), py::arg("format"));
  m.def("traj_parse", &parse_trajectory_py, py::arg("text"), py::arg("format"), py::arg("name") = "<string>");
  m.def("traj_associate", &associate_py, py::arg("ref_stamps"), py::arg("est_stamps"), py::arg("max_diff"),
        py::arg("offset"));
  m.def("traj_umeyama", &umeyama_py, py::arg("est_poses"), py::arg("ref_poses"), py::arg("with_scale"),
        py::arg("n_to_align") = -1);
  m.def("traj_apply_alignment", &apply_alignment_py, py::arg("poses"), py::arg("R"), py::arg("t"), py::arg("s"),
        py::arg("scale_only") = false);
  m.def("traj_ape", &ape_py, py::arg("ref_poses"), py::arg("est_poses"), py::arg("relation"));
  m.def("traj_rpe_pairs", &rpe_pairs_py, py::arg("poses"), py::arg("delta"), py::arg("unit"), py::arg("all_pairs"),
        py::arg("rel_tol"));
  m.def("traj_rpe", &rpe_py, py::arg("ref_poses"), py::arg("est_poses"), py::arg("first"), py::arg("second"),
        py::arg("relation"));
  m.def("traj_statistics", &statistics_py, py::arg("errors"));
  m.def("traj_kitti", &kitti_py, py::arg("gt_poses"), py::arg("est_poses"), py::arg("precision"));
}

}  // namespace locuskit::python
