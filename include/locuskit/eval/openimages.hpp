#pragma once
/// \file openimages.hpp
/// Open Images challenge detection metric, bit for bit as the TF Object Detection API's
/// `OpenImagesChallengeEvaluator` (object_detection_evaluation.py + per_image_evaluation.py +
/// metrics.py, box mode, group_of_weight 1): verified image-level labels decide which classes of
/// an image are evaluated, group-of boxes absorb the results inside them (IoA) and count once,
/// AP per class is the VOC all-point area under the enveloped curve, mAP the mean over classes with
/// GT. Hierarchy expansion of the ground truth is done before (Python: locuskit.eval.openimages).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "../error.hpp"
#include "numpy_argsort.hpp"
#include "numpy_sum.hpp"

namespace locuskit {

/// Ground truth of an Open Images evaluation (borrowed columns). Images are int64 codes; their
/// ascending order is the peer's image order (pandas' sorted ImageID groups). Labels are class
/// indices in [0, num_classes) (label-map id − 1).
struct OidGroundTruth {
  std::size_t boxes = 0;
  const std::int64_t* box_image = nullptr;
  const std::int64_t* box_label = nullptr;
  const double* box = nullptr;              ///< (boxes, 4) ymin, xmin, ymax, xmax
  const std::uint8_t* group_of = nullptr;   ///< (boxes,) nonzero = group-of (null = none)
  std::size_t labels = 0;                   ///< verified image-level labels (positive or negative)
  const std::int64_t* label_image = nullptr;
  const std::int64_t* label_label = nullptr;
};

/// Detections (borrowed columns), in file order.
struct OidDetections {
  std::size_t size = 0;
  const std::int64_t* image = nullptr;
  const std::int64_t* label = nullptr;
  const double* score = nullptr;
  const double* box = nullptr;  ///< (size, 4) ymin, xmin, ymax, xmax
};

/// The challenge evaluator's constants (ObjectDetectionEvaluation / PerImageEvaluation defaults).
struct OidParams {
  double iou_threshold = 0.5;      ///< matching_iou_threshold (IoU and IoA, >=)
  double group_of_weight = 1.0;    ///< weight of a group-of box (0: results in it are ignored)
  std::size_t max_per_class = 10000;  ///< results kept per image and class (nms_max_output_boxes)
  double score_floor = -10.0;      ///< results need score > floor (the NMS's score_threshold)
};

/// Per-class AP (NaN where a class has no GT: not in the mean), mAP (nanmean), the GT weight per
/// class and the number of (score, label) entries each class accumulated.
struct OidResult {
  std::vector<double> ap;
  double mean_ap = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> num_gt;
  std::vector<std::size_t> num_entries;
};

/// Evaluates as `OpenImagesChallengeEvaluator(categories).add_single_ground_truth_image_info` for
/// every GT image (ascending code), `add_single_detected_image_info` for every detected image
/// (ascending code), then `evaluate()`:
/// - a detection is dropped unless its image has GT and its class is among the image's verified
///   labels or box labels, or when its box is invalid (ymin >= ymax or xmin >= xmax, or NaN);
/// - per image and class: scores > floor, sorted by np.argsort (quicksort, reversed), at most
///   max_per_class; each result matches the non-group-of GT of maximal IoU (first on ties) if
///   IoU >= threshold and that GT is free (else it stays a false positive); unmatched results with
///   IoA (intersection / result area) >= threshold with a group-of box are absorbed: each group-of
///   box with an absorbed result of score > 0 adds one entry (max score, weight);
/// - GT count per class: non-group-of boxes + weight x group-of boxes;
/// - AP: metrics.compute_precision_recall + compute_average_precision (np.argsort quicksort of
///   the class's scores, reversed; NumPy's pairwise sum); mAP: np.nanmean.
/// Throws std::invalid_argument for labels outside [0, num_classes) or missing columns.
/// O(sum over image-classes of D*G + sum over classes of N log N). Thread-safe.
inline OidResult oid_challenge_evaluate(const OidGroundTruth& gt, const OidDetections& dt, std::size_t num_classes,
                                        const OidParams& params = {});

// ---------------------------------------------------------------------------------------------

namespace detail {
namespace oid {

inline double area(const double* b) noexcept { return (b[2] - b[0]) * (b[3] - b[1]); }

// np_box_ops.intersection for one pair.
inline double intersection(const double* a, const double* b) noexcept {
  const double h = std::fmax(0.0, std::fmin(a[2], b[2]) - std::fmax(a[0], b[0]));
  const double w = std::fmax(0.0, std::fmin(a[3], b[3]) - std::fmax(a[1], b[1]));
  return h * w;
}

// np.argmax of a row (first maximum; a NaN wins at its first position, as NumPy).
inline std::size_t argmax(const double* v, std::size_t n) noexcept {
  std::size_t best = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (v[i] != v[i]) return i;
    if (v[i] > v[best]) best = i;
  }
  return best;
}

// Rows of `ids` (values in [0, groups)) grouped by value, file order inside a group.
struct Groups {
  std::vector<std::size_t> offset, rows;
};
inline Groups group_rows(const std::int64_t* ids, std::size_t n, const std::vector<std::int64_t>& keys) {
  Groups g;
  g.offset.assign(keys.size() + 1, 0);
  std::vector<std::size_t> slot(n);
  for (std::size_t r = 0; r < n; ++r) {
    auto it = std::lower_bound(keys.begin(), keys.end(), ids[r]);
    slot[r] = std::size_t(it - keys.begin());
    ++g.offset[slot[r] + 1];
  }
  for (std::size_t k = 0; k < keys.size(); ++k) g.offset[k + 1] += g.offset[k];
  g.rows.resize(n);
  std::vector<std::size_t> fill(g.offset.begin(), g.offset.end() - 1);
  for (std::size_t r = 0; r < n; ++r) g.rows[fill[slot[r]]++] = r;
  return g;
}

}  // namespace oid
}  // namespace detail

inline OidResult oid_challenge_evaluate(const OidGroundTruth& gt, const OidDetections& dt, std::size_t num_classes,
                                        const OidParams& params) {
  namespace dd = detail::oid;
  LOCUSKIT_CHECK(num_classes >= 1, std::invalid_argument, "num_classes: need at least 1 class");
  LOCUSKIT_CHECK(gt.boxes == 0 || (gt.box_image && gt.box_label && gt.box), std::invalid_argument,
                 "ground truth: box_image, box_label and box are required");
  LOCUSKIT_CHECK(gt.labels == 0 || (gt.label_image && gt.label_label), std::invalid_argument,
                 "ground truth: label_image and label_label are required");
  LOCUSKIT_CHECK(dt.size == 0 || (dt.image && dt.label && dt.score && dt.box), std::invalid_argument,
                 "detections: image, label, score and box are required");
  const auto C = static_cast<std::int64_t>(num_classes);
  for (std::size_t r = 0; r < gt.boxes; ++r)
    LOCUSKIT_CHECK(gt.box_label[r] >= 0 && gt.box_label[r] < C, std::invalid_argument, "ground truth box ", r,
                   ": class ", gt.box_label[r], " outside [0, ", C, ")");
  for (std::size_t r = 0; r < gt.labels; ++r)
    LOCUSKIT_CHECK(gt.label_label[r] >= 0 && gt.label_label[r] < C, std::invalid_argument, "image-level label ", r,
                   ": class ", gt.label_label[r], " outside [0, ", C, ")");
  for (std::size_t r = 0; r < dt.size; ++r)
    LOCUSKIT_CHECK(dt.label[r] >= 0 && dt.label[r] < C, std::invalid_argument, "detection ", r, ": class ",
                   dt.label[r], " outside [0, ", C, ")");

  // GT images: every image with a box or a verified label, ascending.
  std::vector<std::int64_t> images(gt.box_image, gt.box_image + gt.boxes);
  images.insert(images.end(), gt.label_image, gt.label_image + gt.labels);
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  const std::size_t I = images.size();
  const dd::Groups gb = dd::group_rows(gt.box_image, gt.boxes, images);
  const dd::Groups gl = dd::group_rows(gt.label_image, gt.labels, images);

  OidResult out;
  out.num_gt.assign(num_classes, 0.0);
  std::vector<std::vector<std::uint8_t>> evaluatable(I);  // per image: class -> evaluatable
  {
    std::vector<std::size_t> n_reg(num_classes), n_grp(num_classes);
    for (std::size_t i = 0; i < I; ++i) {
      std::fill(n_reg.begin(), n_reg.end(), 0);
      std::fill(n_grp.begin(), n_grp.end(), 0);
      std::vector<std::uint8_t>& ev = evaluatable[i];
      ev.assign(num_classes, 0);
      for (std::size_t j = gb.offset[i]; j < gb.offset[i + 1]; ++j) {
        const std::size_t r = gb.rows[j], c = std::size_t(gt.box_label[r]);
        ev[c] = 1;
        if (gt.group_of && gt.group_of[r]) ++n_grp[c];
        else ++n_reg[c];
      }
      for (std::size_t j = gl.offset[i]; j < gl.offset[i + 1]; ++j) ev[std::size_t(gt.label_label[gl.rows[j]])] = 1;
      for (std::size_t c = 0; c < num_classes; ++c)  // _update_ground_truth_statistics
        out.num_gt[c] += static_cast<double>(n_reg[c]) + params.group_of_weight * static_cast<double>(n_grp[c]);
    }
  }

  // Detected images in ascending order; per image and class the (score, label) entries.
  std::vector<std::int64_t> dimages(dt.image, dt.image + dt.size);
  std::sort(dimages.begin(), dimages.end());
  dimages.erase(std::unique(dimages.begin(), dimages.end()), dimages.end());
  const dd::Groups dg = dd::group_rows(dt.image, dt.size, dimages);
  std::vector<std::vector<double>> cls_score(num_classes), cls_label(num_classes);
  std::vector<std::size_t> kept, sorted_rows, gt_reg, gt_grp;
  std::vector<double> sc, iou, ioa, grp_score;
  std::vector<std::uint8_t> tp, absorbed, taken;
  for (std::size_t di = 0; di < dimages.size(); ++di) {
    auto it = std::lower_bound(images.begin(), images.end(), dimages[di]);
    if (it == images.end() || *it != dimages[di]) continue;  // no GT: nothing is evaluatable
    const std::size_t i = std::size_t(it - images.begin());
    const std::vector<std::uint8_t>& ev = evaluatable[i];
    for (std::size_t c = 0; c < num_classes; ++c) {
      if (!ev[c]) continue;
      kept.clear();
      for (std::size_t j = dg.offset[di]; j < dg.offset[di + 1]; ++j) {
        const std::size_t r = dg.rows[j];
        if (std::size_t(dt.label[r]) != c) continue;
        const double* b = dt.box + 4 * r;
        if (!(b[0] < b[2] && b[1] < b[3])) continue;      // _remove_invalid_boxes
        if (!(dt.score[r] > params.score_floor)) continue;  // filter_scores_greater_than
        kept.push_back(r);
      }
      if (kept.empty()) continue;
      sc.resize(kept.size());
      for (std::size_t k = 0; k < kept.size(); ++k) sc[k] = dt.score[kept[k]];
      const std::vector<std::int64_t> asc = detail::numpy_argsort_quicksort(sc.data(), sc.size());
      const std::size_t D = std::min(kept.size(), params.max_per_class);
      sorted_rows.resize(D);
      for (std::size_t k = 0; k < D; ++k) sorted_rows[k] = kept[std::size_t(asc[asc.size() - 1 - k])];
      gt_reg.clear(), gt_grp.clear();
      for (std::size_t j = gb.offset[i]; j < gb.offset[i + 1]; ++j) {
        const std::size_t r = gb.rows[j];
        if (std::size_t(gt.box_label[r]) != c) continue;
        (gt.group_of && gt.group_of[r] ? gt_grp : gt_reg).push_back(r);
      }
      std::vector<double>& os = cls_score[c];
      std::vector<double>& ol = cls_label[c];
      if (gt_reg.empty() && gt_grp.empty()) {
        for (std::size_t k = 0; k < D; ++k) os.push_back(dt.score[sorted_rows[k]]), ol.push_back(0.0);
        continue;
      }
      tp.assign(D, 0), absorbed.assign(D, 0);
      if (!gt_reg.empty()) {
        const std::size_t G = gt_reg.size();
        iou.resize(D * G);
        for (std::size_t k = 0; k < D; ++k) {
          const double* b = dt.box + 4 * sorted_rows[k];
          const double ab = dd::area(b);
          for (std::size_t g = 0; g < G; ++g) {
            const double* q = gt.box + 4 * gt_reg[g];
            const double inter = dd::intersection(b, q);
            iou[k * G + g] = inter / (ab + dd::area(q) - inter);
          }
        }
        taken.assign(G, 0);
        for (std::size_t k = 0; k < D; ++k) {  // compute_match_iou
          const std::size_t g = dd::argmax(iou.data() + k * G, G);
          if (iou[k * G + g] >= params.iou_threshold && !taken[g]) tp[k] = 1, taken[g] = 1;
        }
      }
      std::size_t Gg = gt_grp.size();
      grp_score.assign(Gg, 0.0);
      if (Gg) {
        ioa.resize(D * Gg);
        for (std::size_t k = 0; k < D; ++k) {
          const double* b = dt.box + 4 * sorted_rows[k];
          const double ab = dd::area(b);
          for (std::size_t g = 0; g < Gg; ++g) ioa[k * Gg + g] = dd::intersection(gt.box + 4 * gt_grp[g], b) / ab;
        }
        for (std::size_t k = 0; k < D; ++k) {  // compute_match_ioa
          if (tp[k]) continue;
          const std::size_t g = dd::argmax(ioa.data() + k * Gg, Gg);
          if (ioa[k * Gg + g] >= params.iou_threshold) {
            absorbed[k] = 1;
            const double v = dt.score[sorted_rows[k]];
            if (v > grp_score[g]) grp_score[g] = v;  // Python's max(a, b): b only if b > a
          }
        }
      }
      for (std::size_t k = 0; k < D; ++k)
        if (!absorbed[k]) os.push_back(dt.score[sorted_rows[k]]), ol.push_back(tp[k] ? 1.0 : 0.0);
      for (std::size_t g = 0; g < Gg; ++g)
        if (grp_score[g] > 0 && params.group_of_weight > 0) os.push_back(grp_score[g]), ol.push_back(params.group_of_weight);
    }
  }

  // evaluate(): per class precision / recall / AP, then nanmean.
  out.ap.assign(num_classes, std::numeric_limits<double>::quiet_NaN());
  out.num_entries.assign(num_classes, 0);
  std::vector<double> prec, rec, terms;
  for (std::size_t c = 0; c < num_classes; ++c) {
    out.num_entries[c] = cls_score[c].size();
    if (out.num_gt[c] == 0) continue;
    const std::size_t N = cls_score[c].size();
    if (N == 0) {
      out.ap[c] = 0.0;
      continue;
    }
    const std::vector<std::int64_t> asc = detail::numpy_argsort_quicksort(cls_score[c].data(), N);
    prec.resize(N), rec.resize(N);
    double ctp = 0, cfp = 0;
    for (std::size_t k = 0; k < N; ++k) {
      const double l = cls_label[c][std::size_t(asc[N - 1 - k])];
      ctp += l;
      cfp += l <= 0 ? 1.0 : 0.0;
      prec[k] = ctp / (ctp + cfp);
      rec[k] = ctp / out.num_gt[c];
    }
    // compute_average_precision: [0, recall, 1], [0, precision, 0], envelope from the right,
    // sum over the points where recall changes (np.sum: pairwise).
    std::vector<double> r(N + 2), p(N + 2);
    r[0] = 0, p[0] = 0, r[N + 1] = 1, p[N + 1] = 0;
    for (std::size_t k = 0; k < N; ++k) r[k + 1] = rec[k], p[k + 1] = prec[k];
    for (std::size_t k = N + 1; k-- > 0;) p[k] = (p[k] != p[k] || p[k + 1] != p[k + 1]) ? NAN : std::fmax(p[k], p[k + 1]);
    terms.clear();
    for (std::size_t k = 1; k < N + 2; ++k)
      if (r[k] != r[k - 1]) terms.push_back((r[k] - r[k - 1]) * p[k]);
    out.ap[c] = terms.empty() ? 0.0 : numpy_sum(terms.data(), terms.size());
  }
  std::vector<double> vals(num_classes);
  std::size_t count = 0;
  for (std::size_t c = 0; c < num_classes; ++c) {
    const bool nan = out.ap[c] != out.ap[c];
    vals[c] = nan ? 0.0 : out.ap[c];
    count += !nan;
  }
  if (count) out.mean_ap = numpy_sum(vals.data(), vals.size()) / static_cast<double>(count);
  return out;
}

}  // namespace locuskit
