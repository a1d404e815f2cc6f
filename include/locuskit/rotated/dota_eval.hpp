#pragma once
/// \file rotated/dota_eval.hpp
/// DOTA task-1 (oriented boxes) evaluation of one class, as DOTA_devkit's
/// `dota_evaluation_task1.voc_eval` (commit 9938855): VOC07 11-point and all-point AP over polygon
/// IoU, `difficult` GT ignored, a match needs IoU > 0.5 (strict).
#include <cstddef>
#include <cstdint>

#include "../eval/voc.hpp"
#include "geometry.hpp"

namespace locuskit {
namespace rotated {

/// Evaluates one class. Detections: `det_image` (N) image index, `det_score` (N), `det_polygons`
/// (N, 8) quadrilaterals x1 y1 .. x4 y4; GT: `gt_image` (G), `gt_polygons` (G, 8), `gt_difficult`
/// (G, may be null). Detections in the devkit's `np.argsort(-score)` order (numpy's quicksort,
/// eval/numpy_argsort.hpp: tied scores are not kept in file order beyond 16 detections), each takes the GT of its image with the
/// largest polygon IoU (first wins); IoU > `iou_threshold`: difficult -> ignored, unused -> TP,
/// used -> FP; else FP. `ap_11point` is the devkit's VOC07 value (`use_07_metric=True`, the
/// official one) and `ap_all_point_np_sum` its all-point value (np.sum order). A class without
/// non-difficult GT has recall NaN: VOC07 AP 0, all-point NaN (as the devkit).
/// The devkit's horizontal +1-pixel prefilter cannot change a decision (boxes it drops have polygon
/// IoU 0) and is not reproduced. O(N log N + N * G_image). Thread-safe.
inline VocClassResult dota_evaluate_class(const std::int64_t* det_image, const double* det_score,
                                          const double* det_polygons, std::size_t n, const std::int64_t* gt_image,
                                          const double* gt_polygons, const std::uint8_t* gt_difficult, std::size_t g,
                                          double iou_threshold = 0.5) {
  VocOptions opt;
  opt.iou_threshold = iou_threshold;
  opt.strict_threshold = true;
  opt.numpy_argsort_order = true;
  auto iou = [&](std::size_t d, std::size_t j) {
    return polygon_iou(gt_polygons + 8 * j, 4, det_polygons + 8 * d, 4);
  };
  return voc_evaluate_class_with(det_image, det_score, n, gt_image, gt_difficult, g, iou, opt);
}

}  // namespace rotated
}  // namespace locuskit
