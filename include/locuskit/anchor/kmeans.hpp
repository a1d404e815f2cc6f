#pragma once
/// \file anchor/kmeans.hpp
/// YOLO-style anchor selection: k-means on ground-truth box shapes with the IoU distance
/// `d = 1 - IoU(wh_a, wh_b)` (boxes aligned at a common corner, as darknet / YOLOv2-v3
/// `gen_anchors`), deterministic given a seed, plus the usual fit report.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "../error.hpp"

namespace locuskit {

/// IoU of two shapes placed at the same corner: `min(w)·min(h) / (wa·ha + wb·hb − inter)`.
template <class T>
inline T wh_iou(T wa, T ha, T wb, T hb) noexcept {
  const T inter = std::min(wa, wb) * std::min(ha, hb);
  return inter / ((wa * ha + wb * hb) - inter);
}

/// How well `k` anchor shapes fit `n` ground-truth shapes.
struct AnchorFit {
  double mean_iou = 0;        ///< mean over boxes of the best wh-IoU with any anchor (YOLOv2 "Avg IOU")
  double best_possible_recall = 0;  ///< YOLOv5 `autoanchor` bpr: share of boxes with best ratio metric > 1/thr
  double anchors_above_threshold = 0;  ///< YOLOv5 aat: mean number of anchors per box with ratio metric > 1/thr
  double fitness = 0;         ///< YOLOv5 `kmean_anchors` fitness: mean of best·[best > 1/thr]
};

/// Fit report of `anchors` (k, 2) wh for `wh` (n, 2). The ratio metric is YOLOv5's
/// (`utils/autoanchor.py`): `r = wh/anchor`, `x = min(min(r, 1/r))` over (w, h), best = max over
/// anchors; `ratio_threshold` is its `thr` (hyperparameter anchor_t, default 4). O(n·k).
template <class T>
AnchorFit anchor_fit(const T* wh, std::size_t n, const T* anchors, std::size_t k, double ratio_threshold = 4.0) {
  AnchorFit f;
  if (n == 0 || k == 0) return f;
  const double inv_thr = 1.0 / ratio_threshold;
  for (std::size_t i = 0; i < n; ++i) {
    double best_iou = 0, best_x = 0;
    std::size_t above = 0;
    for (std::size_t j = 0; j < k; ++j) {
      const double w = wh[2 * i], h = wh[2 * i + 1], aw = anchors[2 * j], ah = anchors[2 * j + 1];
      best_iou = std::max(best_iou, static_cast<double>(wh_iou<double>(w, h, aw, ah)));
      const double rw = w / aw, rh = h / ah;
      const double x = std::min(std::min(rw, 1.0 / rw), std::min(rh, 1.0 / rh));
      best_x = std::max(best_x, x);
      above += x > inv_thr;
    }
    f.mean_iou += best_iou;
    f.best_possible_recall += best_x > inv_thr;
    f.anchors_above_threshold += static_cast<double>(above);
    f.fitness += best_x > inv_thr ? best_x : 0.0;
  }
  const double dn = static_cast<double>(n);
  f.mean_iou /= dn;
  f.best_possible_recall /= dn;
  f.anchors_above_threshold /= dn;
  f.fitness /= dn;
  return f;
}

namespace detail {
/// splitmix64: a portable, seedable generator (std distributions differ across standard libraries).
struct SplitMix64 {
  std::uint64_t s;
  std::uint64_t next() noexcept {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};
}  // namespace detail

namespace detail {
/// One k-means++-seeded Lloyd run; returns the (k, 2) centroids (unsorted).
template <class T>
std::vector<double> kmeans_iou_once(const T* wh, std::size_t n, std::size_t k, SplitMix64& rng, std::size_t max_iter) {
  std::vector<double> c(2 * k), dist(n, std::numeric_limits<double>::infinity());
  auto iou = [&](std::size_t i, std::size_t j) {
    return wh_iou<double>(wh[2 * i], wh[2 * i + 1], c[2 * j], c[2 * j + 1]);
  };
  // k-means++ seeding.
  std::size_t first = static_cast<std::size_t>(rng.uniform() * static_cast<double>(n));
  if (first >= n) first = n - 1;
  c[0] = wh[2 * first], c[1] = wh[2 * first + 1];
  for (std::size_t j = 1; j < k; ++j) {
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      dist[i] = std::min(dist[i], 1.0 - iou(i, j - 1));
      total += dist[i];
    }
    std::size_t pick = n - 1;
    if (total > 0) {
      double u = rng.uniform() * total;
      for (std::size_t i = 0; i < n; ++i) {
        u -= dist[i];
        if (u < 0) {
          pick = i;
          break;
        }
      }
    } else {
      pick = static_cast<std::size_t>(rng.uniform() * static_cast<double>(n));
      if (pick >= n) pick = n - 1;
    }
    c[2 * j] = wh[2 * pick], c[2 * j + 1] = wh[2 * pick + 1];
  }
  std::vector<std::size_t> assign(n, k);
  std::vector<double> sum(2 * k);
  std::vector<std::size_t> count(k);
  for (std::size_t it = 0; it < max_iter; ++it) {
    bool changed = false;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t best = 0;
      double best_iou = -1;
      for (std::size_t j = 0; j < k; ++j) {
        const double v = iou(i, j);
        if (v > best_iou) best_iou = v, best = j;
      }
      changed |= assign[i] != best;
      assign[i] = best;
    }
    if (!changed) break;
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), std::size_t{0});
    for (std::size_t i = 0; i < n; ++i) {
      sum[2 * assign[i]] += wh[2 * i];
      sum[2 * assign[i] + 1] += wh[2 * i + 1];
      ++count[assign[i]];
    }
    for (std::size_t j = 0; j < k; ++j)
      if (count[j]) c[2 * j] = sum[2 * j] / static_cast<double>(count[j]),
                    c[2 * j + 1] = sum[2 * j + 1] / static_cast<double>(count[j]);
  }
  return c;
}
}  // namespace detail

/// k-means with the `1 − IoU` distance on shapes `wh` (n, 2), all positive. Seeding is
/// k-means++ (`D = 1 − IoU`, splitmix64 seeded with `seed`, so results are identical on every
/// platform); then Lloyd iterations (assign each shape to its highest-IoU centroid, first on ties;
/// centroid = mean of its members; an empty cluster keeps its centroid) until assignments stop
/// changing or `max_iter`; this is repeated `n_init` times (the seeding sequence continues) and
/// the run with the highest mean best IoU is kept. `out` (k, 2) sorted by area ascending (YOLO order). Returns the fit
/// report. Throws if k == 0, k > n or a shape is not positive. O(n·k·iterations).
template <class T>
AnchorFit kmeans_anchors(const T* wh, std::size_t n, std::size_t k, T* out, std::uint64_t seed = 0,
                         std::size_t max_iter = 300, double ratio_threshold = 4.0, std::size_t n_init = 10) {
  LOCUSKIT_CHECK(k > 0, std::invalid_argument, "kmeans_anchors: k must be positive");
  LOCUSKIT_CHECK(k <= n, std::invalid_argument, "kmeans_anchors: k = ", k, " exceeds the number of boxes ", n);
  for (std::size_t i = 0; i < n; ++i)
    LOCUSKIT_CHECK(std::isfinite(wh[2 * i]) && std::isfinite(wh[2 * i + 1]) && wh[2 * i] > 0 && wh[2 * i + 1] > 0,
                   std::invalid_argument, "kmeans_anchors: shape ", i, " must be finite and positive, got (",
                   wh[2 * i], ", ", wh[2 * i + 1], ")");
  detail::SplitMix64 rng{seed};
  std::vector<double> best_c;
  double best_score = -1;
  for (std::size_t restart = 0; restart < std::max<std::size_t>(n_init, 1); ++restart) {
    std::vector<double> c = detail::kmeans_iou_once(wh, n, k, rng, max_iter);
    double score = 0;  // mean best IoU: the k-means objective (1 - IoU distance)
    for (std::size_t i = 0; i < n; ++i) {
      double b = 0;
      for (std::size_t j = 0; j < k; ++j) b = std::max(b, wh_iou<double>(wh[2 * i], wh[2 * i + 1], c[2 * j], c[2 * j + 1]));
      score += b;
    }
    if (score > best_score) best_score = score, best_c = std::move(c);
  }
  const std::vector<double>& c = best_c;
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return c[2 * a] * c[2 * a + 1] < c[2 * b] * c[2 * b + 1]; });
  for (std::size_t j = 0; j < k; ++j)
    out[2 * j] = static_cast<T>(c[2 * order[j]]), out[2 * j + 1] = static_cast<T>(c[2 * order[j] + 1]);
  return anchor_fit(wh, n, out, k, ratio_threshold);
}

}  // namespace locuskit
