#pragma once
/// \file se3.hpp
/// SE(3): rigid motions (R, t) acting as p ↦ R p + t. Tangent ξ = [υ; ω] (translation part first,
/// as Sophus/manif; GTSAM uses [ω; v]). Jacobians by the series-safe recipes of notes §G.
#include <Eigen/Core>
#include <Eigen/Geometry>
#include <vector>

#include <locuskit/pose/so3.hpp>

namespace locuskit {

template <class T>
using Vector6 = Eigen::Matrix<T, 6, 1>;
template <class T>
using Matrix6 = Eigen::Matrix<T, 6, 6>;
template <class T>
using Matrix4 = Eigen::Matrix<T, 4, 4>;

namespace detail {
/// Barfoot's Q(υ, ω), the upper-right block of the SE(3) left Jacobian.
template <class T>
Matrix3<T> se3_q_block(const Vector3<T>& v, const Vector3<T>& w) noexcept {
  const T theta = w.norm();
  const Matrix3<T> V = hat(v), W = hat(w);
  const Matrix3<T> WV = W * V, VW = V * W, WVW = WV * W, W2 = W * W;
  return T(0.5) * V + coef_c1(theta) * (WV + VW + WVW) + coef_c2(theta) * (W2 * V + V * W2 - T(3) * WVW) +
         coef_c3(theta) * (WVW * W + W * WVW);
}
}  // namespace detail

/// A rigid motion. Thread-safety: a value type; const methods are safe to call concurrently.
template <class T>
class SE3 {
 public:
  using Scalar = T;
  using Tangent = Vector6<T>;
  using Point = Vector3<T>;
  static constexpr int DoF = 6;

  /// The identity.
  SE3() noexcept : t_(Point::Zero()) {}
  /// From a rotation and a translation.
  SE3(const SO3<T>& R, const Point& t) noexcept : R_(R), t_(t) {}

  /// From a 4×4 (or 3×4) matrix [R | t]; R is validated and projected as SO3::from_matrix
  /// (tolerance on ‖RᵀR − I‖_F, default 1e-2), the last row of a 4×4 must be (0, 0, 0, 1).
  template <class Derived>
  static SE3 from_matrix(const Eigen::MatrixBase<Derived>& m, T tolerance = T(1e-2)) {
    LOCUSKIT_CHECK(m.rows() >= 3 && m.cols() == 4, std::invalid_argument, "SE3: expected a 4x4 or 3x4 matrix");
    LOCUSKIT_CHECK(m.allFinite(), std::invalid_argument, "SE3: matrix is not finite");
    if (m.rows() == 4)
      LOCUSKIT_CHECK(m(3, 0) == T(0) && m(3, 1) == T(0) && m(3, 2) == T(0) && m(3, 3) == T(1),
                     std::invalid_argument, "SE3: last row is not (0, 0, 0, 1)");
    const Matrix3<T> R = m.template block<3, 3>(0, 0);
    return SE3(SO3<T>::from_matrix(R, tolerance), m.template block<3, 1>(0, 3));
  }

  /// exp(ξ): R = exp(ω), t = J_l(ω) υ.
  static SE3 exp(const Tangent& xi) noexcept {
    const Vector3<T> v = xi.template head<3>(), w = xi.template tail<3>();
    // One sin/cos pair serves the quaternion and J_l: t = v + a (w×v) + c1 (w×(w×v)).
    const T theta = w.norm();
    T h, ch, c1;  // h = sin(θ/2)/θ, ch = cos(θ/2)
    if (theta < detail::small_angle<T>()) {
      h = T(0.5) - theta * theta / T(48);
      ch = T(1) - theta * theta / T(8);
    } else {
      const T sh = std::sin(theta / 2);
      ch = std::cos(theta / 2);
      h = sh / theta;
    }
    if (theta < T(1)) {
      c1 = detail::coef_c1(theta);
    } else {
      c1 = (theta - T(2) * (h * theta) * ch) / (theta * theta * theta);  // sin θ = 2 sin(θ/2) cos(θ/2)
    }
    const T a = T(2) * h * h;
    const Vector3<T> wv = w.cross(v);
    const Vector3<T> t = v + a * wv + c1 * w.cross(wv);
    return SE3(SO3<T>::from_unit_quaternion_unchecked(Eigen::Quaternion<T>(ch, h * w.x(), h * w.y(), h * w.z())), t);
  }
  /// log: ξ = [J_l(ω)⁻¹ t; ω] with ‖ω‖ ≤ π.
  Tangent log() const noexcept {
    Tangent xi;
    // ω and cot(θ/2) = |w|/‖v‖ both come from the quaternion: one atan2, no further trig.
    const auto& q = R_.unit_quaternion();
    const T sgn = q.w() < T(0) ? T(-1) : T(1);
    const Vector3<T> v = sgn * q.vec();
    const T n = v.norm(), aw = std::abs(q.w());
    const T half = std::atan2(n, aw);  // θ/2
    const T theta = T(2) * half;
    const Vector3<T> w = n == T(0) ? Vector3<T>::Zero() : Vector3<T>((theta / n) * v);
    T e;
    if (theta < (std::is_same_v<T, float> ? T(0.5) : T(1e-2))) {
      e = detail::coef_jinv(theta);
    } else {
      e = (T(1) - half * aw / n) / (theta * theta);
    }
    const Vector3<T> wt = w.cross(t_);
    xi.template head<3>() = t_ - T(0.5) * wt + e * w.cross(wt);
    xi.template tail<3>() = w;
    return xi;
  }

  /// hat(ξ): the 4×4 generator [[hat ω, υ], [0, 0]].
  static Matrix4<T> hat(const Tangent& xi) noexcept {
    Matrix4<T> m = Matrix4<T>::Zero();
    m.template block<3, 3>(0, 0) = locuskit::hat<T>(xi.template tail<3>());
    m.template block<3, 1>(0, 3) = xi.template head<3>();
    return m;
  }
  /// vee: the inverse of hat (antisymmetric part of the rotation block).
  static Tangent vee(const Matrix4<T>& m) noexcept {
    Tangent xi;
    xi.template head<3>() = m.template block<3, 1>(0, 3);
    xi.template tail<3>() = locuskit::vee<T>(m.template block<3, 3>(0, 0));
    return xi;
  }

  /// Composition (this ∘ other).
  SE3 operator*(const SE3& o) const noexcept { return SE3(R_ * o.R_, R_ * o.t_ + t_); }
  /// Acts on a point: R p + t.
  Point operator*(const Point& p) const noexcept { return R_ * p + t_; }
  /// The inverse (Rᵀ, −Rᵀ t).
  SE3 inverse() const noexcept {
    const SO3<T> Ri = R_.inverse();
    return SE3(Ri, -(Ri * t_));
  }

  /// Adjoint (6×6, order [υ; ω]): [[R, hat(t) R], [0, R]].
  Matrix6<T> adjoint() const noexcept {
    const Matrix3<T> R = R_.matrix();
    Matrix6<T> a = Matrix6<T>::Zero();
    a.template block<3, 3>(0, 0) = R;
    a.template block<3, 3>(3, 3) = R;
    a.template block<3, 3>(0, 3) = locuskit::hat<T>(t_) * R;
    return a;
  }

  /// Left Jacobian Σ ad(ξ)ⁿ/(n+1)! = [[J_l(ω), Q(υ, ω)], [0, J_l(ω)]] (Barfoot's Q).
  static Matrix6<T> left_jacobian(const Tangent& xi) noexcept {
    const Vector3<T> v = xi.template head<3>(), w = xi.template tail<3>();
    const Matrix3<T> J = SO3<T>::left_jacobian(w);
    Matrix6<T> out = Matrix6<T>::Zero();
    out.template block<3, 3>(0, 0) = J;
    out.template block<3, 3>(3, 3) = J;
    out.template block<3, 3>(0, 3) = detail::se3_q_block(v, w);
    return out;
  }
  /// J_l(ξ)⁻¹ = [[J⁻¹, −J⁻¹ Q J⁻¹], [0, J⁻¹]].
  static Matrix6<T> left_jacobian_inverse(const Tangent& xi) noexcept {
    const Vector3<T> v = xi.template head<3>(), w = xi.template tail<3>();
    const Matrix3<T> Ji = SO3<T>::left_jacobian_inverse(w);
    Matrix6<T> out = Matrix6<T>::Zero();
    out.template block<3, 3>(0, 0) = Ji;
    out.template block<3, 3>(3, 3) = Ji;
    out.template block<3, 3>(0, 3) = -Ji * detail::se3_q_block(v, w) * Ji;
    return out;
  }
  /// J_r(ξ) = J_l(−ξ).
  static Matrix6<T> right_jacobian(const Tangent& xi) noexcept { return left_jacobian(-xi); }
  /// J_r(ξ)⁻¹ = J_l(−ξ)⁻¹.
  static Matrix6<T> right_jacobian_inverse(const Tangent& xi) noexcept { return left_jacobian_inverse(-xi); }

  /// Geodesic interpolation a · exp(t · log(a⁻¹ b)).
  static SE3 interpolate(const SE3& a, const SE3& b, T t) noexcept {
    return a * exp(t * (a.inverse() * b).log());
  }

  /// Iterative mean: x ← x · exp(mean_i log(x⁻¹ xᵢ)) until the update is below `tol` (or
  /// `max_iterations`), starting from the first pose. O(n · iterations). Throws on empty input.
  static SE3 average(const std::vector<SE3>& poses, int max_iterations = 50, T tol = T(1e-12)) {
    LOCUSKIT_CHECK(!poses.empty(), std::invalid_argument, "SE3::average: no poses");
    SE3 x = poses.front();
    for (int it = 0; it < max_iterations; ++it) {
      Tangent acc = Tangent::Zero();
      for (const auto& p : poses) acc += (x.inverse() * p).log();
      acc /= static_cast<T>(poses.size());
      x = x * exp(acc);
      if (acc.norm() < tol) break;
    }
    return x;
  }

  /// 4×4 homogeneous matrix.
  Matrix4<T> matrix() const noexcept {
    Matrix4<T> m = Matrix4<T>::Identity();
    m.template block<3, 3>(0, 0) = R_.matrix();
    m.template block<3, 1>(0, 3) = t_;
    return m;
  }
  const SO3<T>& so3() const noexcept { return R_; }
  const Point& translation() const noexcept { return t_; }

 private:
  SO3<T> R_;
  Point t_;
};

using SE3d = SE3<double>;
using SE3f = SE3<float>;

}  // namespace locuskit
