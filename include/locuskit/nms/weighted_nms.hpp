#pragma once
/// \file nms/weighted_nms.hpp
/// Weighted NMS: greedy NMS whose kept boxes are replaced by the score-weighted mean of the boxes
/// they suppress (Zhou et al. 2017; the "merge" of YOLOv5 and mmdet's score voting, simplified).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../box/geometry.hpp"
#include "io.hpp"
#include "iou_rule.hpp"
#include "overlap.hpp"
#include "../detail/nms/engine.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Parameters of weighted_nms, with the overlap policy `O` (nms/overlap.hpp): AxisAlignedIoU
/// ((n, 4) xyxy, the default), RotatedIoU ((n, 5)), Box3dIoU ((n, 7)).
template <class O = AxisAlignedIoU>
struct BasicWeightedNmsParams {
  double iou_threshold = 0.5;
  /// Threshold comparison (default torchvision's `>` with float32 rounding down; see IouRule).
  IouRule rule = IouRule::torchvision;
  /// Stop after this many kept boxes (a prefix of the full result).
  std::size_t max_output = std::numeric_limits<std::size_t>::max();
  /// The overlap (RotatedIoU carries its angle convention and mode).
  O overlap = {};
};
/// Parameters of the axis-aligned weighted_nms.
using WeightedNmsParams = BasicWeightedNmsParams<AxisAlignedIoU>;

/// Greedy NMS exactly as nms() (same kept indices and order) with the overlap of policy
/// `params.overlap` (nms/overlap.hpp; `in.boxes` (n, O::box_columns), (n, 4) xyxy by default;
/// `in.scores` (n,)); the output box of kept i is `sum_j s_j * b_j / sum_j s_j`, column by column,
/// over i and the boxes i suppresses (those removed by i in the greedy loop, each in exactly one
/// cluster). Accumulated in double, written as T. Scores with a zero sum keep the box as is.
/// Writes `out.keep` (room for min(n, max_output)), `out.kept_boxes` (room for that many rows of
/// O::box_columns) and, if non-null, `out.kept_scores` (the kept box's own score); returns k.
/// O(kept x alive) scalar, O(n) memory in `ws` (a temporary when null; a warm workspace makes the
/// call allocation-free). Thread-safe with distinct workspaces.
template <class T, class O>
std::size_t weighted_nms(const NmsInputs<T>& in, const BasicWeightedNmsParams<O>& params, const NmsOutputs<T>& out,
                         NmsWorkspace<T>* ws = nullptr) {
  const T *boxes = in.boxes, *scores = in.scores;
  const std::size_t n = in.n;
  const O& overlap = params.overlap;
  std::int64_t* keep = out.keep;
  T* out_boxes = out.kept_boxes;
  constexpr std::size_t cols = O::box_columns;
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  if (n == 0) return 0;
  NmsWorkspace<T> local;
  detail::NmsScratch<T>& work = detail::scratch_of(ws ? *ws : local, n);
  std::int64_t* alive = work.order_.data();  // score order, compacted as boxes are absorbed
  detail::score_order(scores, n, alive, work);
  std::size_t m = n, k = 0;
  while (m > 0 && k < params.max_output) {
    const std::int64_t ia = alive[0];
    const T* a = boxes + cols * static_cast<std::size_t>(ia);
    const auto pa = overlap.prepare(a);
    const double sa = static_cast<double>(scores[ia]);
    double acc[cols], wsum = sa;
    for (std::size_t c = 0; c < cols; ++c) acc[c] = sa * a[c];
    std::size_t w = 0;
    for (std::size_t j = 1; j < m; ++j) {
      const std::int64_t ib = alive[j];
      const T* b = boxes + cols * static_cast<std::size_t>(ib);
      if (overlap.overlap(pa, overlap.prepare(b)) > thr) {
        const double sb = static_cast<double>(scores[ib]);
        for (std::size_t c = 0; c < cols; ++c) acc[c] += sb * b[c];
        wsum += sb;
      } else {
        alive[w++] = ib;
      }
    }
    keep[k] = ia;
    if (out.kept_scores) out.kept_scores[k] = scores[ia];
    for (std::size_t c = 0; c < cols; ++c) out_boxes[cols * k + c] = wsum != 0.0 ? static_cast<T>(acc[c] / wsum) : a[c];
    ++k;
    m = w;
  }
  return k;
}

/// Convenience forwarder to the signature above (positional arguments).
template <class T, class O = AxisAlignedIoU>
std::size_t weighted_nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold, std::int64_t* keep,
                         T* out_boxes, IouRule rule = IouRule::torchvision, NmsWorkspace<T>* ws = nullptr,
                         const O& overlap = {}) {
  return weighted_nms(NmsInputs<T>{boxes, scores, n},
                      BasicWeightedNmsParams<O>{iou_threshold, rule, std::numeric_limits<std::size_t>::max(), overlap},
                      NmsOutputs<T>{keep, nullptr, out_boxes}, ws);
}

}  // namespace locuskit
