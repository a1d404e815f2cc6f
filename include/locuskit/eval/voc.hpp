#pragma once
/// \file voc.hpp
/// Pascal VOC average precision for one class: VOC2007 11-point and VOC2010+ all-point AP,
/// `difficult` ground truth, the legacy +1 pixel convention, the precision-recall curve and the
/// best-F1 score threshold (notes rules 34-40; matches the VOC devkit / py-faster-rcnn voc_eval).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "numpy_argsort.hpp"
#include "numpy_sum.hpp"

namespace locuskit {

/// Options of `voc_evaluate_class`.
struct VocOptions {
  double iou_threshold = 0.5;
  bool plus_one = false;         ///< legacy pixel convention: w = x2 - x1 + 1 (devkit, published numbers)
  bool strict_threshold = false; ///< match needs IoU > thr (py-faster-rcnn/detectron2) instead of >= (devkit)
  bool numpy_argsort_order = false; ///< results in `np.argsort(-score)` order (quicksort: ties not in input order; DOTA_devkit)
};

/// Per-class VOC result. Arrays are in the order of the sorted results (descending score, stable).
struct VocClassResult {
  std::size_t npos = 0;                  ///< non-difficult GT
  std::vector<std::uint32_t> order;      ///< result indices, sorted
  std::vector<std::uint8_t> tp, fp;      ///< per sorted result (both 0: matched a difficult GT, ignored)
  std::vector<double> recall, precision; ///< cumulative; precision tp/(tp+fp), 0 where tp+fp = 0
  double ap_11point = 0;                 ///< VOC2007: ap += max(prec[rec >= t]) / 11, t = 0, 0.1, ..., 1
  double ap_all_point = 0;               ///< VOC2010+: area under the envelope, left to right
  double ap_11point_sum_then_divide = 0; ///< rafaelpadilla's order: sum over descending t, then / 11
  double ap_all_point_np_sum = 0;        ///< the same terms summed with np.sum's pairwise order
  double best_f1 = 0;                    ///< max over positions of 2PR / (P + R)
  double best_f1_score = std::numeric_limits<double>::quiet_NaN();  ///< score threshold reaching it
};

/// VOC evaluation of one class with any overlap: `overlap(d, j)` is the overlap of result `d` and
/// GT `j` (the same image). Results: `det_image` (N) image index, `det_score` (N); GT: `gt_image`
/// (G), `gt_difficult` (G, may be null). Each result, by descending score (stable: ties in input
/// order), takes the GT of its image with the largest overlap (strict >, first wins, difficult
/// included); overlap >= thr (> with `strict_threshold`): difficult -> ignored, unused -> TP (marked
/// used), used -> FP (no fallback); else FP. `opt.plus_one` is the overlap's business.
/// O(N log N + N * G_image) overlap calls. Thread-safe if `overlap` is.
template <class Overlap>
VocClassResult voc_evaluate_class_with(const std::int64_t* det_image, const double* det_score, std::size_t n,
                                       const std::int64_t* gt_image, const std::uint8_t* gt_difficult, std::size_t g,
                                       Overlap&& overlap, const VocOptions& opt = {}) {
  VocClassResult r;
  for (std::size_t j = 0; j < g; ++j) r.npos += !(gt_difficult && gt_difficult[j]);
  // GT grouped per image (file order kept).
  std::vector<std::uint32_t> gorder(g);
  std::iota(gorder.begin(), gorder.end(), 0u);
  std::stable_sort(gorder.begin(), gorder.end(), [&](std::uint32_t a, std::uint32_t b) { return gt_image[a] < gt_image[b]; });
  r.order.resize(n);
  std::iota(r.order.begin(), r.order.end(), 0u);
  if (opt.numpy_argsort_order) {
    std::vector<double> negated(det_score, det_score + n);
    for (double& v : negated) v = -v;
    const auto idx = detail::numpy_argsort_quicksort(negated.data(), n);
    for (std::size_t p = 0; p < n; ++p) r.order[p] = static_cast<std::uint32_t>(idx[p]);
  } else {
    std::stable_sort(r.order.begin(), r.order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return det_score[a] > det_score[b] || (det_score[b] != det_score[b] && det_score[a] == det_score[a]);
    });
  }
  std::vector<std::uint8_t> used(g, 0);
  r.tp.assign(n, 0);
  r.fp.assign(n, 0);
  for (std::size_t p = 0; p < n; ++p) {
    const std::uint32_t d = r.order[p];
    auto lo = std::lower_bound(gorder.begin(), gorder.end(), det_image[d],
                               [&](std::uint32_t a, std::int64_t v) { return gt_image[a] < v; });
    double ovmax = -std::numeric_limits<double>::infinity();
    std::ptrdiff_t jmax = -1;
    for (auto it = lo; it != gorder.end() && gt_image[*it] == det_image[d]; ++it) {
      const double ov = overlap(static_cast<std::size_t>(d), static_cast<std::size_t>(*it));
      if (ov > ovmax) ovmax = ov, jmax = *it;
    }
    const bool hit = jmax >= 0 && (opt.strict_threshold ? ovmax > opt.iou_threshold : ovmax >= opt.iou_threshold);
    if (hit) {
      if (gt_difficult && gt_difficult[jmax]) continue;
      if (!used[jmax]) r.tp[p] = 1, used[jmax] = 1;
      else r.fp[p] = 1;
    } else {
      r.fp[p] = 1;
    }
  }
  r.recall.resize(n);
  r.precision.resize(n);
  double tp = 0, fp = 0;
  for (std::size_t p = 0; p < n; ++p) {
    tp += r.tp[p], fp += r.fp[p];
    r.recall[p] = r.npos ? tp / static_cast<double>(r.npos) : std::numeric_limits<double>::quiet_NaN();
    r.precision[p] = tp + fp > 0 ? tp / (tp + fp) : 0.0;
    const double f = r.precision[p] + r.recall[p] > 0 ? 2 * r.precision[p] * r.recall[p] / (r.precision[p] + r.recall[p]) : 0.0;
    if (f > r.best_f1) r.best_f1 = f, r.best_f1_score = det_score[r.order[p]];
  }
  // VOC2007 11-point, ascending t (running sum), and rafaelpadilla's order (descending, sum / 11).
  double pts[11];
  for (int i = 0; i < 11; ++i) {
    const double t = i * 0.1;  // np.arange(0, 1.1, 0.1)
    double pmax = 0;
    bool any = false;
    for (std::size_t p = 0; p < n; ++p)
      if (r.recall[p] >= t) pmax = any ? std::max(pmax, r.precision[p]) : r.precision[p], any = true;
    pts[i] = any ? pmax : 0.0;
    r.ap_11point += pts[i] / 11;
  }
  double s = 0;
  for (int i = 10; i >= 0; --i) s += pts[i];
  r.ap_11point_sum_then_divide = s / 11;
  // VOC2010+: sentinels, envelope from the right, sum where recall changes.
  std::vector<double> mrec(n + 2), mpre(n + 2), terms;
  mrec[0] = 0, mpre[0] = 0, mrec[n + 1] = 1, mpre[n + 1] = 0;
  for (std::size_t p = 0; p < n; ++p) mrec[p + 1] = r.recall[p], mpre[p + 1] = r.precision[p];
  for (std::size_t i = n + 1; i > 0; --i) mpre[i - 1] = std::max(mpre[i - 1], mpre[i]);
  for (std::size_t i = 0; i + 1 < n + 2; ++i)
    if (mrec[i + 1] != mrec[i]) terms.push_back((mrec[i + 1] - mrec[i]) * mpre[i + 1]);
  for (double v : terms) r.ap_all_point += v;
  r.ap_all_point_np_sum = numpy_sum(terms.data(), terms.size());
  return r;
}

/// VOC evaluation of one class with axis-aligned boxes: `det_boxes` (N, 4) and `gt_boxes` (G, 4)
/// xyxy, IoU with the +1 pixel convention when `opt.plus_one`; the rest as voc_evaluate_class_with.
inline VocClassResult voc_evaluate_class(const std::int64_t* det_image, const double* det_score,
                                         const double* det_boxes, std::size_t n, const std::int64_t* gt_image,
                                         const double* gt_boxes, const std::uint8_t* gt_difficult, std::size_t g,
                                         const VocOptions& opt = {}) {
  const double one = opt.plus_one ? 1.0 : 0.0;
  auto iou = [&](std::size_t d, std::size_t j) {
    const double* bb = det_boxes + 4 * d;
    const double* gb = gt_boxes + 4 * j;
    const double iw = std::max(std::min(gb[2], bb[2]) - std::max(gb[0], bb[0]) + one, 0.0);
    const double ih = std::max(std::min(gb[3], bb[3]) - std::max(gb[1], bb[1]) + one, 0.0);
    const double inters = iw * ih;
    const double uni = (bb[2] - bb[0] + one) * (bb[3] - bb[1] + one) + (gb[2] - gb[0] + one) * (gb[3] - gb[1] + one) - inters;
    return inters / uni;
  };
  return voc_evaluate_class_with(det_image, det_score, n, gt_image, gt_difficult, g, iou, opt);
}

}  // namespace locuskit
