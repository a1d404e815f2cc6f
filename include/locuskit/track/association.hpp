#pragma once
/// \file track/association.hpp
/// Track-to-detection association: box overlap costs in the two trackers' conventions and
/// ByteTrack's thresholded assignment (`lap.lapjv(cost, extend_cost=True, cost_limit=L)`),
/// solved with locuskit's Hungarian solver (match/linear_assignment.hpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "../box/iou.hpp"
#include "../box/iou_family.hpp"
#include "../match/linear_assignment.hpp"

namespace locuskit::track {

/// Overlap measure behind an association cost: `iou` (cost `1 - IoU`, each tracker's own IoU
/// convention) or `giou` (cost `1 - GIoU`, torchvision's `generalized_box_iou`, in [0, 2]).
enum class AssociationMetric : int { iou = 0, giou = 1 };

/// IoU of two xyxy boxes with the "+1 pixel" convention of cython_bbox's `bbox_overlaps`, which
/// ByteTrack uses: sizes are `x2 - x1 + 1`; 0 unless both overlap extents are positive. Same
/// float64 operations in the same order as the Cython loop (bit-identical).
inline double iou_plus_one(const double* a, const double* b) noexcept {
  const double iw = std::min(a[2], b[2]) - std::max(a[0], b[0]) + 1;
  if (!(iw > 0)) return 0.0;
  const double ih = std::min(a[3], b[3]) - std::max(a[1], b[1]) + 1;
  if (!(ih > 0)) return 0.0;
  const double area_b = (b[2] - b[0] + 1) * (b[3] - b[1] + 1);
  const double ua = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + area_b - iw * ih;
  return iw * ih / ua;
}

/// `out[i*m + j] = 1 - overlap(a_i, b_j)` for xyxy boxes `a` (n, 4) and `b` (m, 4): IoU with the
/// +1 convention (`plus_one`, ByteTrack) or without (SORT, torchvision), or GIoU. O(n·m).
inline void overlap_distance(const double* a, std::size_t n, const double* b, std::size_t m, double* out,
                             AssociationMetric metric, bool plus_one) {
  if (n == 0 || m == 0) return;
  if (metric == AssociationMetric::giou) {
    generalized_box_iou(a, n, b, m, out);
  } else if (plus_one) {
    // iou_plus_one over the matrix. Pairs that cannot overlap in x get exactly 1 - 0 without being
    // computed: with the second set sorted by x1, only b with x1 in [a.x1 - max width - 2, a.x2 + 2]
    // can (the margins are generous; inclusion is decided by the exact formula). The rest of the
    // work is branch-free so that it vectorises, with exactly iou_plus_one's operations.
    std::vector<std::uint32_t> order(m);
    std::iota(order.begin(), order.end(), std::uint32_t{0});
    std::sort(order.begin(), order.end(), [&](std::uint32_t p, std::uint32_t q) { return b[4 * p] < b[4 * q]; });
    std::vector<double> bx1(m), by1(m), bx2(m), by2(m), barea(m);
    double max_w = 0;
    for (std::size_t k = 0; k < m; ++k) {
      const double* q = b + 4 * order[k];
      bx1[k] = q[0], by1[k] = q[1], bx2[k] = q[2], by2[k] = q[3];
      barea[k] = (q[2] - q[0] + 1) * (q[3] - q[1] + 1);
      max_w = std::max(max_w, q[2] - q[0]);
    }
    std::vector<double> vals(m);
    for (std::size_t i = 0; i < n; ++i) {
      const double* p = a + 4 * i;
      const double ax1 = p[0], ay1 = p[1], ax2 = p[2], ay2 = p[3];
      const double aarea = (ax2 - ax1 + 1) * (ay2 - ay1 + 1);
      double* row = out + i * m;
      std::fill(row, row + m, 1.0);
      const std::size_t lo = static_cast<std::size_t>(
          std::lower_bound(bx1.begin(), bx1.end(), ax1 - max_w - 2) - bx1.begin());
      const std::size_t hi = static_cast<std::size_t>(std::upper_bound(bx1.begin(), bx1.end(), ax2 + 2) - bx1.begin());
      for (std::size_t k = lo; k < hi; ++k) {
        const double iw = std::min(ax2, bx2[k]) - std::max(ax1, bx1[k]) + 1;
        const double ih = std::min(ay2, by2[k]) - std::max(ay1, by1[k]) + 1;
        const double inter = iw * ih;
        const double iou = inter / (aarea + barea[k] - inter);
        vals[k] = 1.0 - (((iw > 0) & (ih > 0)) ? iou : 0.0);
      }
      for (std::size_t k = lo; k < hi; ++k) row[order[k]] = vals[k];
    }
    return;
  } else {
    box_iou(a, n, b, m, out);
  }
  for (std::size_t k = 0; k < n * m; ++k) out[k] = 1.0 - out[k];
}

/// ByteTrack's thresholded assignment: the minimum-cost matching of rows to columns in which a
/// pair may be taken only if its cost is below `cost_limit`, where leaving a row or a column
/// unmatched costs `cost_limit / 2` — what `lap.lapjv(cost, extend_cost=True, cost_limit=L)`
/// solves on its (n+m)-square extended matrix. Pairs with cost >= L are never taken (at exactly L
/// a pair ties with leaving both unmatched; we leave them unmatched). The problem splits into
/// connected components of the "cost < L" graph; each is solved exactly on its own extended
/// matrix with linear_sum_assignment, so a frame of mostly separate objects costs O(n·m).
/// `cost` (n, m) row-major; writes `row_match` (n: column or -1) and `col_match` (m: row or -1).
/// NaN costs are never below L (never matched). Thread-safe.
inline void assign_with_cost_limit(const double* cost, std::size_t n, std::size_t m, double cost_limit,
                                   std::int64_t* row_match, std::int64_t* col_match) {
  std::fill(row_match, row_match + n, std::int64_t{-1});
  std::fill(col_match, col_match + m, std::int64_t{-1});
  if (n == 0 || m == 0) return;
  // Edges (pairs below the limit); usually about one per row.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  for (std::size_t i = 0; i < n; ++i) {
    const double* row = cost + i * m;
    std::size_t j = 0;
    for (; j + 8 <= m; j += 8) {  // most blocks hold no pair below the limit: test 8 at once
      bool any = false;
      for (std::size_t k = 0; k < 8; ++k) any |= row[j + k] < cost_limit;
      if (!any) continue;
      for (std::size_t k = j; k < j + 8; ++k)
        if (row[k] < cost_limit) edges.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(k));
    }
    for (; j < m; ++j)
      if (row[j] < cost_limit) edges.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
  }
  if (edges.empty()) return;
  // Union-find over rows (0..n-1) and columns (n..n+m-1), on the edges only.
  std::vector<std::size_t> parent(n + m);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& e : edges) {
    const std::size_t a = find(e.first), b = find(n + e.second);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the root is the component's smallest row
  }
  // Members of each component, ascending, grouped by root (in order of their smallest row).
  std::vector<std::uint8_t> seen(n + m, 0);
  std::vector<std::pair<std::size_t, std::size_t>> members;  // (root, node)
  for (const auto& e : edges) {
    const std::size_t a = e.first, b = n + e.second;
    if (!seen[a]) seen[a] = 1, members.emplace_back(find(a), a);
    if (!seen[b]) seen[b] = 1, members.emplace_back(find(b), b);
  }
  std::sort(members.begin(), members.end());
  std::vector<double> ext;
  std::vector<std::int64_t> ri, ci;
  std::vector<std::size_t> R, C;
  for (std::size_t lo = 0; lo < members.size();) {
    std::size_t hi = lo;
    R.clear();
    C.clear();
    for (; hi < members.size() && members[hi].first == members[lo].first; ++hi)
      (members[hi].second < n ? R : C).push_back(members[hi].second < n ? members[hi].second : members[hi].second - n);
    lo = hi;
    if (R.size() == 1 && C.size() == 1) {  // the common case: one track, one detection
      row_match[R[0]] = static_cast<std::int64_t>(C[0]);
      col_match[C[0]] = static_cast<std::int64_t>(R[0]);
      continue;
    }
    const std::size_t r = R.size(), c = C.size(), s = r + c;
    ext.assign(s * s, cost_limit / 2);
    for (std::size_t a = 0; a < r; ++a)
      for (std::size_t b = 0; b < c; ++b) {
        const double v = cost[R[a] * m + C[b]];
        ext[a * s + b] = v < cost_limit ? v : cost_limit;  // a tie at L is never preferred (see above)
      }
    for (std::size_t a = r; a < s; ++a)
      for (std::size_t b = c; b < s; ++b) ext[a * s + b] = 0.0;
    ri.resize(s);
    ci.resize(s);
    const std::size_t k = linear_sum_assignment(ext.data(), s, s, ri.data(), ci.data());
    for (std::size_t q = 0; q < k; ++q) {
      const auto a = static_cast<std::size_t>(ri[q]), b = static_cast<std::size_t>(ci[q]);
      if (a < r && b < c && ext[a * s + b] < cost_limit) {
        row_match[R[a]] = static_cast<std::int64_t>(C[b]);
        col_match[C[b]] = static_cast<std::int64_t>(R[a]);
      }
    }
  }
}

}  // namespace locuskit::track
