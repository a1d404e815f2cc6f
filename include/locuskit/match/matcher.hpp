#pragma once
/// \file match/matcher.hpp
/// Max-IoU matching of predictions (anchors, proposals) to ground truth: torchvision/detectron2
/// `Matcher` (labels -1 / -2 / gt index, `allow_low_quality_matches`), torchvision `SSDMatcher`,
/// and mmdet `MaxIoUAssigner`. Each has a dense form on a given (M gt, N predictions) quality
/// matrix and a fused form on boxes that never builds the M×N matrix (box_iou_max plus a
/// tiled recheck of the few predictions that can tie a gt's best IoU), so 200k anchors × 100 gt
/// run in O(N + M) memory.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "../box/iou.hpp"
#include "../box/iou_reduce.hpp"
#include "../error.hpp"

namespace locuskit {

/// Labels of torchvision's Matcher.
inline constexpr std::int64_t below_low_threshold = -1;
inline constexpr std::int64_t between_thresholds = -2;

namespace detail {
inline void check_thresholds(double high, double low) {
  LOCUSKIT_CHECK(!std::isnan(high) && !std::isnan(low), std::invalid_argument, "thresholds must not be NaN");
  LOCUSKIT_CHECK(low <= high, std::invalid_argument, "low_threshold (", low, ") must be <= high_threshold (",
                 high, ")");
}

// torch's max: NaN is the largest value (the first NaN wins), otherwise first index on ties.
template <class T>
inline bool torch_greater(T v, T best) noexcept {
  return (std::isnan(v) && !std::isnan(best)) || v > best;
}

/// Visits, tile by tile, the IoUs of the predictions listed in `idx` against all `m` gt (same
/// bits as box_iou / box_iou_max): `visit(pred_index, ious, stride)` with IoU(gt g, pred) at
/// `ious[g * stride]`. The gt are the rows, so the SIMD kernel runs along the 256 gathered
/// predictions. Memory O(tile·m).
template <class T, class Visit>
void for_iou_columns(const T* gt, std::size_t m, const T* preds, const std::vector<std::size_t>& idx, Visit&& visit) {
  constexpr std::size_t tile = 256;
  std::vector<T> boxes(4 * tile), ious(tile * m);
  for (std::size_t t0 = 0; t0 < idx.size(); t0 += tile) {
    const std::size_t cnt = std::min(tile, idx.size() - t0);
    for (std::size_t r = 0; r < cnt; ++r)
      for (int c = 0; c < 4; ++c) boxes[4 * r + c] = preds[4 * idx[t0 + r] + c];
    box_iou(gt, m, boxes.data(), cnt, ious.data());
    for (std::size_t r = 0; r < cnt; ++r) visit(idx[t0 + r], ious.data() + r, cnt);
  }
}
}  // namespace detail

/// torchvision `Matcher(high, low, allow_low_quality_matches)(quality)` on a dense quality matrix
/// `quality` (m gt, n predictions) row-major. `matches` (n): the best gt per prediction (first on
/// ties; NaN counts as the largest, as torch.max) if its value is >= high, −2 if in [low, high),
/// −1 if < low. With low-quality matching, every prediction whose quality equals some gt's best
/// quality gets its own best gt back (so a prediction best for gt0 and gt1 goes to gt1 if that is
/// its argmax, and gt0 stays unmatched; a gt whose best is 0 restores every 0-quality prediction).
/// Thresholds are compared in T (float32 input: f32(threshold), as torch). `matched_vals` (n) the
/// best quality, if not null. m == 0 gives every prediction −1 (torchvision raises; locuskit
/// treats an image without gt as all background). O(m·n), no allocation beyond O(m).
template <class T>
void matcher_dense(const T* quality, std::size_t m, std::size_t n, double high_threshold, double low_threshold,
                   bool allow_low_quality_matches, std::int64_t* matches, T* matched_vals = nullptr) {
  detail::check_thresholds(high_threshold, low_threshold);
  const T high = static_cast<T>(high_threshold), low = static_cast<T>(low_threshold);
  std::vector<T> best(n, -std::numeric_limits<T>::infinity());
  std::vector<std::int64_t> arg(n, -1);
  for (std::size_t g = 0; g < m; ++g)
    for (std::size_t p = 0; p < n; ++p) {
      const T v = quality[g * n + p];
      if (arg[p] < 0 || detail::torch_greater(v, best[p])) best[p] = v, arg[p] = static_cast<std::int64_t>(g);
    }
  for (std::size_t p = 0; p < n; ++p) {
    const T v = best[p];
    if (m == 0) matches[p] = below_low_threshold;
    else if (v < low) matches[p] = below_low_threshold;
    else if (v >= low && v < high) matches[p] = between_thresholds;
    else matches[p] = arg[p];
    if (matched_vals) matched_vals[p] = m == 0 ? T(0) : v;
  }
  if (!allow_low_quality_matches || m == 0 || n == 0) return;
  for (std::size_t g = 0; g < m; ++g) {
    T gbest = quality[g * n];
    for (std::size_t p = 1; p < n; ++p)
      if (detail::torch_greater(quality[g * n + p], gbest)) gbest = quality[g * n + p];
    for (std::size_t p = 0; p < n; ++p)
      if (quality[g * n + p] == gbest) matches[p] = arg[p];
  }
}

/// torchvision `Matcher` on boxes, fused: equals `matcher_dense(box_iou(gt, preds), ...)` without
/// the m×n matrix. `gt` (m, 4), `preds` (n, 4) xyxy; `matches` (n), `matched_vals` (n) or null.
/// A pair of zero-area boxes has IoU 0 (torchvision: NaN). One pass of box_iou_max gives each
/// prediction's best gt and each gt's best IoU; with low-quality matching, only predictions whose
/// best IoU is below `high` and at least the smallest gt best can tie a gt's best, and only those
/// are rechecked, in tiles of 256 against the gt. Memory O(n + m); time O(n·m); `par` threads the
/// IoU passes deterministically. Thread-safe.
template <class T>
void match_boxes(const T* gt, std::size_t m, const T* preds, std::size_t n, double high_threshold,
                 double low_threshold, bool allow_low_quality_matches, std::int64_t* matches,
                 T* matched_vals = nullptr, Parallel par = {}) {
  detail::check_thresholds(high_threshold, low_threshold);
  if (m == 0) {
    for (std::size_t p = 0; p < n; ++p) matches[p] = below_low_threshold;
    if (matched_vals) std::fill(matched_vals, matched_vals + n, T(0));
    return;
  }
  const T high = static_cast<T>(high_threshold), low = static_cast<T>(low_threshold);
  std::vector<T> best_local(matched_vals ? 0 : n), gt_best(m);
  T* best = matched_vals ? matched_vals : best_local.data();
  std::vector<std::int64_t> gt_arg(m);
  // matches[] doubles as the argmax buffer. The gt are the rows: the SIMD kernel then runs along
  // the predictions (4x faster than along 100 gt); ties still go to the first index either way.
  box_iou_max(gt, m, preds, n, gt_best.data(), gt_arg.data(), best, matches, Degenerate::zero, par);
  if (!allow_low_quality_matches) {
    for (std::size_t p = 0; p < n; ++p)
      matches[p] = best[p] < low ? below_low_threshold : (best[p] < high ? between_thresholds : matches[p]);
    return;
  }
  const T min_gt_best = *std::min_element(gt_best.begin(), gt_best.end());
  std::vector<std::size_t> candidates;
  for (std::size_t p = 0; p < n; ++p)
    if (best[p] < high && best[p] >= min_gt_best) candidates.push_back(p);
  std::vector<std::uint8_t> restore(candidates.empty() ? 0 : n, 0);
  detail::for_iou_columns(gt, m, preds, candidates, [&](std::size_t p, const T* col, std::size_t stride) {
    for (std::size_t g = 0; g < m; ++g)
      if (col[g * stride] == gt_best[g]) {
        restore[p] = 1;
        break;
      }
  });
  for (std::size_t p = 0; p < n; ++p)
    if (best[p] < high && !(restore.size() && restore[p]))
      matches[p] = best[p] < low ? below_low_threshold : between_thresholds;
}

namespace detail {
inline void check_d2_params(const double* thresholds, std::size_t k, const std::int8_t* labels) {
  for (std::size_t i = 0; i < k; ++i) {
    LOCUSKIT_CHECK(!std::isnan(thresholds[i]), std::invalid_argument, "thresholds must not be NaN");
    LOCUSKIT_CHECK(i == 0 || thresholds[i - 1] <= thresholds[i], std::invalid_argument,
                   "thresholds must be sorted ascending");
  }
  for (std::size_t i = 0; i <= k; ++i)
    LOCUSKIT_CHECK(labels[i] >= -1 && labels[i] <= 1, std::invalid_argument, "labels must be -1, 0 or 1, got ",
                   int(labels[i]));
}
// detectron2 bins: [-inf, t0), [t0, t1), ..., [t_{k-1}, +inf) get labels[0..k].
template <class T>
inline std::int8_t d2_label(T v, const T* thr, std::size_t k, const std::int8_t* labels) noexcept {
  std::int8_t out = labels[0];
  bool set = false;
  for (std::size_t i = 0; i <= k; ++i) {
    const bool ge_low = i == 0 || v >= thr[i - 1];
    const bool lt_high = i == k || v < thr[i];
    if (ge_low && lt_high) out = labels[i], set = true;
  }
  return set ? out : labels[0];  // NaN matches no bin; detectron2 asserts quality >= 0 instead
}
}  // namespace detail

/// detectron2 `Matcher(thresholds, labels, allow_low_quality_matches)` on a dense quality matrix
/// `quality` (m gt, n predictions): `matches` (n) = the best gt (first on ties), `match_labels` (n)
/// = `labels[i]` for the best quality in `[t_{i-1}, t_i)` (with −inf and +inf appended; labels in
/// {−1, 0, 1}; RPN: thresholds {0.3, 0.7}, labels {0, −1, 1}); with low-quality matching every
/// prediction equal to some gt's best gets label 1 (its match stays its own argmax). m == 0:
/// matches 0 and labels `labels[0]`, as detectron2. `thresholds` (k) ascending, `labels` (k + 1).
template <class T>
void matcher_labels_dense(const T* quality, std::size_t m, std::size_t n, const double* thresholds, std::size_t k,
                          const std::int8_t* labels, bool allow_low_quality_matches, std::int64_t* matches,
                          std::int8_t* match_labels) {
  detail::check_d2_params(thresholds, k, labels);
  std::vector<T> thr(k);
  for (std::size_t i = 0; i < k; ++i) thr[i] = static_cast<T>(thresholds[i]);
  if (m == 0) {
    std::fill(matches, matches + n, std::int64_t{0});
    std::fill(match_labels, match_labels + n, labels[0]);
    return;
  }
  std::vector<T> best(n, -std::numeric_limits<T>::infinity());
  std::fill(matches, matches + n, std::int64_t{-1});
  for (std::size_t g = 0; g < m; ++g)
    for (std::size_t p = 0; p < n; ++p) {
      const T v = quality[g * n + p];
      if (matches[p] < 0 || detail::torch_greater(v, best[p])) best[p] = v, matches[p] = static_cast<std::int64_t>(g);
    }
  for (std::size_t p = 0; p < n; ++p) match_labels[p] = detail::d2_label(best[p], thr.data(), k, labels);
  if (!allow_low_quality_matches || n == 0) return;
  for (std::size_t g = 0; g < m; ++g) {
    T gbest = quality[g * n];
    for (std::size_t p = 1; p < n; ++p)
      if (detail::torch_greater(quality[g * n + p], gbest)) gbest = quality[g * n + p];
    for (std::size_t p = 0; p < n; ++p)
      if (quality[g * n + p] == gbest) match_labels[p] = 1;
  }
}

/// detectron2 `Matcher` on boxes, fused (no m×n matrix): equals
/// `matcher_labels_dense(box_iou(gt, preds), ...)` (zero-area pairs IoU 0). Memory O(n + m).
template <class T>
void match_boxes_labels(const T* gt, std::size_t m, const T* preds, std::size_t n, const double* thresholds,
                        std::size_t k, const std::int8_t* labels, bool allow_low_quality_matches,
                        std::int64_t* matches, std::int8_t* match_labels, Parallel par = {}) {
  detail::check_d2_params(thresholds, k, labels);
  if (m == 0) {
    std::fill(matches, matches + n, std::int64_t{0});
    std::fill(match_labels, match_labels + n, labels[0]);
    return;
  }
  std::vector<T> thr(k), best(n), gt_best(m);
  for (std::size_t i = 0; i < k; ++i) thr[i] = static_cast<T>(thresholds[i]);
  std::vector<std::int64_t> gt_arg(m);
  box_iou_max(gt, m, preds, n, gt_best.data(), gt_arg.data(), best.data(), matches, Degenerate::zero, par);
  for (std::size_t p = 0; p < n; ++p) match_labels[p] = detail::d2_label(best[p], thr.data(), k, labels);
  if (!allow_low_quality_matches || n == 0) return;
  const T min_gt_best = *std::min_element(gt_best.begin(), gt_best.end());
  std::vector<std::size_t> candidates;
  for (std::size_t p = 0; p < n; ++p)
    if (match_labels[p] != 1 && best[p] >= min_gt_best) candidates.push_back(p);
  detail::for_iou_columns(gt, m, preds, candidates, [&](std::size_t p, const T* col, std::size_t stride) {
    for (std::size_t g = 0; g < m; ++g)
      if (col[g * stride] == gt_best[g]) {
        match_labels[p] = 1;
        break;
      }
  });
}

/// torchvision `SSDMatcher(threshold)` on boxes: `Matcher(thr, thr)` and then, for each gt in
/// order, its best prediction (first on ties) is forced to that gt (a later gt wins).
/// Shapes as match_boxes. Memory O(n + m).
template <class T>
void ssd_match_boxes(const T* gt, std::size_t m, const T* preds, std::size_t n, double threshold,
                     std::int64_t* matches, T* matched_vals = nullptr, Parallel par = {}) {
  detail::check_thresholds(threshold, threshold);
  if (m == 0) {
    match_boxes(gt, m, preds, n, threshold, threshold, false, matches, matched_vals, par);
    return;
  }
  const T thr = static_cast<T>(threshold);
  std::vector<T> best_local(matched_vals ? 0 : n), gt_best(m);
  T* best = matched_vals ? matched_vals : best_local.data();
  std::vector<std::int64_t> gt_arg(m);
  box_iou_max(gt, m, preds, n, gt_best.data(), gt_arg.data(), best, matches, Degenerate::zero, par);
  for (std::size_t p = 0; p < n; ++p)
    if (best[p] < thr) matches[p] = below_low_threshold;
  for (std::size_t g = 0; g < m; ++g)
    if (gt_arg[g] >= 0) matches[gt_arg[g]] = static_cast<std::int64_t>(g);
}

/// mmdet `MaxIoUAssigner` parameters (mmdet names and defaults).
struct MaxIoUAssignerParams {
  double pos_iou_thr = 0.5;
  double neg_iou_thr_low = 0.0;   ///< negatives: IoU in [neg_iou_thr_low, neg_iou_thr_high)
  double neg_iou_thr_high = 0.4;  ///< (mmdet's float neg_iou_thr t means [0, t))
  double min_pos_iou = 0.0;
  bool gt_max_assign_all = true;
  bool match_low_quality = true;
};

/// mmdet `MaxIoUAssigner.assign_wrt_overlaps` on boxes, fused. `assigned` (n): −1 ignore, 0
/// background, g + 1 for gt g. Rules in mmdet's order: all −1; best IoU in
/// [neg_low, neg_high) → 0; best ≥ pos_iou_thr → argmax + 1 (first gt on ties); then, if
/// match_low_quality, for each gt g in order with `gt_best ≥ min_pos_iou`: every prediction with
/// IoU == gt_best (or, without gt_max_assign_all, only its first best prediction) → g + 1, later
/// gts overwriting earlier ones. No gt: every prediction 0 and max IoU 0 (as mmdet).
/// `max_overlaps` (n) or null. Memory O(n + m).
template <class T>
void max_iou_assign(const T* gt, std::size_t m, const T* preds, std::size_t n, const MaxIoUAssignerParams& prm,
                    std::int64_t* assigned, T* max_overlaps = nullptr, Parallel par = {}) {
  LOCUSKIT_CHECK(!std::isnan(prm.pos_iou_thr) && !std::isnan(prm.neg_iou_thr_low) &&
                     !std::isnan(prm.neg_iou_thr_high) && !std::isnan(prm.min_pos_iou),
                 std::invalid_argument, "MaxIoUAssigner thresholds must not be NaN");
  if (m == 0) {
    std::fill(assigned, assigned + n, std::int64_t{0});
    if (max_overlaps) std::fill(max_overlaps, max_overlaps + n, T(0));
    return;
  }
  std::vector<T> best_local(max_overlaps ? 0 : n), gt_best(m);
  T* best = max_overlaps ? max_overlaps : best_local.data();
  std::vector<std::int64_t> arg(n), gt_arg(m);
  box_iou_max(gt, m, preds, n, gt_best.data(), gt_arg.data(), best, arg.data(), Degenerate::zero, par);
  const T pos = static_cast<T>(prm.pos_iou_thr), nlo = static_cast<T>(prm.neg_iou_thr_low),
          nhi = static_cast<T>(prm.neg_iou_thr_high), minpos = static_cast<T>(prm.min_pos_iou);
  for (std::size_t p = 0; p < n; ++p) {
    std::int64_t a = -1;
    if (best[p] >= nlo && best[p] < nhi) a = 0;
    if (best[p] >= pos) a = arg[p] + 1;
    assigned[p] = a;
  }
  if (!prm.match_low_quality) return;
  if (!prm.gt_max_assign_all) {
    for (std::size_t g = 0; g < m; ++g)
      if (gt_best[g] >= minpos) assigned[gt_arg[g]] = static_cast<std::int64_t>(g) + 1;
    return;
  }
  bool any = false;
  T min_best = std::numeric_limits<T>::infinity();
  for (std::size_t g = 0; g < m; ++g)
    if (gt_best[g] >= minpos) any = true, min_best = std::min(min_best, gt_best[g]);
  if (!any) return;
  std::vector<std::size_t> candidates;
  for (std::size_t p = 0; p < n; ++p)
    if (best[p] >= min_best) candidates.push_back(p);
  detail::for_iou_columns(gt, m, preds, candidates, [&](std::size_t p, const T* col, std::size_t stride) {
    for (std::size_t g = m; g-- > 0;)
      if (gt_best[g] >= minpos && col[g * stride] == gt_best[g]) {
        assigned[p] = static_cast<std::int64_t>(g) + 1;
        break;
      }
  });
}

}  // namespace locuskit
