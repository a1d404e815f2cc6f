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
/// Greedy rotated NMS over the ranks `order` (score order), restricted to `segments` of a grouping
/// (each segment one class, in rank order) or one segment; flags kept ranks in `flag`.
template <class T>
void rotated_greedy_segments(const T* boxes, const std::int64_t* ranks_by_group, const std::size_t* starts,
                             std::size_t num_segments, const std::int64_t* order, const RotatedNmsParams& params,
                             T thr, char* flag, std::vector<RotatedIoU::Box<T>>& box,
                             std::vector<std::int64_t>& pos, std::vector<std::int64_t>& kept) {
  const RotatedIoU& ov = params.overlap;
  for (std::size_t s = 0; s < num_segments; ++s) {
    const std::size_t b = starts[s], m = starts[s + 1] - starts[s];
    for (std::size_t g = 0; g < m; ++g) {
      const std::int64_t rank = ranks_by_group ? ranks_by_group[b + g] : static_cast<std::int64_t>(b + g);
      box[g] = ov.prepare(boxes + 5 * order[rank]);
      pos[g] = rank;
    }
    const std::size_t k = greedy_prepared(ov, box.data(), pos.data(), m, thr, params.max_output, kept.data());
    for (std::size_t i = 0; i < k; ++i) flag[kept[i]] = 1;
  }
}
}  // namespace detail

/// Greedy NMS of rotated boxes: writes the kept indices to `keep` in decreasing score order and
/// returns their count.
///
/// - `boxes` (n, 5) `(cx, cy, w, h, angle)` in `params.overlap.convention`, `scores` (n,); `keep`
///   must hold min(n, params.max_output) indices.
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
std::size_t nms_rotated(const T* boxes, const T* scores, std::size_t n, const RotatedNmsParams& params,
                        std::int64_t* keep, NmsWorkspace<T>* ws = nullptr) {
  return detail::with_score_order(
      "nms_rotated", scores, n, params.iou_threshold, params.rule, params.max_output, ws,
      [&](const T thr, NmsWorkspace<T>& w, const std::int64_t* order) -> std::size_t {
        std::vector<RotatedIoU::Box<T>> box(n);
        std::vector<std::int64_t> pos(n), kept(n);
        const std::size_t starts[2] = {0, n};
        char* flag = reinterpret_cast<char*>(w.order_tmp_.data());  // free after the sort
        std::fill(flag, flag + n, char(0));
        detail::rotated_greedy_segments(boxes, nullptr, starts, 1, order, params, thr, flag, box, pos, kept);
        std::size_t k = 0;
        for (std::size_t p = 0; p < n && k < params.max_output; ++p)
          if (flag[p]) keep[k++] = order[p];
        return k;
      });
}

/// Class-aware rotated NMS (detectron2 `batched_nms_rotated`): each class of `classes` (n,) int64
/// suppressed independently, exactly (detectron2 shifts the boxes by a float32 class offset; we
/// never mix classes and never move coordinates). Kept indices in decreasing score order (ties:
/// lower index), at most params.max_output. Same contract otherwise as nms_rotated.
template <class T>
std::size_t batched_nms_rotated(const T* boxes, const T* scores, const std::int64_t* classes, std::size_t n,
                                const RotatedNmsParams& params, std::int64_t* keep, NmsWorkspace<T>* ws = nullptr) {
  return detail::with_score_order(
      "batched_nms_rotated", scores, n, params.iou_threshold, params.rule, params.max_output, ws,
      [&](const T thr, NmsWorkspace<T>& w, const std::int64_t* order) -> std::size_t {
        std::int64_t* cls = w.order_tmp_.data();
        for (std::size_t p = 0; p < n; ++p) cls[p] = classes[order[p]];
        std::int64_t* group = w.group_.data();
        detail::group_by_class(cls, n, group, w.starts_, w.scratch_, w.counts_, w.group_tmp_);
        std::vector<RotatedIoU::Box<T>> box(n);
        std::vector<std::int64_t> pos(n), kept(n);
        char* flag = reinterpret_cast<char*>(cls);  // cls is dead now
        std::fill(flag, flag + n, char(0));
        detail::rotated_greedy_segments(boxes, group, w.starts_.data(), w.starts_.size() - 1, order, params, thr,
                                        flag, box, pos, kept);
        std::size_t k = 0;
        for (std::size_t p = 0; p < n && k < params.max_output; ++p)
          if (flag[p]) keep[k++] = order[p];
        return k;
      });
}

/// Soft-NMS of rotated boxes (n, 5): soft_nms's selection, decay and stopping rules (OpenCV's
/// `softNMSBoxes` semantics; `params.rule` for the linear test) with the rotated IoU of
/// `overlap`. Writes kept indices and their scores at selection; returns the count.
/// O(kept x alive) circumcircle tests, exact IoUs where they meet. Thread-safe. Throws
/// std::invalid_argument on bad params (params.overlap must be SoftNmsOverlap::native).
template <class T>
std::size_t soft_nms_rotated(const T* boxes, const T* scores, std::size_t n, const SoftNmsParams& params,
                             const RotatedIoU& overlap, std::int64_t* keep, T* kept_scores) {
  LOCUSKIT_CHECK(params.overlap == SoftNmsOverlap::native, std::invalid_argument,
                 "soft_nms_rotated: only the native overlap applies to rotated boxes");
  return detail::soft_nms_prepared(overlap, boxes, scores, n, keep, kept_scores, params);
}

}  // namespace locuskit
