// SO3 / SE3 / Sim3: property tests over float and double with fixed seeds (exp∘log, group axioms,
// Jacobians against central finite differences, interpolation endpoints, tolerant construction),
// plus closed forms checked against their defining series evaluated in long double.
#include <locuskit/pose/se3.hpp>
#include <locuskit/pose/sim3.hpp>
#include <locuskit/pose/so3.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
template <class T>
T tol() {
  return std::is_same_v<T, float> ? T(2e-5) : T(1e-12);
}

template <class T>
Vector3<T> random_rotvec(std::mt19937& rng, int i) {
  std::normal_distribution<double> n(0, 1);
  Eigen::Vector3d a(n(rng), n(rng), n(rng));
  a.normalize();
  // angles over many decades, exact 0, up to just below pi
  const double decades[] = {0.0, 1e-12, 1e-9, 1e-6, 1e-3, 0.1, 1.0, 2.5, 3.1};
  const double theta = decades[i % 9] * (i % 9 == 0 ? 1 : std::uniform_real_distribution<double>(0.5, 1.0)(rng));
  return (a * theta).template cast<T>();
}

/// Σ_{n<40} ad^n/(n+1)! in long double: the definition of the left Jacobian.
template <int D>
Eigen::Matrix<long double, D, D> series_jacobian(const Eigen::Matrix<long double, D, D>& ad) {
  Eigen::Matrix<long double, D, D> term = Eigen::Matrix<long double, D, D>::Identity(), acc = term;
  for (int n = 1; n < 60; ++n) {
    term = term * ad / static_cast<long double>(n + 1);
    acc += term;
  }
  return acc;
}
}  // namespace

TEST_CASE_TEMPLATE("SO3: exp/log round trip, inverse, composition, jacobians", T, float, double) {
  std::mt19937 rng(1);
  for (int i = 0; i < 900; ++i) {
    const Vector3<T> w = random_rotvec<T>(rng, i);
    const SO3<T> R = SO3<T>::exp(w);
    CHECK((R.log() - w).norm() <= tol<T>() * (1 + w.norm()));
    CHECK((R.matrix() * R.matrix().transpose() - Matrix3<T>::Identity()).norm() <= tol<T>());
    CHECK(((R * R.inverse()).matrix() - Matrix3<T>::Identity()).norm() <= tol<T>());
    // J_l against its series definition in long double
    Eigen::Matrix<long double, 3, 3> ad = hat<long double>(w.template cast<long double>());
    const Eigen::Matrix<long double, 3, 3> Js = series_jacobian<3>(ad);
    CHECK((SO3<T>::left_jacobian(w).template cast<long double>() - Js).norm() <= 10 * std::numeric_limits<T>::epsilon());
    CHECK((SO3<T>::left_jacobian_inverse(w) * SO3<T>::left_jacobian(w) - Matrix3<T>::Identity()).norm() <=
          10 * tol<T>());
  }
}

TEST_CASE_TEMPLATE("SO3: tolerant construction and validation", T, float, double) {
  std::mt19937 rng(2);
  const SO3<T> R = SO3<T>::exp(random_rotvec<T>(rng, 6));
  Matrix3<T> noisy = R.matrix();
  noisy(0, 1) += T(1e-6);
  const SO3<T> P = SO3<T>::from_matrix(noisy);  // projected, not rejected
  CHECK((P.matrix() - R.matrix()).norm() <= T(2e-6));
  const auto q = R.unit_quaternion();
  const SO3<T> Q = SO3<T>::from_quaternion(q.x() * T(1.0001), q.y() * T(1.0001), q.z() * T(1.0001), q.w() * T(1.0001));
  CHECK((Q.matrix() - R.matrix()).norm() <= tol<T>() * 10);
  CHECK_THROWS_AS(SO3<T>::from_quaternion(T(0), T(0), T(0), T(0)), std::invalid_argument);
  CHECK_THROWS_AS(SO3<T>::from_quaternion(std::nan(""), T(0), T(0), T(1)), std::invalid_argument);
  CHECK_THROWS_AS(SO3<T>::from_matrix(Matrix3<T>::Zero()), std::invalid_argument);
  CHECK_THROWS_AS(SO3<T>::from_matrix(Matrix3<T>(Eigen::DiagonalMatrix<T, 3>(T(1), T(1), T(-1)))), std::invalid_argument);
  CHECK_THROWS_AS(SO3<T>::from_euler("xx", Vector3<T>::Zero()), std::invalid_argument);
}

TEST_CASE_TEMPLATE("SO3: Euler round trip", T, float, double) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-3, 3);
  for (const char* seq : {"xyz", "ZYX", "zxz", "XZX", "yzx"}) {
    for (int i = 0; i < 100; ++i) {
      const SO3<T> R = SO3<T>::exp(Vector3<T>(T(u(rng)), T(u(rng)), T(u(rng))) / T(2));
      const Vector3<T> a = R.to_euler(seq);
      CHECK((SO3<T>::from_euler(seq, a).matrix() - R.matrix()).norm() <= tol<T>() * 10);
    }
  }
}

TEST_CASE_TEMPLATE("SE3: exp/log, axioms, adjoint, jacobian vs series and finite differences", T, float, double) {
  std::mt19937 rng(4);
  std::normal_distribution<double> n(0, 2);
  for (int i = 0; i < 450; ++i) {
    Vector6<T> xi;
    xi.template head<3>() = Vector3<T>(T(n(rng)), T(n(rng)), T(n(rng)));
    xi.template tail<3>() = random_rotvec<T>(rng, i);
    const SE3<T> g = SE3<T>::exp(xi);
    CHECK((g.log() - xi).norm() <= 10 * tol<T>() * (1 + xi.norm()));
    CHECK(((g * g.inverse()).matrix() - Matrix4<T>::Identity()).norm() <= 10 * tol<T>());
    // hat/vee and the matrix exponential agree
    CHECK((SE3<T>::vee(SE3<T>::hat(xi)) - xi).norm() == T(0));
    // Ad: g exp(x) g^-1 = exp(Ad x)
    Vector6<T> x = xi / T(4);
    const Matrix4<T> lhs = (g * SE3<T>::exp(x) * g.inverse()).matrix();
    const Matrix4<T> rhs = SE3<T>::exp(g.adjoint() * x).matrix();
    CHECK((lhs - rhs).norm() <= 100 * tol<T>() * (1 + xi.norm()));
    // J_l against its series definition
    Eigen::Matrix<long double, 6, 6> ad = Eigen::Matrix<long double, 6, 6>::Zero();
    const Eigen::Matrix<long double, 6, 1> xl = xi.template cast<long double>();
    ad.template block<3, 3>(0, 0) = hat<long double>(xl.template tail<3>());
    ad.template block<3, 3>(3, 3) = hat<long double>(xl.template tail<3>());
    ad.template block<3, 3>(0, 3) = hat<long double>(xl.template head<3>());
    const auto Js = series_jacobian<6>(ad);
    CHECK((SE3<T>::left_jacobian(xi).template cast<long double>() - Js).norm() <=
          50 * std::numeric_limits<T>::epsilon() * (1 + Js.norm()));
    CHECK((SE3<T>::left_jacobian_inverse(xi) * SE3<T>::left_jacobian(xi) - Matrix6<T>::Identity()).norm() <=
          100 * tol<T>() * (1 + xi.norm()));
  }
  // finite differences in double: J_l v ≈ (log(exp(x + h v) exp(x)^-1) − log(exp(x − h v) exp(x)^-1)) / 2h
  if constexpr (std::is_same_v<T, double>) {
    for (int i = 0; i < 30; ++i) {
      Vector6<double> x;
      for (int k = 0; k < 6; ++k) x[k] = n(rng) / 2;
      const SE3d inv = SE3d::exp(x).inverse();
      Matrix6<double> fd;
      for (int k = 0; k < 6; ++k) {
        Vector6<double> e = Vector6<double>::Zero();
        e[k] = 1e-6;
        fd.col(k) = ((SE3d::exp(x + e) * inv).log() - (SE3d::exp(x - e) * inv).log()) / 2e-6;
      }
      CHECK((fd - SE3d::left_jacobian(x)).cwiseAbs().maxCoeff() <= 1e-8);
    }
  }
}

TEST_CASE_TEMPLATE("SE3/SO3: interpolation endpoints and averaging", T, float, double) {
  std::mt19937 rng(5);
  std::normal_distribution<double> n(0, 1);
  std::vector<SE3<T>> around;
  Vector6<T> c;
  for (int k = 0; k < 6; ++k) c[k] = T(n(rng));
  const SE3<T> center = SE3<T>::exp(c);
  for (int i = 0; i < 20; ++i) {
    Vector6<T> d;
    for (int k = 0; k < 6; ++k) d[k] = T(n(rng) / 10);
    const SE3<T> a = SE3<T>::exp(d), b = SE3<T>::exp(-d);
    CHECK((SE3<T>::interpolate(a, b, T(0)).matrix() - a.matrix()).norm() <= 10 * tol<T>());
    CHECK((SE3<T>::interpolate(a, b, T(1)).matrix() - b.matrix()).norm() <= 10 * tol<T>());
    CHECK((SE3<T>::interpolate(a, b, T(0.5)).matrix() - Matrix4<T>::Identity()).norm() <= 10 * tol<T>());
    around.push_back(center * a);
    around.push_back(center * b);
  }
  CHECK((SE3<T>::average(around).matrix() - center.matrix()).norm() <= T(1e-2));
  std::vector<SO3<T>> rots{SO3<T>::exp(Vector3<T>(T(0.1), 0, 0)), SO3<T>::exp(Vector3<T>(T(-0.1), 0, 0))};
  CHECK(SO3<T>::average(rots).angle() <= T(1e-6));
}

TEST_CASE_TEMPLATE("Sim3: exp/log at tiny scale and angle, composition, jacobian", T, float, double) {
  std::mt19937 rng(6);
  std::normal_distribution<double> n(0, 1);
  const double sigmas[] = {0.0, 1e-12, 1e-9, -1e-6, 1e-3, 0.5, -0.9, 1.0, 2.0, -3.0};
  for (int i = 0; i < 450; ++i) {
    Vector7<T> z;
    z.template head<3>() = Vector3<T>(T(n(rng)), T(n(rng)), T(n(rng)));
    z.template segment<3>(3) = random_rotvec<T>(rng, i);
    z[6] = T(sigmas[i % 10]);
    const Sim3<T> g = Sim3<T>::exp(z);
    CHECK((g.log() - z).norm() <= 50 * tol<T>() * (1 + z.norm()));
    // W against the series Σ X^k/(k+1)! in long double: t = W υ
    Eigen::Matrix<long double, 3, 3> X = hat<long double>(z.template segment<3>(3).template cast<long double>()) +
                                         static_cast<long double>(z[6]) * Eigen::Matrix<long double, 3, 3>::Identity();
    const auto W = series_jacobian<3>(X);
    const Eigen::Matrix<long double, 3, 1> t = W * z.template head<3>().template cast<long double>();
    CHECK((g.translation().template cast<long double>() - t).norm() <=
          20 * std::numeric_limits<T>::epsilon() * (1 + t.norm()));
    CHECK(((g * g.inverse()).matrix() - Matrix4<T>::Identity()).norm() <= 100 * tol<T>() * (1 + z.norm()));
    // J_l against its series definition
    const auto Js = series_jacobian<7>(Sim3<long double>::ad(z.template cast<long double>()));
    CHECK((Sim3<T>::left_jacobian(z).template cast<long double>() - Js).norm() <=
          200 * std::numeric_limits<T>::epsilon() * (1 + Js.norm()));
  }
  CHECK_THROWS_AS(Sim3<T>::from_matrix(Matrix4<T>::Zero()), std::invalid_argument);
  Matrix4<T> m = Matrix4<T>::Identity();
  m.template block<3, 3>(0, 0) *= T(2);
  CHECK(Sim3<T>::from_matrix(m).scale() == doctest::Approx(2.0));
}
