#pragma once
/// \file nms/diou_nms.hpp
/// DIoU-NMS (Zheng et al. 2020, YOLOv4): greedy NMS on IoU minus a centre-distance penalty.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../box/geometry.hpp"
#include "../error.hpp"
#include "iou_rule.hpp"
#include "io.hpp"
#include "overlap.hpp"
#include "../detail/nms/engine.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Parameters of diou_nms, with the overlap policy `O` (nms/overlap.hpp) that supplies the IoU.
template <class O = AxisAlignedIoU>
struct BasicDiouNmsParams {
  double iou_threshold = 0.5;
  /// Exponent of the distance penalty, > 0 (the paper: 1; darknet's `beta_nms`: 0.6).
  double beta = 1.0;
  /// Threshold comparison (default torchvision's `>` with float32 rounding down; see IouRule).
  IouRule rule = IouRule::torchvision;
  /// Stop after this many kept boxes (a prefix of the full result).
  std::size_t max_output = std::numeric_limits<std::size_t>::max();
  /// The overlap (RotatedIoU carries its angle convention and mode).
  O overlap = {};
};
/// Parameters of the axis-aligned diou_nms.
using DiouNmsParams = BasicDiouNmsParams<AxisAlignedIoU>;

namespace detail {
/// Centre and axis-aligned extent of a box, the two things the DIoU penalty measures.
template <class T>
struct DiouFrame {
  T cx, cy, x1, y1, x2, y2;
};
/// xyxy: the centre `(x1 + x2) / 2` and the box itself (darknet, diou_nms_score).
template <class T>
inline DiouFrame<T> diou_frame(const AxisAlignedIoU&, const T* b) noexcept {
  return {(b[0] + b[2]) / T(2), (b[1] + b[3]) / T(2), b[0], b[1], b[2], b[3]};
}
/// Rotated (cx, cy, w, h, angle): the centre, and the axis-aligned hull of the four corners (the
/// enclosing box of the pair is then the hull of both; equal to the xyxy frame at angle 0).
template <class T>
inline DiouFrame<T> diou_frame(const RotatedIoU& ov, const T* b) noexcept {
  T xy[8];
  locuskit::rotated::box_corners(b, ov.convention, xy);
  DiouFrame<T> f{b[0], b[1], xy[0], xy[1], xy[0], xy[1]};
  for (int c = 2; c < 8; c += 2) {
    f.x1 = geometry::min_(f.x1, xy[c]), f.x2 = geometry::max_(f.x2, xy[c]);
    f.y1 = geometry::min_(f.y1, xy[c + 1]), f.y2 = geometry::max_(f.y2, xy[c + 1]);
  }
  return f;
}
/// `iou - (rho^2 / c^2)^beta` from the frames of kept box a and candidate b; iou when c = 0.
template <class T>
inline T diou_from_frames(T iou, const DiouFrame<T>& a, const DiouFrame<T>& b, T beta) noexcept {
  const T cw = geometry::max_(a.x2, b.x2) - geometry::min_(a.x1, b.x1);
  const T ch = geometry::max_(a.y2, b.y2) - geometry::min_(a.y1, b.y1);
  const T c2 = cw * cw + ch * ch;
  if (!(c2 > T(0))) return iou;
  const T dx = a.cx - b.cx, dy = a.cy - b.cy;
  const T ratio = (dx * dx + dy * dy) / c2;
  return iou - (beta == T(1) ? ratio : std::pow(ratio, beta));
}
}  // namespace detail

/// The DIoU-NMS criterion of box b against the kept box a (xyxy): `IoU - (rho^2 / c^2)^beta`,
/// rho the distance between centres `(x1+x2)/2`, c the diagonal of the enclosing box; plain IoU
/// when c = 0 (darknet). IoU is 0 for zero-area pairs.
template <class T>
inline T diou_nms_score(const T* a, T area_a, const T* b, T area_b, T beta) noexcept {
  const AxisAlignedIoU ov;
  return detail::diou_from_frames(AxisAlignedIoU::overlap(a, area_a, b, area_b), detail::diou_frame(ov, a),
                                  detail::diou_frame(ov, b), beta);
}

/// DIoU-NMS: greedy in score order (ties: lower index), box j suppressed by an earlier kept box i iff
/// `IoU(i, j) - (rho^2 / c^2)^beta > iou_threshold` (strict, torchvision's threshold precision; see
/// IouRule), rho the distance between the centres, c the diagonal of the smallest axis-aligned box
/// enclosing both (for rotated boxes: both boxes' corners); plain IoU when c = 0 (darknet).
///
/// - Inputs: `in.boxes` (n, O::box_columns) ((n, 4) xyxy by default), `in.scores` (n,).
///   Outputs: `out.keep` (room for min(n, params.max_output)) gets the kept indices in score
///   order; returns their count.
/// - The IoU is the policy's (0 for a degenerate pair, overlap.hpp); with AxisAlignedIoU the
///   criterion is diou_nms_score. A huge beta makes the penalty vanish (ratio < 1): plain nms with
///   the same rule.
/// - O(kept x n) scalar, O(n) memory in `ws` (a temporary when null; a warm workspace makes the
///   axis-aligned call allocation-free; other policies allocate their frames). Thread-safe with
///   distinct workspaces. Throws std::invalid_argument for a NaN threshold or beta <= 0.
template <class T, class O>
std::size_t diou_nms(const NmsInputs<T>& in, const BasicDiouNmsParams<O>& params, const NmsOutputs<T>& out,
                     NmsWorkspace<T>* ws = nullptr) {
  constexpr std::size_t cols = O::box_columns;
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  LOCUSKIT_CHECK(params.beta > 0, std::invalid_argument, "diou_nms: beta must be > 0, got ", params.beta);
  const std::size_t n = in.n;
  if (n == 0 || params.max_output == 0) return 0;
  NmsWorkspace<T> local;
  detail::NmsScratch<T>& work = detail::scratch_of(ws ? *ws : local, n);
  std::int64_t* alive = work.order_.data();  // score order, compacted as boxes are suppressed
  detail::score_order(in.scores, n, alive, work);
  const O& ov = params.overlap;
  const T b_ = static_cast<T>(params.beta);
  auto row = [&](std::int64_t i) { return in.boxes + cols * static_cast<std::size_t>(i); };
  std::size_t m = n, k = 0;
  while (m > 0 && k < params.max_output) {
    const T* a = row(alive[0]);
    const auto pa = ov.prepare(a);
    const auto fa = detail::diou_frame(ov, a);
    out.keep[k++] = alive[0];
    std::size_t w = 0;
    for (std::size_t j = 1; j < m; ++j) {
      const T* b = row(alive[j]);
      const T iou = static_cast<T>(ov.overlap(pa, ov.prepare(b)));
      const T d = detail::diou_from_frames(iou, fa, detail::diou_frame(ov, b), b_);
      if (!(d > thr)) alive[w++] = alive[j];
    }
    m = w;
  }
  return k;
}

/// Convenience forwarder to the signature above (axis-aligned, positional arguments).
template <class T>
std::size_t diou_nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold, double beta,
                     std::int64_t* keep, IouRule rule = IouRule::torchvision, NmsWorkspace<T>* ws = nullptr) {
  return diou_nms(NmsInputs<T>{boxes, scores, n}, DiouNmsParams{iou_threshold, beta, rule}, NmsOutputs<T>{keep}, ws);
}

}  // namespace locuskit
