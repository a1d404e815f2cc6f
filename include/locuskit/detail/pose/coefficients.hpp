#pragma once
/// \file coefficients.hpp
/// Scalar coefficients of the SO(3)/SE(3) closed forms, each with its own series threshold
/// (notes §G): closed forms cancel catastrophically at small angles, the series do not.
#include <cmath>
#include <limits>
#include <type_traits>

namespace locuskit::detail {

/// Below this angle the two-term series of sin(θ/2)/θ is exact to rounding (≈ eps^(1/3)).
template <class T>
constexpr T small_angle() noexcept {
  return std::is_same_v<T, float> ? T(4e-3) : T(5e-6);
}

/// sin(θ/2)/θ (the vector part of exp's quaternion divided by θ); 1/2 at θ = 0.
template <class T>
T half_sinc(T theta) noexcept {
  // Series error θ⁴/3840 is far below eps there.
  if (theta < small_angle<T>()) return T(0.5) - theta * theta / T(48);
  return std::sin(theta / 2) / theta;
}

/// sin θ / θ.
template <class T>
T sinc(T theta) noexcept {
  if (theta < small_angle<T>()) return T(1) - theta * theta / T(6);
  return std::sin(theta) / theta;
}

/// 1/n! for n = 0..33, computed at compile time.
struct InverseFactorials {
  double v[34];
  constexpr InverseFactorials() : v{} {
    double f = 1;
    for (int n = 0; n < 34; ++n) {
      if (n > 0) f *= n;
      v[n] = 1.0 / f;
    }
  }
};
inline constexpr InverseFactorials inverse_factorials{};

/// Σ_{j<14} (−θ²)^j · w_j / (2j + k)!, w_j = j + 1 if `weighted` else 1, by Horner
/// (k = 3, 4, 5 give c1, c2, c3).
template <class T>
T alternating_series(T theta2, int k, bool weighted) noexcept {
  constexpr int terms = 14;
  T acc = 0;
  for (int j = terms - 1; j >= 0; --j) {
    const T coef = static_cast<T>((weighted ? (j + 1) : 1) * inverse_factorials.v[2 * j + k]);
    acc = coef - theta2 * acc;
  }
  return acc;
}

/// a = (1 − cos θ)/θ², written 2 sin²(θ/2)/θ² (no cancellation); 1/2 at θ = 0.
template <class T>
T coef_a(T theta) noexcept {
  const T h = half_sinc(theta);  // sin(θ/2)/θ
  return T(2) * h * h;
}

/// c1 = b = (θ − sin θ)/θ³; series for θ < 1.
template <class T>
T coef_c1(T theta) noexcept {
  if (theta < T(1)) return alternating_series(theta * theta, 3, false);
  return (theta - std::sin(theta)) / (theta * theta * theta);
}

/// c2 = (θ² + 2 cos θ − 2)/(2θ⁴); series for θ < 1.
template <class T>
T coef_c2(T theta) noexcept {
  if (theta < T(1)) return alternating_series(theta * theta, 4, false);
  const T t2 = theta * theta;
  return (t2 + T(2) * std::cos(theta) - T(2)) / (T(2) * t2 * t2);
}

/// c3 = (2θ − 3 sin θ + θ cos θ)/(2θ⁵); series for θ < 1.
template <class T>
T coef_c3(T theta) noexcept {
  if (theta < T(1)) return alternating_series(theta * theta, 5, true);
  const T t2 = theta * theta;
  return (T(2) * theta - T(3) * std::sin(theta) + theta * std::cos(theta)) / (T(2) * t2 * t2 * theta);
}

/// e = (1 − (θ/2) cot(θ/2))/θ², the Ω² coefficient of J_l⁻¹; Bernoulli series at small θ.
template <class T>
T coef_jinv(T theta) noexcept {
  const T threshold = std::is_same_v<T, float> ? T(0.5) : T(1e-2);
  const T t2 = theta * theta;
  if (theta < threshold) {
    // Σ |B_2n| θ^(2n−2) / (2n)!
    return T(1.0 / 12) +
           t2 * (T(1.0 / 720) +
                 t2 * (T(1.0 / 30240) +
                       t2 * (T(1.0 / 1209600) + t2 * (T(1.0 / 47900160) + t2 * T(691.0 / 2730 / 479001600)))));
  }
  const T half = theta / 2;
  return (T(1) - half * std::cos(half) / std::sin(half)) / t2;
}

}  // namespace locuskit::detail
