#pragma once
/// \file kitti_metric.hpp
/// The KITTI odometry devkit metric (`evaluate_odometry.cpp`, notes §F): segments of 100…800 m
/// of ground-truth path starting every 10 frames; translation error per metre and rotation error
/// (rad) per metre. `KittiPrecision::devkit` reproduces the devkit bit for bit (float32 where it
/// uses float, the float overload of acos, i.e. the C library's acosf); `KittiPrecision::double_`
/// runs the same algorithm in float64.
#include <Eigen/Core>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <locuskit/error.hpp>
#include <locuskit/parallel.hpp>

namespace locuskit {

enum class KittiPrecision { devkit, double_ };

/// One segment: start frame, r_err/len (rad/m), t_err/len (1/m), len (m), speed (m/s at 10 Hz).
/// In devkit mode the values are float32 numbers stored in double.
struct KittiSegment {
  std::int64_t first_frame;
  double r_err, t_err, len, speed;
};

/// Summary: means over all segments (float running sums in devkit mode, as `saveStats`), and the
/// per-length means (`saveErrorPlots`, lengths with more than 2.5 segments).
struct KittiResult {
  std::vector<KittiSegment> segments;
  double t_err = 0, r_err = 0;  ///< fraction per metre, rad per metre
  double lengths[8] = {100, 200, 300, 400, 500, 600, 700, 800};
  double length_t_err[8] = {}, length_r_err[8] = {};
  std::int64_t length_count[8] = {};
  double gt_path_length = 0;
};

namespace detail {
template <class F>
KittiResult kitti_impl(const double* gt, const double* est, std::size_t n, Parallel par) {
  using M4 = Eigen::Matrix<double, 4, 4, Eigen::RowMajor>;
  KittiResult res;
  std::vector<F> dist(n);
  if (n) dist[0] = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const double* a = gt + 16 * (i - 1);
    const double* b = gt + 16 * i;
    const F dx = static_cast<F>(a[3] - b[3]), dy = static_cast<F>(a[7] - b[7]), dz = static_cast<F>(a[11] - b[11]);
    dist[i] = dist[i - 1] + std::sqrt(dx * dx + dy * dy + dz * dz);
  }
  res.gt_path_length = n ? static_cast<double>(dist[n - 1]) : 0.0;
  const F lengths[8] = {100, 200, 300, 400, 500, 600, 700, 800};
  // Segments of each start frame go to their own slot (parallel over start frames), then are
  // concatenated in the devkit's order; the float sums below run sequentially in that order.
  const std::size_t n_first = (n + 9) / 10;
  std::vector<KittiSegment> slots(n_first * 8);
  std::vector<unsigned char> used(n_first * 8, 0);
  parallel_for(n_first, 256, par, [&](std::size_t fb, std::size_t fe) {
    for (std::size_t fi = fb; fi < fe; ++fi) {
      const std::size_t first = fi * 10;
      const M4 Gf_inv = Eigen::Map<const M4>(gt + 16 * first).inverse();  // once per start frame
      const M4 Rf_inv = Eigen::Map<const M4>(est + 16 * first).inverse();
      for (int li = 0; li < 8; ++li) {
        const F len = lengths[li];
        // The devkit scans for the first i >= first with dist[i] > dist[first] + len; dist is
        // non-decreasing, so a binary search finds the same frame.
        const F target = dist[first] + len;
        const auto it = std::upper_bound(dist.begin() + static_cast<std::ptrdiff_t>(first), dist.end(), target);
        if (it == dist.end()) continue;
        const std::int64_t last = static_cast<std::int64_t>(it - dist.begin());
        const M4 dgt = Gf_inv * Eigen::Map<const M4>(gt + 16 * last);
        const M4 dres = Rf_inv * Eigen::Map<const M4>(est + 16 * last);
        const M4 E = dres.inverse() * dgt;
        F r_err, t_err;
        if constexpr (std::is_same_v<F, float>) {
          const float a = static_cast<float>(E(0, 0)), b = static_cast<float>(E(1, 1)), c = static_cast<float>(E(2, 2));
          const float d = static_cast<float>(0.5 * (static_cast<double>(a + b + c) - 1.0));
          r_err = std::acos(std::max(std::min(d, 1.0f), -1.0f));  // float overload: acosf
          const float tx = static_cast<float>(E(0, 3)), ty = static_cast<float>(E(1, 3)), tz = static_cast<float>(E(2, 3));
          t_err = std::sqrt(tx * tx + ty * ty + tz * tz);
        } else {
          const double d = 0.5 * (E(0, 0) + E(1, 1) + E(2, 2) - 1.0);
          r_err = std::acos(std::max(std::min(d, 1.0), -1.0));
          t_err = std::sqrt(E(0, 3) * E(0, 3) + E(1, 3) * E(1, 3) + E(2, 3) * E(2, 3));
        }
        const F num_frames = static_cast<F>(last - static_cast<std::int64_t>(first) + 1);
        const F speed = static_cast<F>(len / (0.1 * num_frames));
        slots[fi * 8 + li] = KittiSegment{static_cast<std::int64_t>(first), static_cast<double>(F(r_err / len)),
                                          static_cast<double>(F(t_err / len)), static_cast<double>(len),
                                          static_cast<double>(speed)};
        used[fi * 8 + li] = 1;
      }
    }
  });
  for (std::size_t k = 0; k < slots.size(); ++k)
    if (used[k]) res.segments.push_back(slots[k]);
  F ts = 0, rs = 0;
  for (const auto& s : res.segments) {
    ts += static_cast<F>(s.t_err);
    rs += static_cast<F>(s.r_err);
  }
  const F num = static_cast<F>(res.segments.size());
  if (!res.segments.empty()) {
    res.t_err = static_cast<double>(ts / num);
    res.r_err = static_cast<double>(rs / num);
  }
  for (int li = 0; li < 8; ++li) {
    F t = 0, r = 0, cnt = 0;
    for (const auto& s : res.segments)
      if (std::abs(static_cast<F>(s.len) - lengths[li]) < F(1.0)) {
        t += static_cast<F>(s.t_err);
        r += static_cast<F>(s.r_err);
        cnt += 1;
      }
    res.length_count[li] = static_cast<std::int64_t>(cnt);
    if (cnt > F(2.5)) {
      res.length_t_err[li] = static_cast<double>(t / cnt);
      res.length_r_err[li] = static_cast<double>(r / cnt);
    }
  }
  return res;
}
}  // namespace detail

/// KITTI devkit metric on n ground-truth and n estimated row-major 4×4 poses (equal counts, no
/// timestamps, no alignment). Segment lengths are measured on the ground truth. Generic 4×4
/// inverses as the devkit (G_first⁻¹ hoisted per start frame: the same numbers). O(n + segments · log n);
/// parallel over start frames with `par`, results identical for any thread count. Thread-safe.
inline KittiResult kitti_odometry_metric(const double* gt, const double* est, std::size_t n,
                                         KittiPrecision precision = KittiPrecision::devkit, Parallel par = {}) {
  if (precision == KittiPrecision::devkit) return detail::kitti_impl<float>(gt, est, n, par);
  return detail::kitti_impl<double>(gt, est, n, par);
}

}  // namespace locuskit
