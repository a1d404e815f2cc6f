#pragma once
/// \file nms/soft_nms.hpp
/// Soft-NMS (Bodla et al. 2017): scores decay with overlap instead of being zeroed.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../box/geometry.hpp"
#include "../error.hpp"
#include "iou_rule.hpp"

namespace locuskit {

/// Score decay of soft_nms.
enum class SoftNmsMethod : int {
  linear = 1,    ///< s *= 1 - iou where iou passes the threshold rule (OpenCV `>`, mmcv `>=`)
  gaussian = 2,  ///< s *= exp(-iou^2 / sigma) for every pair (mmcv / OpenCV sigma; TF's sigma is half)
};

/// Parameters of soft_nms (defaults: OpenCV `softNMSBoxes`).
struct SoftNmsParams {
  SoftNmsMethod method = SoftNmsMethod::gaussian;
  double iou_threshold = 0.3;    ///< linear only
  double sigma = 0.5;            ///< gaussian only, > 0
  double score_threshold = 0.0;  ///< stop when the best remaining score is < this
  IouRule rule = IouRule::torchvision;  ///< linear comparison: `>` (OpenCV) or `>=` (mmcv)
  std::size_t max_output = std::numeric_limits<std::size_t>::max();  ///< top_k
};

/// Soft-NMS: repeatedly selects the remaining box with the highest (decayed) score (ties: lower
/// index), emits its index to `keep` and that score to `kept_scores`, and decays the scores of the
/// remaining boxes by their IoU with it. Stops when the best score is < score_threshold, after
/// `max_output` boxes, or when none remain. Returns the count (outputs must hold min(n, max_output)).
///
/// - `boxes` (n, 4) xyxy, `scores` (n,). IoU in T with torchvision's formula (0 for zero-area
///   pairs). Matches OpenCV `cv::dnn::softNMSBoxes` (selection, `>` linear test, decay formulas,
///   updated scores; OpenCV computes the IoU of integer Rects in double, so its scores differ in the
///   last bits) and mmcv's `soft_nms` with `rule = greater_equal` for linear.
/// - O(kept x alive): boxes whose score falls below score_threshold leave the candidate list; the
///   exponential is evaluated only for overlapping pairs. O(n) memory. Thread-safe.
/// - NaN scores (unchecked C++) are never selected. Throws std::invalid_argument on bad params.
template <class T>
std::size_t soft_nms(const T* boxes, const T* scores, std::size_t n, std::int64_t* keep,
                     T* kept_scores, const SoftNmsParams& params = {}) {
  LOCUSKIT_CHECK(params.method == SoftNmsMethod::linear || params.sigma > 0, std::invalid_argument,
                 "soft_nms: sigma must be > 0, got ", params.sigma);
  LOCUSKIT_CHECK(!std::isnan(params.score_threshold), std::invalid_argument, "soft_nms: score_threshold is NaN");
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  const T sigma = static_cast<T>(params.sigma);
  const bool linear = params.method == SoftNmsMethod::linear;
  // Candidates compare against score_threshold as OpenCV does (float score vs float threshold).
  const T min_score = static_cast<T>(params.score_threshold);
  std::vector<T> x1(n), y1(n), x2(n), y2(n), area(n), s(n);
  std::vector<std::int64_t> idx(n);
  std::size_t m = 0, best = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(scores[i] >= min_score)) continue;  // never selectable (NaN too)
    const T* b = boxes + 4 * i;
    x1[m] = b[0], y1[m] = b[1], x2[m] = b[2], y2[m] = b[3];
    area[m] = geometry::area(b[0], b[1], b[2], b[3]);
    s[m] = scores[i];
    idx[m] = static_cast<std::int64_t>(i);
    if (s[m] > s[best]) best = m;
    ++m;
  }
  std::size_t k = 0;
  while (m > 0 && k < params.max_output) {
    const T a[4] = {x1[best], y1[best], x2[best], y2[best]};
    const T area_a = area[best];
    keep[k] = idx[best];
    kept_scores[k] = s[best];
    ++k;
    // One pass: decay, drop boxes under the threshold and the selected one, find the next best.
    std::size_t w = 0, next = 0;
    for (std::size_t j = 0; j < m; ++j) {
      if (j == best) continue;
      const T b[4] = {x1[j], y1[j], x2[j], y2[j]};
      const T inter = geometry::intersection(a, b);
      T sj = s[j];
      if (inter > T(0)) {
        const T iou = geometry::iou(a, area_a, b, area[j], T(0));
        if (linear) {
          if (iou > thr) sj *= T(1) - iou;
        } else {
          sj *= std::exp(-(iou * iou) / sigma);
        }
      } else if (linear && T(0) > thr) {
        sj *= T(1);  // (negative thresholds: 1 - 0)
      }
      if (!(sj >= min_score)) continue;
      x1[w] = b[0], y1[w] = b[1], x2[w] = b[2], y2[w] = b[3];
      area[w] = area[j];
      s[w] = sj;
      idx[w] = idx[j];
      if (w == 0 || sj > s[next]) next = w;  // strict: ties keep the lower index (list is in index order)
      ++w;
    }
    m = w;
    best = next;
  }
  return k;
}

}  // namespace locuskit
