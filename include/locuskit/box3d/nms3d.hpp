#pragma once
/// \file nms3d.hpp
/// Greedy non-maximum suppression of yaw-only 3D boxes with the exact BEV or 3D IoU of iou3d.hpp.
/// OpenPCDet's `nms_gpu` / `nms_normal_gpu` rule: boxes by descending score (ties: lower index
/// first, a stable order where OpenPCDet's torch sort is not), a box is suppressed by a kept one
/// when their IoU is **>** `iou_threshold`. OpenPCDet's `nms_gpu` uses its float32 BEV overlap
/// with the 1 cm corner margin (notes §6), so kept sets can differ for pairs within ~1e-6 of the
/// threshold or near-touching boxes; locuskit's overlap is exact.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "iou3d.hpp"

namespace locuskit {

/// Indices of the kept boxes, in selection order (descending score). `boxes` (N, 7) in
/// `convention`, `scores` (N). `bev`: BEV IoU instead of 3D IoU. NaN scores rank last.
/// O(N log N + N·K) pair tests for K kept boxes, each first rejected by the BEV circumcircles.
/// Thread-safe.
template <class T>
std::vector<std::int64_t> nms3d(const T* boxes, const T* scores, std::size_t n, Box3dConvention convention,
                                double iou_threshold, bool bev) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double sa = double(scores[a]), sb = double(scores[b]);
    return sa > sb || (sa == sa && sb != sb);
  });
  // BEV centre and circumradius of each box, for the quick rejection.
  std::vector<double> cx(n), cy(n), radius(n);
  for (std::size_t i = 0; i < n; ++i) {
    double r[5];
    box3d_bev(boxes + 7 * i, convention, r);
    cx[i] = r[0], cy[i] = r[1], radius[i] = 0.5 * std::hypot(r[2], r[3]);
  }
  std::vector<std::uint8_t> removed(n, 0);
  std::vector<std::int64_t> keep;
  for (std::size_t p = 0; p < n; ++p) {
    const std::size_t i = order[p];
    if (removed[i]) continue;
    keep.push_back(static_cast<std::int64_t>(i));
    for (std::size_t q = p + 1; q < n; ++q) {
      const std::size_t j = order[q];
      if (removed[j]) continue;
      const double dx = cx[i] - cx[j], dy = cy[i] - cy[j], reach = radius[i] + radius[j];
      if (dx * dx + dy * dy > reach * reach * 1.0000001) continue;  // disjoint in BEV: IoU 0
      const T* a = boxes + 7 * i;
      const T* b = boxes + 7 * j;
      const double iou = bev ? box3d_iou_bev_pair(a, b, convention) : box3d_iou_pair(a, b, convention);
      if (iou > iou_threshold) removed[j] = 1;
    }
  }
  return keep;
}

}  // namespace locuskit
