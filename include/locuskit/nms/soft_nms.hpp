#pragma once
/// \file nms/soft_nms.hpp
/// Soft-NMS (Bodla et al. 2017): scores decay with overlap instead of being zeroed.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "../box/geometry.hpp"
#include "../error.hpp"
#include "../detail/nms/kernels.hpp"
#include "io.hpp"
#include "iou_rule.hpp"
#include "overlap.hpp"
#include "../detail/nms/engine.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Score decay of soft_nms.
enum class SoftNmsMethod : int {
  linear = 1,    ///< s *= 1 - iou where iou passes the threshold rule (OpenCV `>`, mmcv `>=`)
  gaussian = 2,  ///< s *= exp(-iou^2 / sigma) for every pair (mmcv / OpenCV sigma; TF's sigma is half)
};

/// How soft_nms computes the overlap that drives the decay.
enum class SoftNmsOverlap : int {
  /// IoU in T with torchvision's formula (0 for zero-area pairs), compared by `rule`; SIMD.
  native = 0,
  /// OpenCV `softNMSBoxes` bit for bit (its boxes are integer Rects): `overlap = 1.f -
  /// float(1.0 - inter / union)` with areas and the ratio in double, 1 when both areas are 0
  /// (whatever the distance), compared `overlap > float(iou_threshold)`; linear decay
  /// `s *= 1.f - overlap`, gaussian `s *= expf(-(overlap * overlap) / float(sigma))`, in float.
  /// `rule` is ignored. Scalar O(kept x n), as OpenCV.
  opencv = 1,
};

/// Parameters of soft_nms (defaults: OpenCV `softNMSBoxes`), with the overlap policy `O`
/// (nms/overlap.hpp): AxisAlignedIoU ((n, 4) xyxy, the default), RotatedIoU ((n, 5)), Box3dIoU.
template <class O = AxisAlignedIoU>
struct BasicSoftNmsParams {
  SoftNmsMethod method = SoftNmsMethod::gaussian;
  double iou_threshold = 0.3;    ///< linear only
  double sigma = 0.5;            ///< gaussian only, > 0
  double score_threshold = 0.0;  ///< stop when the best remaining score is < this
  IouRule rule = IouRule::torchvision;  ///< linear comparison: `>` (OpenCV) or `>=` (mmcv)
  std::size_t max_output = std::numeric_limits<std::size_t>::max();  ///< top_k
  /// AxisAlignedIoU only: the IoU formula (native, or OpenCV's bits).
  SoftNmsOverlap overlap_formula = SoftNmsOverlap::native;
  /// The overlap (RotatedIoU carries its angle convention and mode).
  O overlap = {};
};
/// Parameters of the axis-aligned soft_nms.
using SoftNmsParams = BasicSoftNmsParams<AxisAlignedIoU>;

namespace detail {
/// OpenCV's `rectOverlap` (1 - jaccardDistance) of xyxy boxes with integer-valued coordinates.
template <class T>
float opencv_rect_overlap(const T* a, const T* b) noexcept {
  const double area_a = double(a[2] - a[0]) * double(a[3] - a[1]);
  const double area_b = double(b[2] - b[0]) * double(b[3] - b[1]);
  if (area_a + area_b <= 0) return 1.0f;  // OpenCV: both empty -> jaccard distance 0
  const T w = geometry::min_(a[2], b[2]) - geometry::max_(a[0], b[0]);
  const T h = geometry::min_(a[3], b[3]) - geometry::max_(a[1], b[1]);
  const double inter = (w > T(0) && h > T(0)) ? double(w) * double(h) : 0.0;
  return 1.0f - static_cast<float>(1.0 - inter / ((area_a + area_b) - inter));
}
}  // namespace detail

namespace detail {
/// `params` with the policy `overlap` (the positional soft_nms forms take the policy apart).
template <class O>
BasicSoftNmsParams<O> with_overlap(const SoftNmsParams& params, const O& overlap) {
  return {params.method,     params.iou_threshold, params.sigma,           params.score_threshold,
          params.rule,       params.max_output,    params.overlap_formula, overlap};
}

/// Soft-NMS with any overlap policy `O` (scalar; the semantics of soft_nms with the native
/// overlap): `boxes` (n, O::box_columns). Selection, decay and stopping exactly as soft_nms.
/// O(kept x alive) overlap tests, pairs failing `ov.may_overlap` (overlap 0: factor 1) skipped.
template <class O, class T, class Params>
std::size_t soft_nms_prepared(const O& ov, const T* boxes, const T* scores, std::size_t n, std::int64_t* keep,
                              T* kept_scores, const Params& params) {
  LOCUSKIT_CHECK(params.method == SoftNmsMethod::linear || params.sigma > 0, std::invalid_argument,
                 "soft_nms: sigma must be > 0, got ", params.sigma);
  LOCUSKIT_CHECK(!std::isnan(params.score_threshold), std::invalid_argument, "soft_nms: score_threshold is NaN");
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  const T sigma = static_cast<T>(params.sigma);
  const bool linear = params.method == SoftNmsMethod::linear;
  const T min_score = static_cast<T>(params.score_threshold);
  const T neg_inf = -std::numeric_limits<T>::infinity();
  using Box = decltype(ov.prepare(boxes));
  struct Item {
    Box box;
    T score;
    std::int64_t index;
  };
  std::vector<Item> live;
  live.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!(scores[i] >= min_score) || scores[i] == neg_inf) continue;  // never selectable (NaN too)
    live.push_back(Item{ov.prepare(boxes + O::box_columns * i), scores[i], static_cast<std::int64_t>(i)});
  }
  std::size_t k = 0;
  while (!live.empty() && k < params.max_output) {
    std::size_t at = 0;  // first maximum: the lowest index among ties (live stays in index order)
    for (std::size_t j = 1; j < live.size(); ++j)
      if (live[j].score > live[at].score) at = j;
    const Item sel = live[at];
    keep[k] = sel.index;
    kept_scores[k] = sel.score;
    ++k;
    std::size_t w = 0;
    for (std::size_t j = 0; j < live.size(); ++j) {
      if (j == at) continue;
      Item it = live[j];
      if (ov.may_overlap(sel.box, it.box)) {
        const T iou = ov.overlap(sel.box, it.box);
        if (linear) {
          if (iou > thr) it.score *= T(1) - iou;
        } else {
          it.score *= std::exp(-(iou * iou) / sigma);
        }
      }  // else overlap 0: the factor is exactly 1 (1 - 0 or exp(-0))
      if (!(it.score >= min_score)) continue;
      live[w++] = it;
    }
    live.resize(w);
  }
  return k;
}
}  // namespace detail

/// Soft-NMS: repeatedly selects the remaining box with the highest (decayed) score (ties: lower
/// index), emits its index to `out.keep` and that score to `out.kept_scores`, and decays the scores
/// of the remaining boxes by their IoU with it. Stops when the best score is < score_threshold,
/// after `max_output` boxes, or when none remain. Returns the count (outputs must hold
/// min(n, max_output)).
///
/// - `in.boxes` (n, O::box_columns), `in.scores` (n,); the overlap of policy `params.overlap`
///   (nms/overlap.hpp), by default AxisAlignedIoU on (n, 4) xyxy: IoU in T with torchvision's
///   formula (0 for zero-area pairs), SIMD. Other policies run the scalar engine
///   (detail::soft_nms_prepared). Matches OpenCV `cv::dnn::softNMSBoxes` (selection, `>` linear
///   test, decay formulas, updated scores; OpenCV computes the IoU of integer Rects in double, so
///   its scores differ in the last bits; `overlap_formula = opencv` gives its bits) and mmcv's
///   `soft_nms` with `rule = greater_equal` for linear.
/// - O(kept x alive): one SIMD pass per selected box finds the overlapping candidates (the only ones
///   whose factor is not exactly 1) and the next maximum; boxes whose score falls below
///   score_threshold leave the list. O(n) memory in `ws` (a temporary when null; a warm workspace
///   makes the call allocation-free). Thread-safe with distinct workspaces.
/// - NaN and -inf scores (unchecked C++) are never selected. Throws std::invalid_argument on bad
///   params (and for overlap_formula = opencv with a policy other than AxisAlignedIoU).
template <class T, class O>
std::size_t soft_nms(const NmsInputs<T>& in, const BasicSoftNmsParams<O>& params, const NmsOutputs<T>& out,
                     NmsWorkspace<T>* ws = nullptr) {
  const T *boxes = in.boxes, *scores = in.scores;
  const std::size_t n = in.n;
  std::int64_t* keep = out.keep;
  T* kept_scores = out.kept_scores;
  if constexpr (!std::is_same_v<O, AxisAlignedIoU>) {
    // Any other policy: the scalar engine (allocates its prepared boxes).
    LOCUSKIT_CHECK(params.overlap_formula == SoftNmsOverlap::native, std::invalid_argument,
                   "soft_nms: only the native overlap applies to a non-axis-aligned policy");
    (void)ws;
    return detail::soft_nms_prepared(params.overlap, boxes, scores, n, keep, kept_scores, params);
  } else {
  LOCUSKIT_CHECK(params.method == SoftNmsMethod::linear || params.sigma > 0, std::invalid_argument,
                 "soft_nms: sigma must be > 0, got ", params.sigma);
  LOCUSKIT_CHECK(!std::isnan(params.score_threshold), std::invalid_argument, "soft_nms: score_threshold is NaN");
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  const T sigma = static_cast<T>(params.sigma);
  const bool linear = params.method == SoftNmsMethod::linear;
  // Candidates compare against score_threshold as OpenCV does (score vs threshold in T).
  const T min_score = static_cast<T>(params.score_threshold);
  const T neg_inf = -std::numeric_limits<T>::infinity();
  // SoA in index order; a removed box (selected, or decayed below min_score) gets score -inf and is
  // compacted away in bulk once a quarter of the list is dead.
  NmsWorkspace<T> local;
  detail::NmsScratch<T>& work = detail::scratch_of(ws ? *ws : local, n);
  if (work.values_.size() < n) work.values_.resize(n);
  T *x1 = work.soa_.data(), *y1 = x1 + n, *x2 = y1 + n, *y2 = x2 + n, *area = y2 + n, *s = work.values_.data();
  std::int64_t* idx = work.order_.data();
  std::size_t m = 0;
  T best = neg_inf;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(scores[i] >= min_score) || scores[i] == neg_inf) continue;  // never selectable (NaN too)
    const T* b = boxes + 4 * i;
    x1[m] = b[0], y1[m] = b[1], x2[m] = b[2], y2[m] = b[3];
    area[m] = geometry::area(b[0], b[1], b[2], b[3]);
    s[m] = scores[i];
    idx[m] = static_cast<std::int64_t>(i);
    best = s[m] > best ? s[m] : best;
    ++m;
  }
  std::size_t k = 0, dead = 0;
  if (params.overlap_formula == SoftNmsOverlap::opencv) {
    // OpenCV's loop: select the first maximum, decay every remaining candidate (scalar).
    const float thr_f = static_cast<float>(params.iou_threshold), sigma_f = static_cast<float>(params.sigma);
    while (m > dead && k < params.max_output && best != neg_inf) {
      std::size_t at = 0;
      while (!(s[at] == best)) ++at;
      const T a[4] = {x1[at], y1[at], x2[at], y2[at]};
      keep[k] = idx[at];
      kept_scores[k] = s[at];
      ++k;
      s[at] = neg_inf;
      ++dead;
      best = neg_inf;
      for (std::size_t j = 0; j < m; ++j) {
        if (s[j] == neg_inf) continue;
        const T b[4] = {x1[j], y1[j], x2[j], y2[j]};
        const float o = detail::opencv_rect_overlap(a, b);
        if (linear) {
          if (o > thr_f) s[j] = static_cast<T>(s[j] * static_cast<T>(1.0f - o));
        } else {
          s[j] = static_cast<T>(s[j] * static_cast<T>(std::exp(-(o * o) / sigma_f)));  // expf, as OpenCV
        }
        if (!(s[j] >= min_score)) {
          s[j] = neg_inf;
          ++dead;
        } else if (s[j] > best) {
          best = s[j];
        }
      }
    }
    return k;
  }
  while (m > dead && k < params.max_output) {
    std::size_t at = 0;
    while (!(s[at] == best)) ++at;  // first maximum: the lowest index among ties
    const T a[4] = {x1[at], y1[at], x2[at], y2[at]};
    keep[k] = idx[at];
    kept_scores[k] = s[at];
    ++k;
    s[at] = neg_inf;
    ++dead;
    best = simd::dispatch(kernel::soft_nms_decay{}, a, area[at], x1, y1, x2, y2, area, s, m, linear, thr,
                          sigma, min_score, &dead);
    if (4 * dead > m) {
      std::size_t w = 0;
      for (std::size_t r = 0; r < m; ++r) {
        if (s[r] == neg_inf) continue;
        x1[w] = x1[r], y1[w] = y1[r], x2[w] = x2[r], y2[w] = y2[r], area[w] = area[r], s[w] = s[r];
        idx[w] = idx[r];
        ++w;
      }
      m = w;
      dead = 0;
    }
    if (best == neg_inf) break;
  }
  return k;
  }
}

/// Convenience forwarder to the signature above (positional arguments; the policy `overlap`
/// replaces params.overlap).
template <class T, class O = AxisAlignedIoU>
std::size_t soft_nms(const T* boxes, const T* scores, std::size_t n, std::int64_t* keep, T* kept_scores,
                     const SoftNmsParams& params = {}, NmsWorkspace<T>* ws = nullptr, const O& overlap = {}) {
  return soft_nms(NmsInputs<T>{boxes, scores, n}, detail::with_overlap(params, overlap),
                  NmsOutputs<T>{keep, kept_scores}, ws);
}

}  // namespace locuskit
