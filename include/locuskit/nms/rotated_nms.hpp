#pragma once
/// \file nms/rotated_nms.hpp
/// NMS of rotated boxes (cx, cy, w, h, angle): greedy, class-aware and soft, the NMS engine run
/// with the RotatedIoU overlap policy (detectron2's `nms_rotated` / `batched_nms_rotated`).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../detail/nms/engine.hpp"
#include "../error.hpp"
#include "batched_nms.hpp"
#include "io.hpp"
#include "iou_rule.hpp"
#include "overlap.hpp"
#include "soft_nms.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Parameters of nms_rotated and batched_nms_rotated (defaults: detectron2's CPU `nms_rotated`,
/// with the exact IoU).
struct RotatedNmsParams {
  double iou_threshold = 0.5;
  /// detectron2's CPU kernel suppresses on `iou >= threshold` (its CUDA kernel on `>`).
  IouRule rule = IouRule::greater_equal;
  /// The overlap: angle convention (default detectron2's degrees counter-clockwise) and IoU mode
  /// (exact clipping, or detectron2's float arithmetic for bit parity).
  RotatedIoU overlap = {};
  /// Stop after this many kept boxes (a prefix of the full result).
  std::size_t max_output = std::numeric_limits<std::size_t>::max();
};

namespace detail {
inline BasicNmsParams<RotatedIoU> rotated_nms_params(const RotatedNmsParams& params) {
  BasicNmsParams<RotatedIoU> p;
  p.rule = params.rule;
  p.max_output = params.max_output;
  p.overlap = params.overlap;
  p.iou_threshold = params.iou_threshold;
  return p;
}
}  // namespace detail

/// Greedy NMS of rotated boxes: writes the kept indices to `out.keep` in decreasing score order
/// and returns their count (nms() with BasicNmsParams<RotatedIoU>, detectron2's defaults).
///
/// - `in.boxes` (n, 5) `(cx, cy, w, h, angle)` in `params.overlap.convention`, `in.scores` (n,);
///   `out.keep` must hold min(n, params.max_output) indices.
/// - detectron2 `nms_rotated` (CPU): scores sorted descending, each unsuppressed box suppresses
///   every later box with `IoU >= iou_threshold` (IoU in T, the threshold compared as a double; see
///   IouRule). Ties keep the lower index first (stable; torch's CPU sort is not). With
///   `RotatedIouMode::detectron2` the IoU is detectron2's float arithmetic and the kept indices
///   equal detectron2's bit for bit (shared/reference/oriented/rotated_nms); the default exact
///   IoU differs only where detectron2's IoU is wrong or a pair sits at the threshold within
///   detectron2's rounding error. Degenerate pairs have IoU 0 (overlap.hpp).
/// - Complexity: O(n) radix sort, O(kept x alive) circumcircle tests and exact IoUs only for the
///   pairs whose circumcircles meet. O(n) memory (`ws` for the sort; the prepared boxes are
///   allocated per call). Thread-safe with distinct workspaces. Throws std::invalid_argument for a
///   NaN threshold. Inputs are not validated.
template <class T>
std::size_t nms_rotated(const NmsInputs<T>& in, const RotatedNmsParams& params, const NmsOutputs<T>& out,
                        NmsWorkspace<T>* ws = nullptr) {
  return nms(in, detail::rotated_nms_params(params), out, ws);
}
/// Convenience forwarder to the signature above (positional arguments).
template <class T>
std::size_t nms_rotated(const T* boxes, const T* scores, std::size_t n, const RotatedNmsParams& params,
                        std::int64_t* keep, NmsWorkspace<T>* ws = nullptr) {
  return nms_rotated(NmsInputs<T>{boxes, scores, n}, params, NmsOutputs<T>{keep}, ws);
}

/// Class-aware rotated NMS (detectron2 `batched_nms_rotated`): each class of `in.classes` (n,) int64
/// suppressed independently, exactly (detectron2 shifts the boxes by a float32 class offset; we
/// never mix classes and never move coordinates). Kept indices in decreasing score order (ties:
/// lower index), at most params.max_output. Same contract otherwise as nms_rotated.
template <class T>
std::size_t batched_nms_rotated(const NmsInputs<T>& in, const RotatedNmsParams& params, const NmsOutputs<T>& out,
                                NmsWorkspace<T>* ws = nullptr) {
  return batched_nms(in, detail::rotated_nms_params(params), out, ws);
}
/// Convenience forwarder to the signature above (positional arguments).
template <class T>
std::size_t batched_nms_rotated(const T* boxes, const T* scores, const std::int64_t* classes, std::size_t n,
                                const RotatedNmsParams& params, std::int64_t* keep, NmsWorkspace<T>* ws = nullptr) {
  return batched_nms_rotated(NmsInputs<T>{boxes, scores, n, classes}, params, NmsOutputs<T>{keep}, ws);
}

/// Soft-NMS of rotated boxes (n, 5): a convenience forwarder to
/// `soft_nms(in, BasicSoftNmsParams<RotatedIoU>, out)` (soft_nms's selection, decay and stopping
/// rules with the rotated IoU of `overlap`). Throws std::invalid_argument on bad params
/// (params.overlap_formula must be SoftNmsOverlap::native).
template <class T>
std::size_t soft_nms_rotated(const T* boxes, const T* scores, std::size_t n, const SoftNmsParams& params,
                             const RotatedIoU& overlap, std::int64_t* keep, T* kept_scores) {
  return soft_nms<T>(boxes, scores, n, keep, kept_scores, params, nullptr, overlap);
}

}  // namespace locuskit
