#pragma once
/// \file trajectory_metrics.hpp
/// Absolute and relative pose errors (APE, RPE) and their statistics exactly as evo defines them
/// (notes §D, §E). Poses are n row-major 4×4 float64 matrices (camera/body to world); rotation
/// inverses are transposes (evo's `se3_inverse`), angles come from the largest-pivot quaternion
/// (the projection scipy's `from_matrix` does) and atan2, never acos.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <locuskit/error.hpp>
#include <locuskit/parallel.hpp>
#include <locuskit/pose/so3.hpp>

namespace locuskit {

/// The scalar error taken from each relative pose E (evo's PoseRelation).
enum class PoseRelation {
  translation,         ///< ‖t(E)‖ (APE: ‖p_est − p_ref‖)
  rotation_angle_rad,  ///< ‖log R(E)‖ in radians, [0, π]
  rotation_angle_deg,  ///< the same in degrees
  rotation_part,       ///< ‖R(E) − I‖_F
  full,                ///< ‖E − I₄‖_F
  point_distance,      ///< APE: ‖p_est − p_ref‖; RPE: | ‖Δp_ref‖ − ‖Δp_est‖ |
};

/// RPE delta units (evo's `-u f|m|d|r`).
enum class DeltaUnit { frames, meters, degrees, radians };

/// evo's statistics of an error vector: rmse = √mean(e²), mean, median (average of the two middle
/// values for even n), std (population, ddof = 0), min, max, sse = Σe².
struct ErrorStatistics {
  double rmse = 0, mean = 0, median = 0, std = 0, min = 0, max = 0, sse = 0;
  std::size_t n = 0;
};

namespace detail {
using Mat4 = double[16];

/// Rotation angle of a (near-)rotation matrix given as row-major 3×3 inside a 4×4 (stride 4).
inline double rotation_angle(const double* P) noexcept {
  Eigen::Matrix3d m;
  m << P[0], P[1], P[2], P[4], P[5], P[6], P[8], P[9], P[10];
  double q[4];
  matrix_to_quaternion_raw<double>(m, q);
  const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
  return 2 * std::atan2(n, std::abs(q[3]));
}

/// out = inv(a) · b with the transpose as rotation inverse (evo's relative_se3).
inline void relative_se3(const double* a, const double* b, double* out) noexcept {
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) {
      double v = 0;
      for (int k = 0; k < 3; ++k) v += a[4 * k + r] * b[4 * k + c];
      out[4 * r + c] = v;
    }
    double tr = 0;
    for (int k = 0; k < 3; ++k) tr += a[4 * k + r] * a[4 * k + 3];
    out[4 * r + 3] -= tr;
  }
  out[12] = 0; out[13] = 0; out[14] = 0; out[15] = 1;
}

inline double relation_value(const double* E, PoseRelation rel) noexcept {
  switch (rel) {
    case PoseRelation::translation:
    case PoseRelation::point_distance:
      return std::sqrt(E[3] * E[3] + E[7] * E[7] + E[11] * E[11]);
    case PoseRelation::rotation_angle_rad:
      return rotation_angle(E);
    case PoseRelation::rotation_angle_deg:
      return rotation_angle(E) * (180.0 / 3.14159265358979323846);  // numpy rad2deg
    case PoseRelation::rotation_part: {
      double s = 0;
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) {
          const double d = E[4 * r + c] - (r == c);
          s += d * d;
        }
      return std::sqrt(s);
    }
    case PoseRelation::full: {
      double s = 0;
      for (int k = 0; k < 16; ++k) {
        const double d = E[k] - (k % 5 == 0);
        s += d * d;
      }
      return std::sqrt(s);
    }
  }
  return 0;
}
}  // namespace detail

/// APE: out[i] = relation(Eᵢ), Eᵢ = Pᵢ⁻¹ Qᵢ (P = estimate, Q = reference: evo's
/// `relative_se3(est, ref)`; the order matters for `full` and `rot_part` when rotations are not
/// exactly orthonormal, e.g. KITTI's 6-digit files); the translation relation is ‖p_est − p_ref‖
/// as evo computes it. n poses each; O(n); thread-safe.
inline void ape_errors(const double* ref, const double* est, std::size_t n, PoseRelation rel, double* out,
                       Parallel par = {}) noexcept {
  parallel_for(n, 4096, par, [&](std::size_t b, std::size_t e) {
    double E[16];
    for (std::size_t i = b; i < e; ++i) {
      const double* Q = ref + 16 * i;
      const double* P = est + 16 * i;
      if (rel == PoseRelation::translation || rel == PoseRelation::point_distance) {
        const double dx = P[3] - Q[3], dy = P[7] - Q[7], dz = P[11] - Q[11];
        out[i] = std::sqrt(dx * dx + dy * dy + dz * dz);
        continue;
      }
      detail::relative_se3(P, Q, E);
      out[i] = detail::relation_value(E, rel);
    }
  });
}

/// RPE pair selection on `poses` (evo's id_pairs_from_delta, always on the poses given, usually
/// the aligned estimate). frames: consecutive (0, δ), (δ, 2δ), … or all (i, i + δ). meters,
/// consecutive: walk the path, record i when the accumulated distance reaches ≥ δ (then reset;
/// index 0 is not recorded, evo's quirk), pair successive records. meters, all pairs: for every i
/// the j > i whose path distance d(i, j) is closest to δ (first on ties), kept if |d − δ| ≤ δ·rel_tol;
/// O(n log n) by binary search on the accumulated distances (evo: O(n²)). degrees/radians
/// (δ ∈ [0, 180]° or [0, π]), consecutive: accumulate the angles ‖log(Rᵢ₋₁ᵀRᵢ)‖ from index 0 and
/// emit (start, i) when the sum reaches ≥ δ, then start = i; all pairs: every (i, j > i) whose
/// direct angle ‖log(RᵢᵀRⱼ)‖ lies in [δ − δ·rel_tol, δ + δ·rel_tol], O(n²) as evo. Throws if no pair.
inline void rpe_pairs(const double* poses, std::size_t n, double delta, DeltaUnit unit, bool all_pairs,
                      double rel_tol, std::vector<std::int64_t>& first, std::vector<std::int64_t>& second) {
  first.clear();
  second.clear();
  LOCUSKIT_CHECK(delta > 0 && std::isfinite(delta), std::invalid_argument, "rpe: delta must be positive, got ", delta);
  if (unit == DeltaUnit::frames) {
    LOCUSKIT_CHECK(delta == std::floor(delta), std::invalid_argument, "rpe: a delta in frames must be an integer");
    const std::size_t d = static_cast<std::size_t>(delta);
    if (all_pairs) {
      for (std::size_t i = 0; i + d < n; ++i) {
        first.push_back(static_cast<std::int64_t>(i));
        second.push_back(static_cast<std::int64_t>(i + d));
      }
    } else {
      for (std::size_t i = 0; i + d < n; i += d) {
        first.push_back(static_cast<std::int64_t>(i));
        second.push_back(static_cast<std::int64_t>(i + d));
      }
    }
  } else if (unit == DeltaUnit::degrees || unit == DeltaUnit::radians) {
    const bool deg = unit == DeltaUnit::degrees;
    const double bound = deg ? 180.0 : 3.14159265358979323846;
    LOCUSKIT_CHECK(delta <= bound, std::invalid_argument, "rpe: a delta angle must be within [0, ", bound, "], got ",
                   delta);
    const double to_rad = deg ? 3.14159265358979323846 / 180.0 : 1.0;  // numpy deg2rad
    const double d_rad = delta * to_rad, tol_rad = (delta * rel_tol) * to_rad;
    double R[16];
    auto angle = [&](std::size_t i, std::size_t j) {
      detail::relative_se3(poses + 16 * i, poses + 16 * j, R);
      return detail::rotation_angle(R);
    };
    if (all_pairs) {
      const double lo = d_rad - tol_rad, hi = d_rad + tol_rad;
      for (std::size_t i = 0; i + 1 < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
          const double a = angle(i, j);
          if (lo <= a && a <= hi) {
            first.push_back(static_cast<std::int64_t>(i));
            second.push_back(static_cast<std::int64_t>(j));
          }
        }
    } else {
      double accumulated = 0;
      std::size_t start = 0;
      for (std::size_t i = 1; i < n; ++i) {
        accumulated += angle(i - 1, i);
        if (accumulated >= d_rad) {
          first.push_back(static_cast<std::int64_t>(start));
          second.push_back(static_cast<std::int64_t>(i));
          accumulated = 0;
          start = i;
        }
      }
    }
  } else if (!all_pairs) {
    std::vector<std::int64_t> ids;
    double path = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) {
        const double* a = poses + 16 * i;
        const double* b = poses + 16 * (i - 1);
        const double dx = a[3] - b[3], dy = a[7] - b[7], dz = a[11] - b[11];
        path += std::sqrt(dx * dx + dy * dy + dz * dz);
      }
      if (path >= delta) {
        ids.push_back(static_cast<std::int64_t>(i));
        path = 0;
      }
    }
    for (std::size_t k = 1; k < ids.size(); ++k) {
      first.push_back(ids[k - 1]);
      second.push_back(ids[k]);
    }
  } else {
    // Accumulated distances as evo: concatenate([0], cumsum(norm(x[:-1] - x[1:]))).
    std::vector<double> dist(n, 0.0);
    for (std::size_t i = 1; i < n; ++i) {
      const double* a = poses + 16 * (i - 1);
      const double* b = poses + 16 * i;
      const double dx = a[3] - b[3], dy = a[7] - b[7], dz = a[11] - b[11];
      dist[i] = dist[i - 1] + std::sqrt(dx * dx + dy * dy + dz * dz);
    }
    const double tol = delta * rel_tol;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      // f(j) = |(dist[j] − dist[i]) − δ| over j > i: non-increasing, then non-decreasing.
      const auto begin = dist.begin() + static_cast<std::ptrdiff_t>(i + 1);
      auto f = [&](std::size_t j) { return std::abs((dist[j] - dist[i]) - delta); };
      // first j with (dist[j] − dist[i]) − δ >= 0 (monotone in j in floating point)
      const auto it = std::partition_point(begin, dist.end(), [&](double v) { return (v - dist[i]) - delta < 0; });
      const std::size_t k = static_cast<std::size_t>(it - dist.begin());
      std::size_t best = k;
      double best_v = k < n ? f(k) : std::numeric_limits<double>::infinity();
      if (k > i + 1) {
        const double left_val = dist[k - 1];
        const std::size_t kl = static_cast<std::size_t>(std::lower_bound(begin, dist.begin() + static_cast<std::ptrdiff_t>(k), left_val) - dist.begin());
        const double v = f(kl);
        if (v <= best_v) {
          best = kl;
          best_v = v;
        }
      }
      if (best_v > tol) continue;
      first.push_back(static_cast<std::int64_t>(i));
      second.push_back(static_cast<std::int64_t>(best));
    }
  }
  LOCUSKIT_CHECK(!first.empty(), std::invalid_argument, "rpe: delta = ", delta,
                 unit == DeltaUnit::frames   ? " (frames)"
                 : unit == DeltaUnit::meters ? " (meters)"
                 : unit == DeltaUnit::degrees ? " (degrees)"
                                              : " (radians)",
                 " produced an empty index list; try a lower value or all pairs");
}

/// RPE over given pairs: E = (Qᵢ⁻¹Qⱼ)⁻¹(Pᵢ⁻¹Pⱼ) (evo), out[k] = relation(E) for pair k;
/// point_distance is | ‖pⱼ − pᵢ‖_ref − ‖pⱼ − pᵢ‖_est |. O(pairs); thread-safe.
inline void rpe_errors(const double* ref, const double* est, const std::int64_t* first, const std::int64_t* second,
                       std::size_t n_pairs, PoseRelation rel, double* out, Parallel par = {}) noexcept {
  parallel_for(n_pairs, 4096, par, [&](std::size_t b, std::size_t e) {
    double Qr[16], Pr[16], E[16];
    for (std::size_t k = b; k < e; ++k) {
      const double* Qi = ref + 16 * first[k];
      const double* Qj = ref + 16 * second[k];
      const double* Pi = est + 16 * first[k];
      const double* Pj = est + 16 * second[k];
      if (rel == PoseRelation::point_distance) {
        auto d = [](const double* a, const double* c) {
          const double dx = a[3] - c[3], dy = a[7] - c[7], dz = a[11] - c[11];
          return std::sqrt(dx * dx + dy * dy + dz * dz);
        };
        out[k] = std::abs(d(Qi, Qj) - d(Pi, Pj));
        continue;
      }
      detail::relative_se3(Qi, Qj, Qr);
      detail::relative_se3(Pi, Pj, Pr);
      detail::relative_se3(Qr, Pr, E);
      out[k] = detail::relation_value(E, rel);
    }
  });
}

/// Statistics of n errors (evo's get_all_statistics). O(n) (median by nth_element on a copy).
/// Throws on n = 0.
inline ErrorStatistics error_statistics(const double* e, std::size_t n) {
  LOCUSKIT_CHECK(n > 0, std::invalid_argument, "error_statistics: no errors");
  ErrorStatistics s;
  s.n = n;
  double sum = 0, sse = 0;
  s.min = e[0];
  s.max = e[0];
  for (std::size_t i = 0; i < n; ++i) {
    sum += e[i];
    sse += e[i] * e[i];
    s.min = std::min(s.min, e[i]);
    s.max = std::max(s.max, e[i]);
  }
  const double dn = static_cast<double>(n);
  s.mean = sum / dn;
  s.sse = sse;
  s.rmse = std::sqrt(sse / dn);
  double var = 0;
  for (std::size_t i = 0; i < n; ++i) var += (e[i] - s.mean) * (e[i] - s.mean);
  s.std = std::sqrt(var / dn);
  std::vector<double> c(e, e + n);
  const std::size_t mid = n / 2;
  std::nth_element(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(mid), c.end());
  if (n % 2) {
    s.median = c[mid];
  } else {
    const double hi = c[mid];
    const double lo = *std::max_element(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(mid));
    s.median = (lo + hi) / 2;  // numpy: mean of the two middle values
  }
  return s;
}

}  // namespace locuskit
