#pragma once
/// \file nms/io.hpp
/// The buffers every NMS variant reads and writes: one signature for the whole family,
/// `variant(NmsInputs<T>, Params, NmsOutputs<T>, Workspace*) -> kept count`.
#include <cstddef>
#include <cstdint>

namespace locuskit {

/// What an NMS variant reads (views, never owned; row-major, contiguous). Each variant documents
/// which members it needs; the others are ignored.
template <class T>
struct NmsInputs {
  /// (n, O::box_columns) boxes: (n, 4) xyxy for AxisAlignedIoU, (n, 5) for RotatedIoU, (n, 7) for
  /// Box3dIoU.
  const T* boxes = nullptr;
  /// (n,) scores (the classification score of iou_guided_nms).
  const T* scores = nullptr;
  /// Number of boxes.
  std::size_t n = 0;
  /// (n,) int64 class ids of the class-aware variants (batched_nms, matrix_nms,
  /// batched_iou_guided_nms); any values, negative included.
  const std::int64_t* classes = nullptr;
  /// (n,) predicted IoUs (localization confidence) that iou_guided_nms ranks by.
  const T* loc_scores = nullptr;
};

/// Where an NMS variant writes (caller-provided; each must hold min(n, params.max_output) rows).
template <class T>
struct NmsOutputs {
  /// Kept indices into the inputs, in the variant's selection order.
  std::int64_t* keep = nullptr;
  /// Score of each kept box, for the variants that rescore (soft_nms, matrix_nms, iou_guided_nms;
  /// weighted_nms: the kept box's own score). Null where a variant does not need it: skipped.
  T* kept_scores = nullptr;
  /// (k, O::box_columns) fused boxes of weighted_nms. Null: skipped.
  T* kept_boxes = nullptr;
  /// cluster_nms: the number of passes it ran. Null: skipped.
  std::size_t* iterations = nullptr;
};

}  // namespace locuskit
