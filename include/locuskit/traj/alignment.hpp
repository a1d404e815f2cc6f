#pragma once
/// \file alignment.hpp
/// Umeyama (1991) least-squares alignment of the estimate's positions onto the reference's, as
/// evo's `geometry.umeyama_alignment` (notes §C), and its application to poses.
#include <Eigen/Core>
#include <Eigen/SVD>
#include <cmath>
#include <cstddef>
#include <limits>

#include <locuskit/error.hpp>

namespace locuskit {

/// An alignment p' = s R p + t.
struct Alignment {
  Eigen::Matrix3d R = Eigen::Matrix3d::Identity();
  Eigen::Vector3d t = Eigen::Vector3d::Zero();
  double s = 1;
};

/// Umeyama alignment from x (estimate) to y (reference), positions read from n row-major 4×4
/// poses each (column 3). Uses the first `n_to_align` pairs (all if < 0 or > n). σx² and Σxy are
/// 1/n means; S = diag(1, 1, −1) when det(U)det(V) < 0; c = tr(DS)/σx² if `with_scale`, else 1.
/// Throws std::invalid_argument when fewer than 2 singular values exceed DBL_EPSILON ("degenerate"),
/// as evo. O(n). Thread-safe.
inline Alignment umeyama_alignment(const double* x_poses, const double* y_poses, std::size_t n, bool with_scale,
                                   long long n_to_align = -1) {
  if (n_to_align >= 0 && static_cast<std::size_t>(n_to_align) < n) n = static_cast<std::size_t>(n_to_align);
  LOCUSKIT_CHECK(n >= 1, std::invalid_argument, "umeyama_alignment: no poses to align");
  // One pass over the poses, with coordinates shifted by the first point (numerically as stable
  // as evo's two-pass form for trajectories, and half the memory traffic):
  // mean = x0 + Σd/n, σx² = Σ‖dx‖²/n − ‖Σdx/n‖², Σxy = Σ dy dxᵀ/n − (Σdy/n)(Σdx/n)ᵀ.
  auto pos = [](const double* P, std::size_t i) {
    return Eigen::Vector3d(P[16 * i + 3], P[16 * i + 7], P[16 * i + 11]);
  };
  const Eigen::Vector3d x0 = pos(x_poses, 0), y0 = pos(y_poses, 0);
  Eigen::Vector3d sx = Eigen::Vector3d::Zero(), sy = Eigen::Vector3d::Zero();
  double sxx = 0;
  Eigen::Matrix3d sxy = Eigen::Matrix3d::Zero();
  for (std::size_t i = 0; i < n; ++i) {
    const Eigen::Vector3d dx = pos(x_poses, i) - x0, dy = pos(y_poses, i) - y0;
    sx += dx;
    sy += dy;
    sxx += dx.squaredNorm();
    sxy.noalias() += dy * dx.transpose();
  }
  const double inv_n = 1.0 / static_cast<double>(n);
  const Eigen::Vector3d mdx = sx * inv_n, mdy = sy * inv_n;
  const Eigen::Vector3d mx = x0 + mdx, my = y0 + mdy;
  const double sigma_x = sxx * inv_n - mdx.squaredNorm();
  const Eigen::Matrix3d cov = sxy * inv_n - mdy * mdx.transpose();
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(cov, Eigen::ComputeFullU | Eigen::ComputeFullV);
  const Eigen::Vector3d d = svd.singularValues();
  int above = 0;
  for (int k = 0; k < 3; ++k) above += d[k] > std::numeric_limits<double>::epsilon();
  LOCUSKIT_CHECK(above >= 2, std::invalid_argument,
                 "umeyama_alignment: degenerate covariance (the positions are collinear or identical)");
  Eigen::Matrix3d S = Eigen::Matrix3d::Identity();
  if (svd.matrixU().determinant() * svd.matrixV().determinant() < 0) S(2, 2) = -1;
  Alignment a;
  a.R = svd.matrixU() * S * svd.matrixV().transpose();
  a.s = with_scale ? (d.asDiagonal() * S).trace() / sigma_x : 1.0;
  a.t = my - a.s * (a.R * mx);
  return a;
}

/// Applies an alignment to n row-major 4×4 poses in place, as evo: scale the positions by s, then
/// left-multiply [R | t] (P' = [R, t]·[Rᵢ, s pᵢ]). `scale_only` applies pᵢ ← s pᵢ only (evo `-s`).
inline void apply_alignment(double* poses, std::size_t n, const Alignment& a, bool scale_only = false) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    double* P = poses + 16 * i;
    const Eigen::Vector3d p(a.s * P[3], a.s * P[7], a.s * P[11]);
    if (scale_only) {
      P[3] = p[0]; P[7] = p[1]; P[11] = p[2];
      continue;
    }
    Eigen::Matrix3d Ri;
    Ri << P[0], P[1], P[2], P[4], P[5], P[6], P[8], P[9], P[10];
    const Eigen::Matrix3d Rn = a.R * Ri;
    const Eigen::Vector3d pn = a.R * p + a.t;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) P[4 * r + c] = Rn(r, c);
      P[4 * r + 3] = pn[r];
    }
  }
}

/// Left-multiplies every pose by the 4×4 row-major `T` (used for origin alignment T = Q₀ P₀⁻¹).
inline void transform_poses(double* poses, std::size_t n, const double* T) noexcept {
  Eigen::Map<const Eigen::Matrix<double, 4, 4, Eigen::RowMajor>> M(T);
  for (std::size_t i = 0; i < n; ++i) {
    Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>> P(poses + 16 * i);
    const Eigen::Matrix<double, 4, 4, Eigen::RowMajor> r = M * P;
    P = r;
  }
}

}  // namespace locuskit
