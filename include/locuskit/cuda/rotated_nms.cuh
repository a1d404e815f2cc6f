#pragma once
/// \file cuda/rotated_nms.cuh
/// Rotated NMS and class-aware rotated NMS on the GPU: the CUDA NMS pipeline (cuda/nms.cuh) and
/// loop (cuda/segment_loop.cuh) run with the RotatedIoU overlap policy (nms/overlap.hpp), whose
/// pairwise IoU is the host-device rotated geometry of rotated/geometry.hpp (exact clipping) or
/// detail/rotated/detectron2_iou.hpp (detectron2's float arithmetic): the same code as the CPU
/// `nms_rotated` / `batched_nms_rotated` (nms/rotated_nms.hpp), not a second copy.
///
/// Semantics = the CPU functions' (detectron2's kept indices): scores sorted descending, stable
/// (ties: lower index first; -0.0 == +0.0; NaN first), each kept box suppresses every later box
/// whose IoU compares true under `rule` (default `>=`, detectron2's CPU kernel), IoU 0 for a
/// degenerate pair; batched: exact per class. Kept original indices, int64, in score order, at most
/// `max_output`. Bitwise equal IoUs to the CPU need `-fmad=false` (locuskit's CUDA flags).
///
/// Requires nvcc (include from a .cu file), CUDA 11.8+ with CUB.
#include <cuda_runtime.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "../nms/iou_rule.hpp"
#include "../nms/overlap.hpp"
#include "nms.cuh"

namespace locuskit {
namespace gpu {

/// Sets *bytes to the device workspace size of nms_rotated over n boxes (as nms_workspace_bytes,
/// with 5-column rows). Returns the first CUDA error.
template <class T>
cudaError_t nms_rotated_workspace_bytes(std::size_t n, std::size_t* bytes) {
  detail::NmsPlan<T> p;
  *bytes = 0;
  return detail::plan_nms<T>(nullptr, n, false, p, *bytes, RotatedIoU::box_columns);
}

/// Sets *bytes to the device workspace size of batched_nms_rotated over n boxes.
template <class T>
cudaError_t batched_nms_rotated_workspace_bytes(std::size_t n, std::size_t* bytes) {
  detail::NmsPlan<T> p;
  *bytes = 0;
  return detail::plan_nms<T>(nullptr, n, true, p, *bytes, RotatedIoU::box_columns);
}

namespace detail {
/// The strict threshold of (iou_threshold, rule) for T, false for a NaN threshold.
template <class T>
inline bool rotated_strict_threshold(double iou_threshold, IouRule rule, T* out) {
  if (std::isnan(iou_threshold)) return false;
  *out = strict_iou_threshold<T>(iou_threshold, rule);
  return true;
}
inline long long rotated_cap(std::size_t n, std::size_t max_output) {
  return static_cast<long long>(max_output < n ? max_output : n);
}
}  // namespace detail

/// Greedy rotated NMS on the device (the CPU `locuskit::nms_rotated` with RotatedNmsParams
/// {iou_threshold, rule, overlap, max_output}). `boxes` (n, 5) `(cx, cy, w, h, angle)` in
/// `overlap.convention` and `scores` (n,) are device pointers of the same type; writes the kept
/// indices (int64, score order) to keep_out[0 .. *keep_count) (room for min(n, max_output);
/// keep_count is one device int64). `workspace` holds nms_rotated_workspace_bytes<T>(n) bytes.
/// Asynchronous on `stream`, no host synchronisation. n < 2^31. Inputs are not validated.
/// Returns cudaErrorInvalidValue for a NaN threshold, else the first CUDA error. Work
/// O(n log n + n * kept / 64 circumcircle tests + exact IoUs where the circles meet), memory O(n).
template <class T>
cudaError_t nms_rotated(const T* boxes, const T* scores, std::size_t n, double iou_threshold, IouRule rule,
                        const RotatedIoU& overlap, std::size_t max_output, std::int64_t* keep_out,
                        std::int64_t* keep_count, void* workspace, std::size_t workspace_bytes,
                        cudaStream_t stream) {
  T thr;
  if (!detail::rotated_strict_threshold<T>(iou_threshold, rule, &thr)) return cudaErrorInvalidValue;
  return detail::nms_with<T>(boxes, scores, n, overlap, thr, detail::rotated_cap(n, max_output), keep_out,
                             keep_count, workspace, workspace_bytes, stream);
}

/// Class-aware rotated NMS on the device (the CPU `locuskit::batched_nms_rotated`): boxes of
/// different `classes` (int64) never suppress each other, exactly (no coordinate offset); output as
/// nms_rotated (score order over all classes, at most max_output: a prefix of the full result).
/// Workspace: batched_nms_rotated_workspace_bytes<T>(n) bytes. Contract otherwise as nms_rotated.
template <class T>
cudaError_t batched_nms_rotated(const T* boxes, const T* scores, const std::int64_t* classes, std::size_t n,
                                double iou_threshold, IouRule rule, const RotatedIoU& overlap,
                                std::size_t max_output, std::int64_t* keep_out, std::int64_t* keep_count,
                                void* workspace, std::size_t workspace_bytes, cudaStream_t stream) {
  T thr;
  if (!detail::rotated_strict_threshold<T>(iou_threshold, rule, &thr)) return cudaErrorInvalidValue;
  return detail::batched_nms_with<T>(boxes, scores, classes, n, overlap, thr, detail::rotated_cap(n, max_output),
                                     keep_out, keep_count, workspace, workspace_bytes, stream);
}

}  // namespace gpu
}  // namespace locuskit
