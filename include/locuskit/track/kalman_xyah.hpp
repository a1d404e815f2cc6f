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
  void predict(KalmanXYAHState& s) const noexcept {
    const double h = s.mean[3];
    const double q[8] = {std_weight_position * h, std_weight_position * h, 1e-2, std_weight_position * h,
                         std_weight_velocity * h, std_weight_velocity * h, 1e-5, std_weight_velocity * h};
    for (int i = 0; i < 4; ++i) s.mean[i] += s.mean[i + 4];
    // F = [[I, I], [0, I]]: rows i < 4 gain row i + 4, then columns j < 4 gain column j + 4.
    double* P = s.cov;
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 8; ++j) P[i * 8 + j] += P[(i + 4) * 8 + j];
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 4; ++j) P[i * 8 + j] += P[i * 8 + j + 4];
    for (int i = 0; i < 8; ++i) P[i * 8 + i] += q[i] * q[i];
  }

  /// Correction with measurement `(cx, cy, a, h)`: Cholesky of the projected covariance, gain,
  /// `mean += K (z - H mean)`, `P -= K S Kᵀ` (ByteTrack's form, not Joseph's).
  void update(KalmanXYAHState& s, const double measurement[4]) const noexcept {
    const double h = s.mean[3];
    const double r[4] = {std_weight_position * h, std_weight_position * h, 1e-1, std_weight_position * h};
    double S[16];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) S[i * 4 + j] = s.cov[i * 8 + j];
    for (int i = 0; i < 4; ++i) S[i * 4 + i] += r[i] * r[i];
    // Cholesky S = L Lᵀ (S is symmetric positive definite by construction).
    double L[16] = {};
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j <= i; ++j) {
        double v = S[i * 4 + j];
        for (int k = 0; k < j; ++k) v -= L[i * 4 + k] * L[j * 4 + k];
        L[i * 4 + j] = i == j ? std::sqrt(v) : v / L[j * 4 + j];
      }
    // Kᵀ (4x8) solves S Kᵀ = (P Hᵀ)ᵀ = P[0:4, :].
    double Kt[32];
    for (int c = 0; c < 8; ++c) {
      double y[4];
      for (int i = 0; i < 4; ++i) {
        double v = s.cov[i * 8 + c];
        for (int k = 0; k < i; ++k) v -= L[i * 4 + k] * y[k];
        y[i] = v / L[i * 4 + i];
      }
      for (int i = 3; i >= 0; --i) {
        double v = y[i];
        for (int k = i + 1; k < 4; ++k) v -= L[k * 4 + i] * Kt[k * 8 + c];
        Kt[i * 8 + c] = v / L[i * 4 + i];
      }
    }
    double innovation[4];
    for (int i = 0; i < 4; ++i) innovation[i] = measurement[i] - s.mean[i];
    for (int c = 0; c < 8; ++c) {
      double v = 0;
      for (int i = 0; i < 4; ++i) v += innovation[i] * Kt[i * 8 + c];
      s.mean[c] += v;
    }
    double KS[32];  // K S, 8x4
    for (int a = 0; a < 8; ++a)
      for (int j = 0; j < 4; ++j) {
        double v = 0;
        for (int i = 0; i < 4; ++i) v += Kt[i * 8 + a] * S[i * 4 + j];
        KS[a * 4 + j] = v;
      }
    for (int a = 0; a < 8; ++a)
      for (int b = 0; b < 8; ++b) {
        double v = 0;
        for (int j = 0; j < 4; ++j) v += KS[a * 4 + j] * Kt[j * 8 + b];
        s.cov[a * 8 + b] -= v;
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
