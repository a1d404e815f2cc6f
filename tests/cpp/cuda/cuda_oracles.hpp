#pragma once
// Plain host oracles for the CUDA kernels' semantics, written independently of
// include/locuskit/cuda/nms_common.cuh (shared by the CPU tests and tests/cuda/).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include <locuskit/box/geometry.hpp>

namespace locuskit::test {

/// Indices in score order: descending, NaN first, -0 == +0, ties by lower index (stable).
template <class T>
std::vector<std::int64_t> score_order(const T* scores, std::size_t n) {
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    const T sa = scores[a], sb = scores[b];
    if (std::isnan(sa) || std::isnan(sb)) return std::isnan(sa) && !std::isnan(sb);
    return sa > sb;
  });
  return order;
}

/// Greedy NMS as torchvision's CPU kernel: box j is suppressed by a kept i iff
/// double(IoU(i, j)) > threshold; degenerate pairs have IoU 0. At most max_kept kept.
template <class T>
std::vector<std::int64_t> greedy_nms(const T* boxes, const T* scores, std::size_t n, double threshold,
                                     std::size_t max_kept = static_cast<std::size_t>(-1)) {
  const auto order = score_order(scores, n);
  std::vector<char> removed(n, 0);
  std::vector<std::int64_t> keep;
  for (std::size_t a = 0; a < n && keep.size() < max_kept; ++a) {
    const std::int64_t i = order[a];
    if (removed[i]) continue;
    keep.push_back(i);
    const T* bi = boxes + 4 * i;
    const T area_i = geometry::area(bi[0], bi[1], bi[2], bi[3]);
    for (std::size_t b = a + 1; b < n; ++b) {
      const std::int64_t j = order[b];
      if (removed[j]) continue;
      const T* bj = boxes + 4 * j;
      const T iou = geometry::iou(bi, area_i, bj, geometry::area(bj[0], bj[1], bj[2], bj[3]), T(0));
      if (static_cast<double>(iou) > threshold) removed[j] = 1;
    }
  }
  return keep;
}

/// Class-aware greedy NMS: exact per class, output sorted by score (ties by index).
template <class T>
std::vector<std::int64_t> greedy_batched_nms(const T* boxes, const T* scores, const std::int64_t* classes,
                                             std::size_t n, double threshold) {
  std::vector<std::int64_t> ids(classes, classes + n);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<char> kept(n, 0);
  for (const std::int64_t c : ids) {
    std::vector<std::int64_t> members;
    for (std::size_t i = 0; i < n; ++i)
      if (classes[i] == c) members.push_back(static_cast<std::int64_t>(i));
    std::vector<T> b(4 * members.size()), s(members.size());
    for (std::size_t k = 0; k < members.size(); ++k) {
      for (int q = 0; q < 4; ++q) b[4 * k + q] = boxes[4 * members[k] + q];
      s[k] = scores[members[k]];
    }
    for (const std::int64_t k : greedy_nms(b.data(), s.data(), members.size(), threshold)) kept[members[k]] = 1;
  }
  std::vector<std::int64_t> out;
  for (const std::int64_t i : score_order(scores, n))
    if (kept[i]) out.push_back(i);
  return out;
}

}  // namespace locuskit::test
