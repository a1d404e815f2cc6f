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
#include <locuskit/match/linear_assignment.hpp>

namespace locuskit {
namespace detail {

inline constexpr double mot_eps = std::numeric_limits<double>::epsilon();  // np.finfo(float).eps = 2^-52

/// IoU of every (gt, tracker) pair of xywh boxes, (ng, nt) row-major into `out`, as TrackEval's
/// `_calculate_box_ious(..., box_format='xywh')`: corners x+w / y+h first, areas from the corners,
/// intersection zeroed for areas or unions <= eps, union 1 then.
inline void mot_box_iou(const double* gt_xywh, std::size_t ng, const double* trk_xywh, std::size_t nt,
                        double* out) {
  // Tracker corners and areas as separate arrays so the inner loop vectorizes (branch-free selects).
  std::vector<double> buf(5 * nt);
  double *tx0 = buf.data(), *ty0 = tx0 + nt, *tx1 = ty0 + nt, *ty1 = tx1 + nt, *ta = ty1 + nt;
  for (std::size_t j = 0; j < nt; ++j) {
    const double* b = trk_xywh + 4 * j;
    tx0[j] = b[0];
    ty0[j] = b[1];
    tx1[j] = b[0] + b[2];
    ty1[j] = b[1] + b[3];
    ta[j] = (tx1[j] - tx0[j]) * (ty1[j] - ty0[j]);
  }
  for (std::size_t i = 0; i < ng; ++i) {
    const double* g = gt_xywh + 4 * i;
    const double gx0 = g[0], gy0 = g[1], gx1 = g[0] + g[2], gy1 = g[1] + g[3];
    const double ga = (gx1 - gx0) * (gy1 - gy0);
    const bool ga_ok = ga > mot_eps;
    double* row = out + i * nt;
    for (std::size_t j = 0; j < nt; ++j) {
      const double iw = std::max(std::min(gx1, tx1[j]) - std::max(gx0, tx0[j]), 0.0);
      const double ih = std::max(std::min(gy1, ty1[j]) - std::max(gy0, ty0[j]), 0.0);
      const double inter = iw * ih;
      const double uni = ga + ta[j] - inter;
      const bool ok = ga_ok & (ta[j] > mot_eps) & (uni > mot_eps);
      row[j] = (ok ? inter : 0.0) / (uni > mot_eps ? uni : 1.0);
    }
  }
}

/// Maximum-weight assignment shortcut: if every row and every column of the (nr, nc) row-major
/// matrix `m` (entries >= 0) has at most one entry > 0, every optimal assignment (scipy's included)
/// contains exactly those pairs among its positive-score pairs; they are written in row order to
/// `rows`/`cols` and true is returned. Otherwise returns false (solve the assignment).
/// `col_used` is scratch space.
inline bool independent_positive_pairs(const double* m, std::size_t nr, std::size_t nc, std::vector<std::int64_t>& rows,
                                       std::vector<std::int64_t>& cols, std::vector<std::uint8_t>& col_used) {
  rows.clear();
  cols.clear();
  col_used.assign(nc, 0);
  for (std::size_t i = 0; i < nr; ++i) {
    std::int64_t found = -1;
    for (std::size_t j = 0; j < nc; ++j) {
      if (!(m[i * nc + j] > 0)) continue;
      if (found >= 0 || col_used[j]) return false;
      found = static_cast<std::int64_t>(j);
      col_used[j] = 1;
    }
    if (found >= 0) rows.push_back(static_cast<std::int64_t>(i)), cols.push_back(found);
  }
  return true;
}

/// The pairs of the maximum-score assignment of the (nr, nc) non-negative matrix `m` as scipy's
/// `linear_sum_assignment(-m)` returns them (row order), restricted to pairs with score > 0 when
/// the shortcut applies; callers filter the pairs by their own rule (every such rule rejects
/// score-0 pairs, see the metrics).
inline void max_score_pairs(const double* m, std::size_t nr, std::size_t nc, std::vector<std::int64_t>& rows,
                            std::vector<std::int64_t>& cols, std::vector<std::uint8_t>& scratch) {
  if (independent_positive_pairs(m, nr, nc, rows, cols, scratch)) return;
  const std::size_t k = std::min(nr, nc);
  rows.resize(k);
  cols.resize(k);
  linear_sum_assignment(m, nr, nc, rows.data(), cols.data(), /*maximize=*/true);
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
