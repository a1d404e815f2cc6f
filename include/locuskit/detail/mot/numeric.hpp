#pragma once
/// \file detail/mot/numeric.hpp
/// Floating-point building blocks of the MOT metrics with TrackEval's (numpy 1.24's) exact order of
/// operations: the xywh box IoU of `_calculate_box_ious` and `np.sum` over a mostly-zero matrix.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <locuskit/eval/numpy_sum.hpp>

namespace locuskit {
namespace detail {

inline constexpr double mot_eps = std::numeric_limits<double>::epsilon();  // np.finfo(float).eps = 2^-52

/// IoU of every (gt, tracker) pair of xywh boxes, (ng, nt) row-major into `out`, as TrackEval's
/// `_calculate_box_ious(..., box_format='xywh')`: corners x+w / y+h first, areas from the corners,
/// intersection zeroed for areas or unions <= eps, union 1 then.
inline void mot_box_iou(const double* gt_xywh, std::size_t ng, const double* trk_xywh, std::size_t nt,
                        double* out) noexcept {
  std::vector<double> tc(4 * nt), ta(nt);
  for (std::size_t j = 0; j < nt; ++j) {
    const double* b = trk_xywh + 4 * j;
    tc[4 * j] = b[0];
    tc[4 * j + 1] = b[1];
    tc[4 * j + 2] = b[0] + b[2];
    tc[4 * j + 3] = b[1] + b[3];
    ta[j] = (tc[4 * j + 2] - tc[4 * j]) * (tc[4 * j + 3] - tc[4 * j + 1]);
  }
  for (std::size_t i = 0; i < ng; ++i) {
    const double* g = gt_xywh + 4 * i;
    const double gx0 = g[0], gy0 = g[1], gx1 = g[0] + g[2], gy1 = g[1] + g[3];
    const double ga = (gx1 - gx0) * (gy1 - gy0);
    for (std::size_t j = 0; j < nt; ++j) {
      const double* t = tc.data() + 4 * j;
      const double iw = std::max(std::min(gx1, t[2]) - std::max(gx0, t[0]), 0.0);
      const double ih = std::max(std::min(gy1, t[3]) - std::max(gy0, t[1]), 0.0);
      double inter = iw * ih;
      double uni = ga + ta[j] - inter;
      if (ga <= mot_eps || ta[j] <= mot_eps || uni <= mot_eps) inter = 0;
      if (uni <= mot_eps) uni = 1;
      out[i * nt + j] = inter / uni;
    }
  }
}

/// numpy's pairwise sum over positions [lo, lo + n) of a virtual array that is zero except at the
/// sorted positions `idx[b..e)` (values `val`). Equal bit for bit to summing the dense array,
/// because adding +0.0 to a non-negative partial sum changes nothing; requires non-negative values.
inline double sparse_pairwise_sum(std::size_t lo, std::size_t n, const std::uint64_t* idx, const double* val,
                                  std::size_t b, std::size_t e) noexcept {
  if (b == e) return 0.0;
  if (n < 8) {
    double res = 0.0;
    for (std::size_t k = b; k < e; ++k) res += val[k];
    return res;
  }
  if (n <= 128) {
    double r[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const std::size_t body = n - (n % 8);
    std::size_t k = b;
    for (; k < e && idx[k] - lo < body; ++k) r[(idx[k] - lo) % 8] += val[k];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; k < e; ++k) res += val[k];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  const std::size_t mid = static_cast<std::size_t>(std::lower_bound(idx + b, idx + e, lo + n2) - idx);
  return sparse_pairwise_sum(lo, n2, idx, val, b, mid) + sparse_pairwise_sum(lo + n2, n - n2, idx, val, mid, e);
}

/// `np.sum` of a contiguous float64 array of length n that is zero except at the sorted positions
/// idx[0..m) (non-negative values val): 8192-element blocks added left to right, each pairwise.
inline double sparse_numpy_sum(std::size_t n, const std::uint64_t* idx, const double* val, std::size_t m) noexcept {
  double acc = 0.0;
  std::size_t k = 0;
  for (std::size_t lo = 0; lo < n && k < m; lo += 8192) {
    const std::size_t len = std::min<std::size_t>(8192, n - lo);
    std::size_t e = k;
    while (e < m && idx[e] < lo + len) ++e;
    if (e > k) acc += sparse_pairwise_sum(lo, len, idx, val, k, e);
    k = e;
  }
  return acc;
}

}  // namespace detail
}  // namespace locuskit
