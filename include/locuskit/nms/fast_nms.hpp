#pragma once
/// \file nms/fast_nms.hpp
/// Fast NMS (YOLACT) and Cluster-NMS (Zheng et al. 2021): matrix forms of greedy NMS.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../box/geometry.hpp"
#include "../error.hpp"
#include "iou_rule.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Largest top_k (boxes after the cut) fast_nms / cluster_nms accept: their bitmask takes
/// top_k^2 / 8 bytes (128 MiB here).
inline constexpr std::size_t max_suppression_bits_boxes = 32768;

namespace detail {
/// Sorted (score desc, ties lower index) top `top_k` indices and the bitmask `over[i][j] = IoU(i,j)
/// > thr` for i < j over them (rows of `words` 64-bit words): the suppression matrix GPU NMS uses.
template <class T>
std::size_t suppression_bits(const T* boxes, const T* scores, std::size_t n, std::size_t top_k, T thr,
                             std::vector<std::int64_t>& order, std::vector<std::uint64_t>& bits,
                             std::size_t& words) {
  const std::size_t m = std::min(n, top_k);
  LOCUSKIT_CHECK(m <= max_suppression_bits_boxes, std::invalid_argument, "fast_nms/cluster_nms: ", m,
                 " boxes would need a ", double(m) * double(m) / 8 / (1 << 20), " MiB suppression matrix; pass top_k <= ",
                 max_suppression_bits_boxes, " (YOLACT uses 200) or use nms()");
  NmsWorkspace<T> ws(n);
  detail::score_order(scores, n, ws.order_.data(), ws);
  order.assign(ws.order_.begin(), ws.order_.begin() + static_cast<std::ptrdiff_t>(m));
  words = (m + 63) / 64;
  bits.assign(m * words, 0);
  for (std::size_t i = 0; i < m; ++i) {
    const T* a = boxes + 4 * order[i];
    const T area_a = geometry::area(a[0], a[1], a[2], a[3]);
    for (std::size_t j = i + 1; j < m; ++j) {
      const T* b = boxes + 4 * order[j];
      const T inter = geometry::intersection(a, b);
      const T iou = inter / ((area_a + geometry::area(b[0], b[1], b[2], b[3])) - inter);
      if (iou > thr) bits[i * words + j / 64] |= std::uint64_t(1) << (j % 64);
    }
  }
  return m;
}
}  // namespace detail

/// Fast NMS (YOLACT): over the top_k boxes by score, keeps j iff no higher-scored box i (kept or not)
/// has `IoU(i, j) > iou_threshold`. Removes a superset of what greedy NMS removes. Writes kept
/// indices (score order; ties lower index) to `keep` (room for min(n, top_k)); returns the count.
/// O(top_k^2) time, O(top_k^2 / 8) bytes (a suppression bitmask). Thread-safe.
template <class T>
std::size_t fast_nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold,
                     std::int64_t* keep, std::size_t top_k = std::size_t(-1),
                     IouRule rule = IouRule::torchvision) {
  const T thr = strict_iou_threshold<T>(iou_threshold, rule);
  std::vector<std::int64_t> order;
  std::vector<std::uint64_t> bits;
  std::size_t words = 0;
  const std::size_t m = detail::suppression_bits(boxes, scores, n, top_k, thr, order, bits, words);
  std::vector<std::uint64_t> hit(words, 0);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t w = 0; w < words; ++w) hit[w] |= bits[i * words + w];
  std::size_t k = 0;
  for (std::size_t j = 0; j < m; ++j)
    if (!((hit[j / 64] >> (j % 64)) & 1u)) keep[k++] = order[j];
  return k;
}

/// Cluster-NMS: iterates Fast NMS with only the currently kept boxes allowed to suppress
/// (`keep_j = no kept i < j with IoU > thr`) until the kept set stops changing. The fixed point is
/// exactly greedy NMS (same indices and order as nms() over the top_k), reached within as many
/// iterations as the longest suppression chain. Writes to `keep` (room for min(n, top_k)); returns
/// the count; `iterations` (if non-null) receives the number of passes. O(iterations x top_k^2 / 64)
/// after an O(top_k^2) bitmask build. Thread-safe.
template <class T>
std::size_t cluster_nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold,
                        std::int64_t* keep, std::size_t top_k = std::size_t(-1),
                        IouRule rule = IouRule::torchvision, std::size_t* iterations = nullptr) {
  const T thr = strict_iou_threshold<T>(iou_threshold, rule);
  std::vector<std::int64_t> order;
  std::vector<std::uint64_t> bits;
  std::size_t words = 0;
  const std::size_t m = detail::suppression_bits(boxes, scores, n, top_k, thr, order, bits, words);
  std::vector<char> kept(m, 1), next(m);
  std::vector<std::uint64_t> hit(words);
  std::size_t it = 0;
  for (;;) {
    ++it;
    std::fill(hit.begin(), hit.end(), 0);
    for (std::size_t i = 0; i < m; ++i)
      if (kept[i])
        for (std::size_t w = 0; w < words; ++w) hit[w] |= bits[i * words + w];
    bool changed = false;
    for (std::size_t j = 0; j < m; ++j) {
      next[j] = !((hit[j / 64] >> (j % 64)) & 1u);
      changed |= next[j] != kept[j];
    }
    kept.swap(next);
    if (!changed) break;
  }
  if (iterations) *iterations = it;
  std::size_t k = 0;
  for (std::size_t j = 0; j < m; ++j)
    if (kept[j]) keep[k++] = order[j];
  return k;
}

}  // namespace locuskit
