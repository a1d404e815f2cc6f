#pragma once
/// \file track/kalman_xyah.hpp
/// Constant-velocity Kalman filter on boxes in ByteTrack's (and DeepSORT's) state convention:
/// state `(cx, cy, a, h, vcx, vcy, va, vh)` with `a = w / h`, measurement `(cx, cy, a, h)`, dt = 1,
/// noise proportional to the box height (ByteTrack `yolox/tracker/kalman_filter.py`). Everything in
/// double; results equal ByteTrack's to rounding (it goes through BLAS/LAPACK), not bit for bit.
#include <cmath>

namespace locuskit::track {

/// Mean (8) and row-major covariance (8x8) of one track. Plain data; copying is cheap enough.
struct KalmanXYAHState {
  double mean[8];
  double cov[64];
};

/// ByteTrack's filter. Stateless apart from the two noise weights; thread-safe.
struct KalmanXYAH {
  double std_weight_position = 1.0 / 20;
  double std_weight_velocity = 1.0 / 160;

  /// New track from a measurement `(cx, cy, a, h)`: zero velocity, diagonal covariance scaled by h.
  KalmanXYAHState initiate(const double measurement[4]) const noexcept {
    KalmanXYAHState s{};
    const double h = measurement[3];
    const double std[8] = {2 * std_weight_position * h, 2 * std_weight_position * h, 1e-2,
                           2 * std_weight_position * h, 10 * std_weight_velocity * h, 10 * std_weight_velocity * h,
                           1e-5, 10 * std_weight_velocity * h};
    for (int i = 0; i < 4; ++i) s.mean[i] = measurement[i], s.mean[i + 4] = 0.0;
    for (int i = 0; i < 8; ++i) s.cov[i * 8 + i] = std[i] * std[i];
    return s;
  }

  /// One step: `mean = F mean`, `P = F P Fᵀ + Q`, with Q from the height of the prior mean.
  /// The axes never mix (F, Q, H and R act on each (value, velocity) pair alone and initiate()
  /// starts diagonal), so P stays four 2x2 blocks and only those are computed: the same values
  /// as the full 8x8 products, whose other terms are exact zeros. Precondition: `s` comes from
  /// initiate() / predict() / update() (no covariance between axes).
  void predict(KalmanXYAHState& s) const noexcept {
    const double h = s.mean[3];
    const double q[8] = {std_weight_position * h, std_weight_position * h, 1e-2, std_weight_position * h,
                         std_weight_velocity * h, std_weight_velocity * h, 1e-5, std_weight_velocity * h};
    double* P = s.cov;
    for (int i = 0; i < 4; ++i) {
      const int v = i + 4;
      s.mean[i] += s.mean[v];
      // F P Fᵀ in the order of "rows i += rows v, then columns i += columns v".
      const double pii = P[i * 8 + i] + P[v * 8 + i], piv = P[i * 8 + v] + P[v * 8 + v];
      P[i * 8 + i] = pii + piv;
      P[i * 8 + v] = piv;
      P[v * 8 + i] = P[v * 8 + i] + P[v * 8 + v];
      P[i * 8 + i] += q[i] * q[i];
      P[v * 8 + v] += q[v] * q[v];
    }
  }

  /// Correction with measurement `(cx, cy, a, h)`: ByteTrack's Cholesky solve of the projected
  /// covariance (diagonal here, so `K = (P Hᵀ / L) / L` with `L = sqrt(S)` per axis),
  /// `mean += K (z - H mean)`, `P -= K S Kᵀ` (not Joseph's form). Same precondition as predict().
  void update(KalmanXYAHState& s, const double measurement[4]) const noexcept {
    const double h = s.mean[3];
    const double r[4] = {std_weight_position * h, std_weight_position * h, 1e-1, std_weight_position * h};
    double* P = s.cov;
    double innovation[4], k_pos[4], k_vel[4], S[4];
    for (int i = 0; i < 4; ++i) {
      const int v = i + 4;
      S[i] = P[i * 8 + i] + r[i] * r[i];
      const double L = std::sqrt(S[i]);
      k_pos[i] = P[i * 8 + i] / L / L;  // forward then back substitution
      k_vel[i] = P[i * 8 + v] / L / L;
      innovation[i] = measurement[i] - s.mean[i];
    }
    for (int i = 0; i < 4; ++i) {
      const int v = i + 4;
      s.mean[i] += innovation[i] * k_pos[i];
      s.mean[v] += innovation[i] * k_vel[i];
      const double ks_pos = k_pos[i] * S[i], ks_vel = k_vel[i] * S[i];
      P[i * 8 + i] -= ks_pos * k_pos[i];
      P[i * 8 + v] -= ks_pos * k_vel[i];
      P[v * 8 + i] -= ks_vel * k_pos[i];
      P[v * 8 + v] -= ks_vel * k_vel[i];
    }
  }
};

/// `(x1, y1, w, h)` -> `(cx, cy, w / h, h)`, in ByteTrack's operation order.
inline void tlwh_to_xyah(const double tlwh[4], double xyah[4]) noexcept {
  xyah[0] = tlwh[0] + tlwh[2] / 2;
  xyah[1] = tlwh[1] + tlwh[3] / 2;
  xyah[2] = tlwh[2] / tlwh[3];
  xyah[3] = tlwh[3];
}

/// `(cx, cy, a, h)` -> `(x1, y1, w, h)`, in ByteTrack's operation order.
inline void xyah_to_tlwh(const double xyah[4], double tlwh[4]) noexcept {
  tlwh[2] = xyah[2] * xyah[3];
  tlwh[3] = xyah[3];
  tlwh[0] = xyah[0] - tlwh[2] / 2;
  tlwh[1] = xyah[1] - tlwh[3] / 2;
}

}  // namespace locuskit::track
