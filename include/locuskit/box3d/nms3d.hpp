#pragma once
/// \file nms3d.hpp
/// Greedy non-maximum suppression of yaw-only 3D boxes with the exact BEV or 3D IoU of iou3d.hpp:
/// the Box3dIoU overlap policy (nms/overlap.hpp's contract) run on the NMS engine.
/// OpenPCDet's `nms_gpu` / `nms_normal_gpu` rule: boxes by descending score (ties: lower index
/// first, a stable order where OpenPCDet's torch sort is not), a box is suppressed by a kept one
/// when their IoU is **>** `iou_threshold`. OpenPCDet's `nms_gpu` uses its float32 BEV overlap
/// with the 1 cm corner margin (notes §6), so kept sets can differ for pairs within ~1e-6 of the
/// threshold or near-touching boxes; locuskit's overlap is exact.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "../detail/nms/engine.hpp"
#include "iou3d.hpp"

namespace locuskit {

/// Overlap policy of yaw-only 3D boxes (n, 7) `(x, y, z, l, w, h, yaw)` in `convention`: the exact
/// BEV IoU (`bev`) or 3D IoU of iou3d.hpp, in double (compare with a double threshold), 0 where
/// the union is 0 (overlap.hpp's answer for degenerate pairs). Plugs into the NMS variants that take
/// a policy (nms, batched_nms, soft_nms, fast_nms, ...) and into nms3d.
struct Box3dIoU {
  static constexpr std::size_t box_columns = 7;
  Box3dConvention convention = Box3dConvention::lidar;
  bool bev = true;

  /// A box and its BEV circumcircle (centre, radius).
  template <class T>
  struct Box {
    T row[7];
    double cx, cy, radius;
  };

  template <class T>
  LOCUSKIT_HOST_DEVICE Box<T> prepare(const T* row) const noexcept {
    Box<T> b{{row[0], row[1], row[2], row[3], row[4], row[5], row[6]}, 0.0, 0.0, 0.0};
    double r[5];
    box3d_bev(row, convention, r);
    b.cx = r[0], b.cy = r[1], b.radius = 0.5 * std::hypot(r[2], r[3]);
    return b;
  }

  template <class T>
  LOCUSKIT_HOST_DEVICE double overlap(const Box<T>& a, const Box<T>& b) const noexcept {
    return bev ? box3d_iou_bev_pair(a.row, b.row, convention) : box3d_iou_pair(a.row, b.row, convention);
  }
  template <class T>
  LOCUSKIT_HOST_DEVICE double overlap(const T* a, const T* b) const noexcept {
    return bev ? box3d_iou_bev_pair(a, b, convention) : box3d_iou_pair(a, b, convention);
  }

  /// False only if the BEV circumcircles are apart (with a 1e-7 relative margin for rounding);
  /// then the IoU is 0. NaN -> true.
  template <class T>
  LOCUSKIT_HOST_DEVICE bool may_overlap(const Box<T>& a, const Box<T>& b) const noexcept {
    const double dx = a.cx - b.cx, dy = a.cy - b.cy, reach = a.radius + b.radius;
    return !(dx * dx + dy * dy > reach * reach * 1.0000001);
  }
};

/// Indices of the kept boxes, in selection order (descending score). `boxes` (N, 7) in
/// `convention`, `scores` (N). `bev`: BEV IoU instead of 3D IoU. NaN scores rank last.
/// The IoU (double) is compared with `iou_threshold` as a double. A pair whose union is 0 has
/// IoU 0 (so a negative threshold suppresses every later finite box, as in every NMS variant).
/// O(N log N + N·K) circumcircle tests for K kept boxes, the exact IoU only where they meet
/// (the NMS engine's detail::greedy_segments). Thread-safe.
template <class T>
std::vector<std::int64_t> nms3d(const T* boxes, const T* scores, std::size_t n, Box3dConvention convention,
                                double iou_threshold, bool bev) {
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    const double sa = double(scores[a]), sb = double(scores[b]);
    return sa > sb || (sa == sa && sb != sb);
  });
  Box3dIoU overlap;
  overlap.convention = convention;
  overlap.bev = bev;
  std::vector<char> flag(n, 0);
  const std::size_t starts[2] = {0, n};
  detail::greedy_segments(overlap, boxes, order.data(), nullptr, starts, 1, iou_threshold,
                          std::numeric_limits<std::size_t>::max(), flag.data());
  std::vector<std::int64_t> keep;
  for (std::size_t p = 0; p < n; ++p)
    if (flag[p]) keep.push_back(order[p]);
  return keep;
}

}  // namespace locuskit
