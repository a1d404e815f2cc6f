#pragma once
/// \file confusion_matrix.hpp
/// Detection confusion matrix: which class each ground-truth object was detected as (or missed),
/// and which detections hit nothing (background), at an IoU and a score threshold.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../parallel.hpp"
#include "coco_params.hpp"

namespace locuskit {

/// Thresholds of `detection_confusion_matrix`.
struct ConfusionParams {
  double iou_thresh = 0.5;     ///< a detection and a GT pair up iff IoU >= iou_thresh
  double score_thresh = 0.5;   ///< detections with score < score_thresh are dropped first
  std::int64_t max_dets = 100; ///< per image (all classes), highest scores first
};

/// (K + 1) x (K + 1) counts, row-major: rows are the true class (`cat_ids` order, last row =
/// background: detections that matched no GT), columns the predicted class (last column =
/// background: GT no detection matched). Cell [K, K] is always 0.
struct ConfusionMatrix {
  std::vector<std::int64_t> cat_ids;
  std::size_t K = 0;
  std::vector<std::int64_t> counts;  ///< [(K + 1) * (K + 1)]
};

/// Confusion matrix of box detections `dt` against ground truth `gt` on `image_ids`.
///
/// Per image, detections with score >= score_thresh (and a category in `cat_ids`) are taken in
/// descending score order (stable, input order breaks ties), at most max_dets. Each one is paired
/// with the unpaired non-crowd GT of its own class with the highest IoU (first on ties) if that
/// IoU >= iou_thresh (a correct detection is never counted as a confusion when a GT of its class
/// is there); otherwise with the unpaired non-crowd GT of any class with the highest IoU >=
/// iou_thresh (-> [GT class, detected class]); otherwise, unless a crowd GT of its class covers
/// it (IoA >= iou_thresh: ignored, as COCO), it counts as [background, detected class]. Unpaired
/// GT count as [GT class, background]. GT of categories outside `cat_ids` are left out.
/// Box IoU as pycocotools' bbIou. O(sum over images of D*G). Thread-safe; deterministic for
/// any `par.threads`.
inline ConfusionMatrix detection_confusion_matrix(const CocoAnnotations& gt, const CocoAnnotations& dt,
                                                  const std::vector<std::int64_t>& image_ids,
                                                  const std::vector<std::int64_t>& cat_ids,
                                                  const ConfusionParams& params = {}, Parallel par = {});

}  // namespace locuskit

#include "../detail/eval/confusion_matrix-inl.hpp"
