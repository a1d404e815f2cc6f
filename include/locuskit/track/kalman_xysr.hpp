#pragma once
/// \file track/kalman_xysr.hpp
/// Constant-velocity Kalman filter on boxes in SORT's state convention: state
/// `(cx, cy, s, r, vcx, vcy, vs)` with `s = w·h` (area) and `r = w / h` (no velocity on r),
/// measurement `(cx, cy, s, r)`, fixed noise (sort.py's KalmanBoxTracker on filterpy 1.4.5:
/// R = diag(1, 1, 10, 10), P0 = diag(10, 10, 10, 10, 1e4, 1e4, 1e4), Q = diag(1, 1, 1, 1, .01, .01, 1e-4)),
/// Joseph-form update. Results equal SORT's to rounding (it goes through BLAS/LAPACK).
#include <cmath>
#include <utility>

namespace locuskit::track {

/// Mean (7) and row-major covariance (7x7) of one SORT track.
struct KalmanXYSRState {
  double mean[7];
  double cov[49];
};

/// SORT's filter; stateless, thread-safe.
struct KalmanXYSR {
  /// New track from a measurement `(cx, cy, s, r)`.
  KalmanXYSRState initiate(const double measurement[4]) const noexcept {
    KalmanXYSRState st{};
    for (int i = 0; i < 4; ++i) st.mean[i] = measurement[i];
    for (int i = 0; i < 7; ++i) st.cov[i * 7 + i] = i < 4 ? 10.0 : 10000.0;
    return st;
  }

  /// One step. As sort.py, a predicted negative area is avoided by zeroing the area velocity
  /// first when `s + vs <= 0`.
  void predict(KalmanXYSRState& st) const noexcept {
    if (st.mean[6] + st.mean[2] <= 0) st.mean[6] *= 0.0;
    for (int i = 0; i < 3; ++i) st.mean[i] += st.mean[i + 4];
    double* P = st.cov;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 7; ++j) P[i * 7 + j] += P[(i + 4) * 7 + j];
    for (int i = 0; i < 7; ++i)
      for (int j = 0; j < 3; ++j) P[i * 7 + j] += P[i * 7 + j + 4];
    const double q[7] = {1, 1, 1, 1, 0.01, 0.01, 0.0001};
    for (int i = 0; i < 7; ++i) P[i * 7 + i] += q[i];
  }

  /// filterpy's update: `S = H P Hᵀ + R`, `K = P Hᵀ S⁻¹`, `x += K y`,
  /// `P = (I - K H) P (I - K H)ᵀ + K R Kᵀ`.
  void update(KalmanXYSRState& st, const double measurement[4]) const noexcept {
    const double R[4] = {1, 1, 10, 10};
    double S[16];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) S[i * 4 + j] = st.cov[i * 7 + j] + (i == j ? R[i] : 0.0);
    double SI[16];
    invert4(S, SI);
    double K[28];  // P Hᵀ S⁻¹, 7x4
    for (int a = 0; a < 7; ++a)
      for (int j = 0; j < 4; ++j) {
        double v = 0;
        for (int i = 0; i < 4; ++i) v += st.cov[a * 7 + i] * SI[i * 4 + j];
        K[a * 4 + j] = v;
      }
    double y[4];
    for (int i = 0; i < 4; ++i) y[i] = measurement[i] - st.mean[i];
    for (int a = 0; a < 7; ++a) {
      double v = 0;
      for (int i = 0; i < 4; ++i) v += K[a * 4 + i] * y[i];
      st.mean[a] += v;
    }
    double A[49];  // I - K H
    for (int a = 0; a < 7; ++a)
      for (int b = 0; b < 7; ++b) A[a * 7 + b] = (a == b ? 1.0 : 0.0) - (b < 4 ? K[a * 4 + b] : 0.0);
    double AP[49];
    for (int a = 0; a < 7; ++a)
      for (int b = 0; b < 7; ++b) {
        double v = 0;
        for (int k = 0; k < 7; ++k) v += A[a * 7 + k] * st.cov[k * 7 + b];
        AP[a * 7 + b] = v;
      }
    for (int a = 0; a < 7; ++a)
      for (int b = 0; b < 7; ++b) {
        double v = 0;
        for (int k = 0; k < 7; ++k) v += AP[a * 7 + k] * A[b * 7 + k];
        double w = 0;
        for (int k = 0; k < 4; ++k) w += K[a * 4 + k] * R[k] * K[b * 4 + k];
        st.cov[a * 7 + b] = v + w;
      }
  }

 private:
  // Gauss-Jordan with partial pivoting (S is symmetric positive definite, so it never fails).
  static void invert4(const double* S, double* out) noexcept {
    double m[4][8];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 8; ++j) m[i][j] = j < 4 ? S[i * 4 + j] : (j - 4 == i ? 1.0 : 0.0);
    for (int c = 0; c < 4; ++c) {
      int p = c;
      for (int r = c + 1; r < 4; ++r)
        if (std::fabs(m[r][c]) > std::fabs(m[p][c])) p = r;
      if (p != c)
        for (int j = 0; j < 8; ++j) std::swap(m[p][j], m[c][j]);
      const double d = m[c][c];
      for (int j = 0; j < 8; ++j) m[c][j] /= d;
      for (int r = 0; r < 4; ++r)
        if (r != c) {
          const double f = m[r][c];
          for (int j = 0; j < 8; ++j) m[r][j] -= f * m[c][j];
        }
    }
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) out[i * 4 + j] = m[i][j + 4];
  }
};

/// `(x1, y1, x2, y2)` -> `(cx, cy, s, r)` in sort.py's operation order.
inline void xyxy_to_xysr(const double b[4], double z[4]) noexcept {
  const double w = b[2] - b[0], h = b[3] - b[1];
  z[0] = b[0] + w / 2.0;
  z[1] = b[1] + h / 2.0;
  z[2] = w * h;
  z[3] = w / h;
}

/// `(cx, cy, s, r)` -> `(x1, y1, x2, y2)`: `w = sqrt(s r)`, `h = s / w` (NaN when `s r < 0`).
inline void xysr_to_xyxy(const double x[4], double b[4]) noexcept {
  const double w = std::sqrt(x[2] * x[3]);
  const double h = x[2] / w;
  b[0] = x[0] - w / 2.0;
  b[1] = x[1] - h / 2.0;
  b[2] = x[0] + w / 2.0;
  b[3] = x[1] + h / 2.0;
}

}  // namespace locuskit::track
