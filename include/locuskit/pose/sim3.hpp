#pragma once
/// \file sim3.hpp
/// Sim(3): similarities (s, R, t) acting as p ↦ s R p + t. Tangent ζ = [υ; ω; σ] with s = e^σ.
/// exp/log use W = Σ Xᵏ/(k+1)! (X = hat ω + σI) evaluated without cancellation at small σ and θ
/// (expm1, matrix series), notes §G.33.
#include <Eigen/Core>
#include <Eigen/LU>
#include <cmath>
#include <unsupported/Eigen/MatrixFunctions>
#include <vector>

#include <locuskit/pose/se3.hpp>

namespace locuskit {

template <class T>
using Vector7 = Eigen::Matrix<T, 7, 1>;
template <class T>
using Matrix7 = Eigen::Matrix<T, 7, 7>;

namespace detail {

/// W(ω, σ) = Σ_k Xᵏ/(k+1)!, X = hat(ω) + σI: t = W υ in Sim(3) exp.
template <class T>
Matrix3<T> sim3_w(const Vector3<T>& w, T sigma) noexcept {
  const T theta = w.norm();
  const Matrix3<T> Om = hat(w);
  const Matrix3<T> I = Matrix3<T>::Identity();
  if (std::abs(sigma) >= T(1)) {
    // X is well conditioned (|eigenvalues| ≥ 1): W = (e^X − I) X⁻¹ with e^X = e^σ R.
    const Matrix3<T> X = Om + sigma * I;
    const Matrix3<T> eX = std::exp(sigma) * SO3<T>::exp(w).matrix();
    return (eX - I) * X.inverse();
  }
  if (theta < T(1)) {
    // ‖X‖ < 2: the power series converges fast and has no cancellation.
    const Matrix3<T> X = Om + sigma * I;
    Matrix3<T> term = I, acc = I;
    for (int k = 1; k < 30; ++k) {
      term = term * X / static_cast<T>(k + 1);
      acc += term;
      if (term.cwiseAbs().maxCoeff() < std::numeric_limits<T>::epsilon() * T(1e-3)) break;
    }
    return acc;
  }
  // θ ≥ 1, |σ| < 1: closed form with expm1 (1 − e^σ cos θ = 2 sin²(θ/2) − expm1(σ) cos θ).
  const T C = sigma == T(0) ? T(1) : std::expm1(sigma) / sigma;
  const T sh = std::sin(theta / 2);
  const T one_minus_ecos = T(2) * sh * sh - std::expm1(sigma) * std::cos(theta);
  const T es = std::exp(sigma) * std::sin(theta);
  const T den = sigma * sigma + theta * theta;
  const T Is = (sigma * es + theta * one_minus_ecos) / den;
  const T Ic = (theta * es - sigma * one_minus_ecos) / den;
  const T A = Is / theta;
  const T B = (C - Ic) / (theta * theta);
  return A * Om + B * (Om * Om) + C * I;
}

}  // namespace detail

/// A similarity transform. Thread-safety: a value type; const methods are safe concurrently.
template <class T>
class Sim3 {
 public:
  using Scalar = T;
  using Tangent = Vector7<T>;
  using Point = Vector3<T>;
  static constexpr int DoF = 7;

  /// The identity.
  Sim3() noexcept : s_(1), t_(Point::Zero()) {}
  /// From a scale s > 0, a rotation and a translation (s is not validated here).
  Sim3(T scale, const SO3<T>& R, const Point& t) noexcept : s_(scale), R_(R), t_(t) {}

  /// From a 4×4 (or 3×4) matrix [[sR, t], [0, 1]]: s = cbrt(det(sR)) must be positive and finite,
  /// R = sR/s is validated and projected like SO3::from_matrix (tolerance default 1e-2).
  template <class Derived>
  static Sim3 from_matrix(const Eigen::MatrixBase<Derived>& m, T tolerance = T(1e-2)) {
    LOCUSKIT_CHECK(m.rows() >= 3 && m.cols() == 4, std::invalid_argument, "Sim3: expected a 4x4 or 3x4 matrix");
    LOCUSKIT_CHECK(m.allFinite(), std::invalid_argument, "Sim3: matrix is not finite");
    const Matrix3<T> sR = m.template block<3, 3>(0, 0);
    const T det = sR.determinant();
    LOCUSKIT_CHECK(det > T(0) && std::isfinite(det), std::invalid_argument,
                   "Sim3: the 3x3 block is singular or reflecting (det = ", det, ")");
    const T s = std::cbrt(det);
    return Sim3(s, SO3<T>::from_matrix(sR / s, tolerance), m.template block<3, 1>(0, 3));
  }

  /// exp(ζ): s = e^σ, R = exp(ω), t = W(ω, σ) υ.
  static Sim3 exp(const Tangent& z) noexcept {
    const Vector3<T> v = z.template head<3>(), w = z.template segment<3>(3);
    const T sigma = z[6];
    return Sim3(std::exp(sigma), SO3<T>::exp(w), detail::sim3_w(w, sigma) * v);
  }
  /// log: ζ = [W⁻¹ t; ω; log s].
  Tangent log() const noexcept {
    Tangent z;
    const Vector3<T> w = R_.log();
    const T sigma = std::log(s_);
    z.template head<3>() = detail::sim3_w(w, sigma).partialPivLu().solve(t_);
    z.template segment<3>(3) = w;
    z[6] = sigma;
    return z;
  }

  /// hat(ζ): the 4×4 generator [[hat ω + σI, υ], [0, 0]].
  static Matrix4<T> hat(const Tangent& z) noexcept {
    Matrix4<T> m = Matrix4<T>::Zero();
    m.template block<3, 3>(0, 0) = locuskit::hat<T>(z.template segment<3>(3)) + z[6] * Matrix3<T>::Identity();
    m.template block<3, 1>(0, 3) = z.template head<3>();
    return m;
  }
  /// vee: the inverse of hat.
  static Tangent vee(const Matrix4<T>& m) noexcept {
    Tangent z;
    const Matrix3<T> b = m.template block<3, 3>(0, 0);
    z.template head<3>() = m.template block<3, 1>(0, 3);
    z.template segment<3>(3) = locuskit::vee<T>(b);
    z[6] = b.trace() / T(3);
    return z;
  }

  /// Composition (this ∘ other).
  Sim3 operator*(const Sim3& o) const noexcept { return Sim3(s_ * o.s_, R_ * o.R_, s_ * (R_ * o.t_) + t_); }
  /// Acts on a point: s R p + t.
  Point operator*(const Point& p) const noexcept { return s_ * (R_ * p) + t_; }
  /// The inverse (1/s, Rᵀ, −Rᵀ t / s).
  Sim3 inverse() const noexcept {
    const SO3<T> Ri = R_.inverse();
    return Sim3(T(1) / s_, Ri, -(Ri * t_) / s_);
  }

  /// Adjoint (7×7, order [υ; ω; σ]): [[sR, hat(t) R, −t], [0, R, 0], [0, 0, 1]].
  Matrix7<T> adjoint() const noexcept {
    const Matrix3<T> R = R_.matrix();
    Matrix7<T> a = Matrix7<T>::Zero();
    a.template block<3, 3>(0, 0) = s_ * R;
    a.template block<3, 3>(0, 3) = locuskit::hat<T>(t_) * R;
    a.template block<3, 1>(0, 6) = -t_;
    a.template block<3, 3>(3, 3) = R;
    a(6, 6) = T(1);
    return a;
  }

  /// ad(ζ) (7×7): [[hat ω + σI, hat υ, −υ], [0, hat ω, 0], [0, 0, 0]].
  static Matrix7<T> ad(const Tangent& z) noexcept {
    Matrix7<T> a = Matrix7<T>::Zero();
    a.template block<3, 3>(0, 0) = locuskit::hat<T>(z.template segment<3>(3)) + z[6] * Matrix3<T>::Identity();
    a.template block<3, 3>(0, 3) = locuskit::hat<T>(z.template head<3>());
    a.template block<3, 1>(0, 6) = -z.template head<3>();
    a.template block<3, 3>(3, 3) = locuskit::hat<T>(z.template segment<3>(3));
    return a;
  }
  /// Left Jacobian Σ ad(ζ)ⁿ/(n+1)!, computed as the upper-right block of exp([[ad, I], [0, 0]])
  /// (Padé with scaling and squaring: accurate to a few ulps relative to its norm).
  static Matrix7<T> left_jacobian(const Tangent& z) {
    Eigen::Matrix<T, 14, 14> big = Eigen::Matrix<T, 14, 14>::Zero();
    big.template block<7, 7>(0, 0) = ad(z);
    big.template block<7, 7>(0, 7) = Matrix7<T>::Identity();
    const Eigen::Matrix<T, 14, 14> e = big.exp();
    return e.template block<7, 7>(0, 7);
  }
  /// J_l(ζ)⁻¹ (LU inverse of left_jacobian).
  static Matrix7<T> left_jacobian_inverse(const Tangent& z) { return left_jacobian(z).inverse(); }
  /// J_r(ζ) = J_l(−ζ).
  static Matrix7<T> right_jacobian(const Tangent& z) { return left_jacobian(-z); }
  /// J_r(ζ)⁻¹ = J_l(−ζ)⁻¹.
  static Matrix7<T> right_jacobian_inverse(const Tangent& z) { return left_jacobian_inverse(-z); }

  /// Geodesic interpolation a · exp(t · log(a⁻¹ b)).
  static Sim3 interpolate(const Sim3& a, const Sim3& b, T t) noexcept {
    return a * exp(t * (a.inverse() * b).log());
  }
  /// Iterative mean (see SE3::average).
  static Sim3 average(const std::vector<Sim3>& xs, int max_iterations = 50, T tol = T(1e-12)) {
    LOCUSKIT_CHECK(!xs.empty(), std::invalid_argument, "Sim3::average: no elements");
    Sim3 x = xs.front();
    for (int it = 0; it < max_iterations; ++it) {
      Tangent acc = Tangent::Zero();
      for (const auto& p : xs) acc += (x.inverse() * p).log();
      acc /= static_cast<T>(xs.size());
      x = x * exp(acc);
      if (acc.norm() < tol) break;
    }
    return x;
  }

  /// 4×4 matrix [[sR, t], [0, 1]].
  Matrix4<T> matrix() const noexcept {
    Matrix4<T> m = Matrix4<T>::Identity();
    m.template block<3, 3>(0, 0) = s_ * R_.matrix();
    m.template block<3, 1>(0, 3) = t_;
    return m;
  }
  T scale() const noexcept { return s_; }
  const SO3<T>& so3() const noexcept { return R_; }
  const Point& translation() const noexcept { return t_; }

 private:
  T s_;
  SO3<T> R_;
  Point t_;
};

using Sim3d = Sim3<double>;
using Sim3f = Sim3<float>;

}  // namespace locuskit
