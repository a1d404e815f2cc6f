#pragma once
/// \file nms/nms.hpp
/// Greedy (hard) non-maximum suppression, identical to `torchvision.ops.nms` on the CPU.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "../detail/nms/score_ordered.hpp"
#include "../error.hpp"
#include "io.hpp"
#include "iou_rule.hpp"
#include "overlap.hpp"
#include "../detail/nms/engine.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Parameters of nms and batched_nms, with the overlap policy `O` (nms/overlap.hpp) that decides
/// what "IoU" means: AxisAlignedIoU (the default, (n, 4) xyxy boxes), RotatedIoU ((n, 5)),
/// Box3dIoU ((n, 7)) or any type with the same members. (iou_threshold comes last so that the
/// older `NmsOptions{rule, max_output}` spelling still reads the same.)
template <class O = AxisAlignedIoU>
struct BasicNmsParams {
  /// Threshold comparison (default: torchvision CPU, `iou > thr` with float32 rounding down).
  IouRule rule = IouRule::torchvision;
  /// Stop after this many kept boxes (top-k of the result; the kept prefix is unchanged).
  std::size_t max_output = std::numeric_limits<std::size_t>::max();
  /// nms with AxisAlignedIoU only: for N >= 4096 and a threshold >= 0.25 (or >= 0 with boxes small
  /// relative to the scene: mean size < 8% of the extent), visit only nearby boxes through a
  /// multi-level spatial grid (same result; false = always the linear kernel). batched_nms applies
  /// it per class segment of >= 1024 boxes.
  bool use_grid = true;
  /// The overlap (a policy object: RotatedIoU carries its angle convention and mode).
  O overlap = {};
  /// Suppress a box whose overlap with a kept box exceeds this (per `rule`); any finite value.
  double iou_threshold = 0.5;
};
/// Parameters of the axis-aligned nms / batched_nms.
using NmsParams = BasicNmsParams<AxisAlignedIoU>;
/// The names these parameters had when the threshold was a separate argument (the positional
/// forwarders take them; their `iou_threshold` argument overrides the member).
template <class O = AxisAlignedIoU>
using BasicNmsOptions = BasicNmsParams<O>;
using NmsOptions = NmsParams;

/// Greedy NMS: writes the indices of the kept boxes to `out.keep` in decreasing score order and
/// returns their count.
///
/// - `in.boxes` (in.n, O::box_columns): (n, 4) xyxy for the default AxisAlignedIoU; `in.scores`
///   (n,); `out.keep` must hold min(n, params.max_output) indices.
/// - With AxisAlignedIoU, matches `torchvision.ops.nms` (CPU) exactly: scores sorted stably descending (ties: lower
///   index first; a NaN score sorts first, -0.0 ties +0.0), each unsuppressed box is kept and
///   suppresses every later box with `IoU > iou_threshold` (IoU in T, torchvision's formula and
///   order; the float32 comparison is against the largest float <= threshold, see IouRule).
///   A NaN IoU (NaN box) never suppresses; two zero-area boxes have IoU 0 (overlap.hpp). Any finite threshold is
///   accepted as in torchvision (< 0 keeps only the top box and NaN pairs; >= 1 keeps all).
/// - Complexity: O(n) radix sort + O(kept x alive) SIMD IoUs, suppressed boxes compacted away in
///   bulk; for n >= 4096 finite boxes (threshold >= 0.25, or >= 0 for small boxes) a multi-level
///   spatial grid restricts each pass to the cells that can hold a box the kept box may suppress. Memory O(n) in `ws` (allocated here if
///   null). No N x N matrix. Other policies run the scalar engine (detail::greedy_prepared):
///   O(kept x alive) `may_overlap` tests, the exact overlap only where they pass; their prepared
///   boxes are allocated per call.
/// - Throws std::invalid_argument for a NaN threshold. Inputs are not otherwise validated (see
///   check_boxes_xyxy). Thread-safe with distinct workspaces.
template <class T, class O>
std::size_t nms(const NmsInputs<T>& in, const BasicNmsParams<O>& opts, const NmsOutputs<T>& out,
                NmsWorkspace<T>* ws = nullptr) {
  using P = detail::nms_pos_t<T>;
  const T* boxes = in.boxes;
  const std::size_t n = in.n;
  std::int64_t* keep = out.keep;
  return detail::with_score_order(
      "nms", in.scores, n, opts.iou_threshold, opts.rule, opts.max_output, ws,
      [&](const T thr, detail::NmsScratch<T>& w, const std::int64_t* order) -> std::size_t {
        if constexpr (!std::is_same_v<O, AxisAlignedIoU>) {
          // Any other policy: the scalar greedy engine on prepared boxes.
          char* flag = reinterpret_cast<char*>(w.order_tmp_.data());  // free after the sort
          std::fill(flag, flag + n, char(0));
          const std::size_t starts[2] = {0, n};
          detail::greedy_segments(opts.overlap, boxes, order, nullptr, starts, 1, thr, opts.max_output, flag);
          std::size_t k = 0;
          for (std::size_t p = 0; p < n && k < opts.max_output; ++p)
            if (flag[p]) keep[k++] = order[p];
          return k;
        } else {
          P* kept = w.kept_.data();
          if (thr >= T(0) && n >= detail::nms_grid_min_boxes && opts.use_grid) {
            const std::size_t k = detail::grid_greedy(boxes, order, n, w, thr, opts.max_output);
            if (k != detail::grid_declined) {
              for (std::size_t i = 0; i < k; ++i) keep[i] = order[kept[i]];
              return k;
            }
          }
          detail::Soa<T> soa(w, n);
          P* pos = w.pos_.data();
          for (std::size_t p = 0; p < n; ++p) {
            soa.put(p, boxes + 4 * order[p]);
            pos[p] = static_cast<P>(p);
          }
          const std::size_t k = detail::greedy_segment(soa, pos, 0, n, thr, opts.max_output, kept);
          for (std::size_t i = 0; i < k; ++i) keep[i] = order[kept[i]];
          return k;
        }
      });
}

/// Convenience forwarder to the signature above (positional arguments; `iou_threshold` overrides
/// opts.iou_threshold).
template <class T, class O = AxisAlignedIoU>
std::size_t nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold, std::int64_t* keep,
                BasicNmsParams<O> opts = {}, NmsWorkspace<T>* ws = nullptr) {
  opts.iou_threshold = iou_threshold;
  return nms(NmsInputs<T>{boxes, scores, n}, opts, NmsOutputs<T>{keep}, ws);
}

namespace reference {
/// Scalar oracle for nms: torchvision's CPU loop transcribed (suppressed flags, O(n^2) worst case),
/// with the overlap of policy `ov` on unprepared rows.
template <class T, class O = AxisAlignedIoU>
std::size_t nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold,
                std::int64_t* keep, IouRule rule = IouRule::torchvision, const O& ov = {}) {
  const T thr = strict_iou_threshold<T>(iou_threshold, rule);
  NmsWorkspace<T> workspace;
  detail::NmsScratch<T>& w = detail::scratch_of(workspace, n);
  std::int64_t* order = w.order_.data();
  detail::score_order(scores, n, order, w);
  std::vector<char> suppressed(n, 0);
  std::size_t k = 0;
  for (std::size_t a = 0; a < n; ++a) {
    if (suppressed[a]) continue;
    const T* bi = boxes + O::box_columns * static_cast<std::size_t>(order[a]);
    keep[k++] = order[a];
    for (std::size_t b = a + 1; b < n; ++b) {
      if (suppressed[b]) continue;
      const T* bj = boxes + O::box_columns * static_cast<std::size_t>(order[b]);
      if (ov.overlap(bi, bj) > thr) suppressed[b] = 1;
    }
  }
  return k;
}
}  // namespace reference

}  // namespace locuskit
