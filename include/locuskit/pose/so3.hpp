#pragma once
/// \file so3.hpp
/// SO(3): 3-D rotations stored as a unit quaternion (x, y, z, w), with exp/log, Jacobians,
/// interpolation, averaging and conversions, accurate to a few ulps over the whole range
/// (notes §G: Shepperd-type quaternion extraction, atan2 log, per-coefficient series).
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/Geometry>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <locuskit/detail/pose/coefficients.hpp>
#include <locuskit/error.hpp>

namespace locuskit {

template <class T>
using Vector3 = Eigen::Matrix<T, 3, 1>;
template <class T>
using Matrix3 = Eigen::Matrix<T, 3, 3>;

/// hat(ω): the skew-symmetric matrix with hat(ω) v = ω × v.
template <class T>
Matrix3<T> hat(const Vector3<T>& w) noexcept {
  Matrix3<T> m;
  m << T(0), -w.z(), w.y(), w.z(), T(0), -w.x(), -w.y(), w.x(), T(0);
  return m;
}

/// vee(Ω): the inverse of hat, reading the antisymmetric part (Ω − Ωᵀ)/2.
template <class T>
Vector3<T> vee(const Matrix3<T>& m) noexcept {
  return Vector3<T>(m(2, 1) - m(1, 2), m(0, 2) - m(2, 0), m(1, 0) - m(0, 1)) / T(2);
}

namespace detail {

/// Quaternion (x, y, z, w), unnormalized, of a near-rotation matrix by the largest-pivot rule
/// (the pivot is the largest of m00, m11, m22, trace, as scipy's `from_matrix`, so a slightly
/// non-orthonormal matrix gives the same projected rotation as evo/scipy).
template <class T, class M>
void matrix_to_quaternion_raw(const M& m, T q[4]) noexcept {
  const T tr = m(0, 0) + m(1, 1) + m(2, 2);
  int choice = 3;
  T best = tr;
  for (int i = 0; i < 3; ++i)
    if (m(i, i) > best) {
      best = m(i, i);
      choice = i;
    }
  if (choice == 3) {
    q[0] = m(2, 1) - m(1, 2);
    q[1] = m(0, 2) - m(2, 0);
    q[2] = m(1, 0) - m(0, 1);
    q[3] = T(1) + tr;
  } else {
    const int i = choice, j = (i + 1) % 3, k = (j + 1) % 3;
    q[i] = T(1) - tr + T(2) * m(i, i);
    q[j] = m(j, i) + m(i, j);
    q[k] = m(k, i) + m(i, k);
    q[3] = m(k, j) - m(j, k);
  }
}

/// Rotation vector of a unit quaternion (x, y, z, w): ω = 2 atan2(‖v‖, |w|) v/‖v‖ · sign(w).
template <class T>
Vector3<T> quaternion_log(T x, T y, T z, T w) noexcept {
  if (w < T(0)) {
    x = -x;
    y = -y;
    z = -z;
    w = -w;
  }
  const T n = std::sqrt(x * x + y * y + z * z);
  if (n == T(0)) return Vector3<T>::Zero();
  const T k = T(2) * std::atan2(n, w) / n;
  return Vector3<T>(k * x, k * y, k * z);
}

}  // namespace detail

/// A 3-D rotation. Storage: unit quaternion (Eigen order x, y, z, w). Tangent: rotation vector ω.
/// Thread-safety: a value type; const methods are safe to call concurrently.
template <class T>
class SO3 {
 public:
  using Scalar = T;
  using Tangent = Vector3<T>;
  using Matrix = Matrix3<T>;
  using Quaternion = Eigen::Quaternion<T>;
  static constexpr int DoF = 3;

  /// The identity.
  SO3() noexcept : q_(Quaternion::Identity()) {}

  /// From a quaternion that is unit to within `tolerance` (|‖q‖ − 1| ≤ tolerance, default 1e-2;
  /// TUM/EuRoC files are off by up to 1.5e-4): normalized. NaN/Inf or a larger deviation throws
  /// std::invalid_argument.
  static SO3 from_quaternion(const Quaternion& q, T tolerance = T(1e-2)) {
    const T n = q.norm();
    LOCUSKIT_CHECK(std::isfinite(n), std::invalid_argument, "SO3: quaternion is not finite");
    LOCUSKIT_CHECK(std::abs(n - T(1)) <= tolerance, std::invalid_argument, "SO3: quaternion norm ", n,
                   " is not 1 (tolerance ", tolerance, ")");
    SO3 r;
    r.q_ = Quaternion(q.coeffs() / n);
    return r;
  }
  /// From quaternion components in x, y, z, w order (see the Quaternion overload).
  static SO3 from_quaternion(T x, T y, T z, T w, T tolerance = T(1e-2)) {
    return from_quaternion(Quaternion(w, x, y, z), tolerance);
  }
  /// From a unit quaternion without any check (caller guarantees ‖q‖ = 1).
  static SO3 from_unit_quaternion_unchecked(const Quaternion& q) noexcept {
    SO3 r;
    r.q_ = q;
    return r;
  }

  /// From a rotation matrix that is orthonormal to within `tolerance` (‖RᵀR − I‖_F ≤ tolerance,
  /// default 1e-2; KITTI files are off by up to 1e-6) with det > 0. The matrix is projected onto
  /// SO(3) through its quaternion (largest pivot + normalization, as scipy). NaN/Inf, a singular
  /// or reflecting matrix, or a larger deviation throws std::invalid_argument.
  static SO3 from_matrix(const Matrix& R, T tolerance = T(1e-2)) {
    LOCUSKIT_CHECK(R.allFinite(), std::invalid_argument, "SO3: matrix is not finite");
    const T dev = (R.transpose() * R - Matrix::Identity()).norm();
    LOCUSKIT_CHECK(dev <= tolerance && R.determinant() > T(0), std::invalid_argument,
                   "SO3: matrix is not a rotation (|R^T R - I|_F = ", dev, ", det = ", R.determinant(),
                   ", tolerance ", tolerance, ")");
    return from_matrix_unchecked(R);
  }
  /// Projection of a near-rotation matrix, no validation (largest-pivot quaternion, normalized).
  static SO3 from_matrix_unchecked(const Matrix& R) noexcept {
    T q[4];
    detail::matrix_to_quaternion_raw<T>(R, q);
    SO3 r;
    r.q_ = Quaternion(q[3], q[0], q[1], q[2]);
    r.q_.normalize();
    return r;
  }

  /// exp(ω): rotation by ‖ω‖ about ω/‖ω‖. Exact at 0 (no division), accurate to ~1 ulp.
  static SO3 exp(const Tangent& w) noexcept {
    const T theta = w.norm();
    const T k = detail::half_sinc(theta);
    SO3 r;
    r.q_ = Quaternion(std::cos(theta / 2), k * w.x(), k * w.y(), k * w.z());
    return r;
  }

  /// log: the rotation vector with ‖ω‖ ∈ [0, π] (atan2 of the quaternion; at exactly π the sign
  /// follows the stored quaternion).
  Tangent log() const noexcept { return detail::quaternion_log(q_.x(), q_.y(), q_.z(), q_.w()); }

  /// Rotation angle in [0, π].
  T angle() const noexcept {
    const T n = q_.vec().norm();
    return T(2) * std::atan2(n, std::abs(q_.w()));
  }

  /// Euler angles: R = from the angle sequence `seq` of three axes, scipy's convention:
  /// lower case ("xyz") extrinsic (fixed axes), upper case ("XYZ") intrinsic (rotating axes).
  /// Radians.
  static SO3 from_euler(const std::string& seq, const Vector3<T>& angles) {
    const bool intrinsic = check_euler_seq(seq);
    SO3 r;
    for (int i = 0; i < 3; ++i) {
      const int axis = std::tolower(seq[i]) - 'x';
      Tangent w = Tangent::Zero();
      w[axis] = angles[i];
      r = intrinsic ? r * exp(w) : exp(w) * r;
    }
    return r;
  }

  /// Euler angles in the sequence `seq` (see from_euler). The first and last angles are in
  /// (−π, π]; the middle one in [−π/2, π/2] (Tait-Bryan) or [0, π] (proper Euler). At gimbal lock
  /// the third angle is set to 0. Quaternion-based (Bernardes & Viollet 2022), accurate everywhere.
  Vector3<T> to_euler(const std::string& seq) const {
    const bool intrinsic = check_euler_seq(seq);
    int axes[3];
    // The direct method works on the extrinsic sequence; an intrinsic one is its reverse.
    for (int n = 0; n < 3; ++n) axes[n] = std::tolower(seq[intrinsic ? 2 - n : n]) - 'x';
    int i = axes[0], j = axes[1], k = axes[2];
    const bool proper = i == k;
    if (proper) k = 3 - i - j;
    const T sign = static_cast<T>((i - j) * (j - k) * (k - i) / 2);
    const T qv[4] = {q_.x(), q_.y(), q_.z(), q_.w()};
    T a, b, c, d;
    if (proper) {
      a = qv[3];
      b = qv[i];
      c = qv[j];
      d = qv[k] * sign;
    } else {
      a = qv[3] - qv[j];
      b = qv[i] + qv[k] * sign;
      c = qv[j] + qv[3];
      d = qv[k] * sign - qv[i];
    }
    Vector3<T> ang;
    ang[1] = T(2) * std::atan2(std::hypot(c, d), std::hypot(a, b));
    const T half_sum = std::atan2(b, a), half_diff = std::atan2(d, c);
    const T eps = std::is_same_v<T, float> ? T(1e-4) : T(1e-7);
    const T pi = T(3.14159265358979323846);
    // Gimbal lock: the user's third angle is set to 0 (after the intrinsic reversal below).
    const int free_slot = intrinsic ? 2 : 0, zero_slot = intrinsic ? 0 : 2;
    if (std::abs(ang[1]) <= eps) {
      ang[free_slot] = T(2) * half_sum;
      ang[zero_slot] = 0;
    } else if (std::abs(ang[1] - pi) <= eps) {
      ang[free_slot] = T(2) * half_diff * (intrinsic ? T(1) : T(-1));
      ang[zero_slot] = 0;
    } else {
      ang[0] = half_sum - half_diff;
      ang[2] = half_sum + half_diff;
    }
    if (!proper) {
      ang[2] *= sign;
      ang[1] -= pi / 2;
    }
    if (intrinsic) std::swap(ang[0], ang[2]);
    for (int n = 0; n < 3; ++n) {
      if (ang[n] < -pi) ang[n] += T(2) * pi;
      if (ang[n] > pi) ang[n] -= T(2) * pi;
    }
    return ang;
  }

  /// Composition (this ∘ other); the product is renormalized (no drift over long chains).
  SO3 operator*(const SO3& other) const noexcept {
    SO3 r;
    r.q_ = q_ * other.q_;
    r.q_.normalize();
    return r;
  }
  /// Rotates a point.
  Vector3<T> operator*(const Vector3<T>& p) const noexcept { return q_ * p; }
  /// The inverse rotation (conjugate quaternion).
  SO3 inverse() const noexcept { return from_unit_quaternion_unchecked(q_.conjugate()); }

  /// 3×3 rotation matrix.
  Matrix matrix() const noexcept { return q_.toRotationMatrix(); }
  /// Unit quaternion (w ≥ 0 not enforced; q and −q are the same rotation).
  const Quaternion& unit_quaternion() const noexcept { return q_; }
  /// Quaternion as (x, y, z, w).
  Eigen::Matrix<T, 4, 1> quaternion_xyzw() const noexcept { return q_.coeffs(); }
  /// Adjoint: Ad(R) = R (ω ↦ R ω).
  Matrix adjoint() const noexcept { return matrix(); }

  /// Left Jacobian J_l(ω) = I + a Ω + b Ω², a = 2 sin²(θ/2)/θ², b = (θ − sin θ)/θ³ (series for θ < 1).
  static Matrix left_jacobian(const Tangent& w) noexcept {
    const T theta = w.norm();
    const Matrix W = hat(w);
    return Matrix::Identity() + detail::coef_a(theta) * W + detail::coef_c1(theta) * (W * W);
  }
  /// J_l(ω)⁻¹ = I − Ω/2 + e Ω², e = (1 − (θ/2) cot(θ/2))/θ² (Bernoulli series at small θ).
  static Matrix left_jacobian_inverse(const Tangent& w) noexcept {
    const T theta = w.norm();
    const Matrix W = hat(w);
    return Matrix::Identity() - T(0.5) * W + detail::coef_jinv(theta) * (W * W);
  }
  /// J_r(ω) = J_l(−ω).
  static Matrix right_jacobian(const Tangent& w) noexcept { return left_jacobian(-w); }
  /// J_r(ω)⁻¹ = J_l(−ω)⁻¹.
  static Matrix right_jacobian_inverse(const Tangent& w) noexcept { return left_jacobian_inverse(-w); }

  /// Geodesic interpolation a · exp(t · log(a⁻¹ b)); t = 0 gives a, t = 1 gives b.
  static SO3 interpolate(const SO3& a, const SO3& b, T t) noexcept {
    return a * exp(t * (a.inverse() * b).log());
  }

  /// Quaternion eigen-average (Markley et al. 2007): the rotation maximizing Σ (qᵢ·q)², i.e. the
  /// principal eigenvector of Σ qᵢ qᵢᵀ. Sign-invariant. O(n). Throws on an empty input.
  static SO3 average(const std::vector<SO3>& rotations) {
    LOCUSKIT_CHECK(!rotations.empty(), std::invalid_argument, "SO3::average: no rotations");
    Eigen::Matrix<T, 4, 4> m = Eigen::Matrix<T, 4, 4>::Zero();
    for (const auto& r : rotations) {
      const Eigen::Matrix<T, 4, 1> c = r.q_.coeffs();
      m.noalias() += c * c.transpose();
    }
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix<T, 4, 4>> es(m);
    const Eigen::Matrix<T, 4, 1> v = es.eigenvectors().col(3);
    return from_unit_quaternion_unchecked(Quaternion(v[3], v[0], v[1], v[2]).normalized());
  }

 private:
  static bool check_euler_seq(const std::string& seq) {
    LOCUSKIT_CHECK(seq.size() == 3, std::invalid_argument, "euler sequence '", seq,
                   "' must have 3 axes, e.g. 'xyz' (extrinsic) or 'ZYX' (intrinsic)");
    const bool upper = std::isupper(static_cast<unsigned char>(seq[0]));
    for (int i = 0; i < 3; ++i) {
      const char c = seq[i];
      const bool ok = (upper ? (c >= 'X' && c <= 'Z') : (c >= 'x' && c <= 'z'));
      LOCUSKIT_CHECK(ok, std::invalid_argument, "euler sequence '", seq,
                     "': use three of x, y, z (extrinsic) or X, Y, Z (intrinsic), not mixed case");
      if (i > 0)
        LOCUSKIT_CHECK(seq[i] != seq[i - 1], std::invalid_argument, "euler sequence '", seq,
                       "': consecutive axes must differ");
    }
    return upper;
  }

  Quaternion q_;
};

using SO3d = SO3<double>;
using SO3f = SO3<float>;

}  // namespace locuskit
