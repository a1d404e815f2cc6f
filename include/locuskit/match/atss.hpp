#pragma once
/// \file match/atss.hpp
/// ATSS (Adaptive Training Sample Selection, Zhang et al. 2020) with mmdet `ATSSAssigner` semantics.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "../box/geometry.hpp"
#include "../error.hpp"

namespace locuskit {

/// mmdet `ATSSAssigner(topk).assign(anchors, num_level_anchors, gt)`. For each gt g: on each
/// level, the `topk` anchors whose centre `((x1+x2)/2, (y1+y2)/2)` is nearest to the gt centre
/// (Euclidean; ties by anchor index — torch.topk leaves them unspecified); the IoU threshold is
/// `mean + std` (unbiased, over the candidates; computed in double); a candidate is positive for g if
/// its IoU ≥ that threshold and its centre is inside g by more than `center_eps` (mmdet 0.01):
/// `min(cx − x1, cy − y1, x2 − cx, y2 − cy) > eps`. A prediction positive for several gts takes the
/// one of highest IoU (first on ties). `assigned` (n): 0 background, g + 1; `max_overlaps` (n) the
/// IoU with the assigned gt, −inf for background (as mmdet), or null. `level_sizes` (levels) must
/// sum to n. A pair of zero-area boxes has IoU 0 (mmdet clamps the union at 1e-6).
/// O(m·n) time, O(n + m·topk·levels) memory. Thread-safe.
template <class T>
void atss_assign(const T* anchors, std::size_t n, const std::size_t* level_sizes, std::size_t n_levels, const T* gt,
                 std::size_t m, std::size_t topk, std::int64_t* assigned, T* max_overlaps = nullptr,
                 double center_eps = 0.01) {
  std::size_t total = 0;
  for (std::size_t l = 0; l < n_levels; ++l) total += level_sizes[l];
  LOCUSKIT_CHECK(total == n, std::invalid_argument, "num_level_anchors sum to ", total, " but there are ", n,
                 " anchors");
  LOCUSKIT_CHECK(topk > 0, std::invalid_argument, "topk must be positive");
  const T lowest = -std::numeric_limits<T>::infinity();
  std::fill(assigned, assigned + n, std::int64_t{0});
  std::vector<T> best(n, lowest);
  std::vector<T> acx(n), acy(n), area(n);
  for (std::size_t i = 0; i < n; ++i) {
    const T* a = anchors + 4 * i;
    acx[i] = (a[0] + a[2]) / T(2);
    acy[i] = (a[1] + a[3]) / T(2);
    area[i] = geometry::area(a[0], a[1], a[2], a[3]);
  }
  std::vector<T> dist(n);
  std::vector<std::size_t> cand, order;
  std::vector<T> cand_iou;
  for (std::size_t g = 0; g < m; ++g) {
    const T* b = gt + 4 * g;
    const T gcx = (b[0] + b[2]) / T(2), gcy = (b[1] + b[3]) / T(2);
    const T garea = geometry::area(b[0], b[1], b[2], b[3]);
    cand.clear();
    std::size_t start = 0;
    for (std::size_t l = 0; l < n_levels; ++l) {
      const std::size_t cnt = level_sizes[l], k = std::min(topk, cnt);
      order.resize(cnt);
      for (std::size_t i = 0; i < cnt; ++i) {
        const T dx = acx[start + i] - gcx, dy = acy[start + i] - gcy;
        dist[start + i] = std::sqrt(dx * dx + dy * dy);
        order[i] = start + i;
      }
      auto closer = [&](std::size_t a, std::size_t c) { return dist[a] < dist[c] || (dist[a] == dist[c] && a < c); };
      if (k < cnt) std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), closer);
      cand.insert(cand.end(), order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
      start += cnt;
    }
    if (cand.empty()) continue;
    cand_iou.resize(cand.size());
    double sum = 0;
    for (std::size_t c = 0; c < cand.size(); ++c) {
      cand_iou[c] = geometry::iou(anchors + 4 * cand[c], area[cand[c]], b, garea, T(0));
      sum += static_cast<double>(cand_iou[c]);
    }
    const double mean = sum / static_cast<double>(cand.size());
    double var = 0;
    for (std::size_t c = 0; c < cand.size(); ++c) var += (cand_iou[c] - mean) * (cand_iou[c] - mean);
    // torch.std of one value is NaN, so nothing passes.
    const double sd = cand.size() > 1 ? std::sqrt(var / static_cast<double>(cand.size() - 1))
                                      : std::numeric_limits<double>::quiet_NaN();
    const T thr = static_cast<T>(mean + sd);
    const T eps = static_cast<T>(center_eps);
    for (std::size_t c = 0; c < cand.size(); ++c) {
      const std::size_t i = cand[c];
      const T inside = std::min(std::min(acx[i] - b[0], acy[i] - b[1]), std::min(b[2] - acx[i], b[3] - acy[i]));
      if (cand_iou[c] >= thr && inside > eps && cand_iou[c] > best[i]) {
        best[i] = cand_iou[c];
        assigned[i] = static_cast<std::int64_t>(g) + 1;
      }
    }
  }
  if (max_overlaps) std::copy(best.begin(), best.end(), max_overlaps);
}

}  // namespace locuskit
