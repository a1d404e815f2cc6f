#pragma once
/// \file nms/overlap.hpp
/// Overlap policies: what every NMS variant measures between two boxes.
///
/// An NMS kernel is written once and templated on a policy `O` that supplies
/// - `O::box_columns`: the width of one input row (4 for xyxy, 5 for rotated cxcywha);
/// - `O::Box<T>`: a box prepared once for many pair tests (`O::prepare(row)`), e.g. with its area;
/// - `O::overlap(a, b)`: the scalar pairwise overlap, host and device, with **the one answer for
///   degenerate pairs**: a pair whose union is 0 (two zero-area boxes) has overlap **0**, in every
///   variant, on CPU and GPU (detectron2, mmdet, TF; torchvision says NaN). A NaN coordinate still
///   gives NaN, which never suppresses;
/// - `O::may_overlap(a, b)`: a cheap test that is false only when the overlap is 0 or NaN (lets a
///   kernel skip the exact test);
/// - for axis-aligned boxes also the SIMD test (`AxisAlignedIoU::exceeds`) used by the vectorized
///   kernels, equal lane for lane to the scalar one.
///
/// With a threshold t >= 0 a degenerate pair never suppresses (0 > t is false, as NaN > t was);
/// with t < 0 (C++ only: Python requires [0, 1]) every pair of finite boxes suppresses, degenerate
/// ones included.
#include <cstddef>

#include "../box/geometry.hpp"
#include "../config.hpp"
#include "../rotated/geometry.hpp"

#if !defined(__CUDACC__)
#include <xsimd/xsimd.hpp>
#endif

namespace locuskit {

/// Axis-aligned IoU of (n, 4) xyxy boxes in T, torchvision's formula and operation order
/// (`inter / ((area_a + area_b) - inter)`), 0 where the union is 0.
struct AxisAlignedIoU {
  static constexpr std::size_t box_columns = 4;
  /// A box with its area (signed, torchvision's `(x2 - x1) * (y2 - y1)`).
  template <class T>
  struct Box {
    T x1, y1, x2, y2, area;
  };

  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE Box<T> prepare(const T* row) noexcept {
    return {row[0], row[1], row[2], row[3], geometry::area(row[0], row[1], row[2], row[3])};
  }

  /// IoU of two xyxy boxes with precomputed areas (the first is the kept / suppressing box).
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE T overlap(const T* a, T area_a, const T* b, T area_b) noexcept {
    return geometry::iou(a, area_a, b, area_b, T(0));
  }
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE T overlap(const Box<T>& a, const Box<T>& b) noexcept {
    const T ra[4] = {a.x1, a.y1, a.x2, a.y2}, rb[4] = {b.x1, b.y1, b.x2, b.y2};
    return overlap(ra, a.area, rb, b.area);
  }
  /// IoU of two rows.
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE T overlap(const T* a, const T* b) noexcept {
    return overlap(a, geometry::area(a[0], a[1], a[2], a[3]), b, geometry::area(b[0], b[1], b[2], b[3]));
  }

  /// False only if the boxes do not intersect (then the IoU is 0 or NaN).
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE bool may_overlap(const Box<T>& a, const Box<T>& b) noexcept {
    return geometry::min_(a.x2, b.x2) - geometry::max_(a.x1, b.x1) > T(0) &&
           geometry::min_(a.y2, b.y2) - geometry::max_(a.y1, b.y1) > T(0);
  }

  /// `overlap > strict_threshold`, the suppression test, from an intersection and union already
  /// computed (the kernels that need both). `zero_exceeds` = `0 > strict_threshold`, hoisted.
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE bool exceeds(T inter, T uni, T strict_threshold,
                                                                bool zero_exceeds) noexcept {
    // inter / 0 only occurs for a degenerate pair (an inverted box has no intersection, see
    // docs/semantics.md), whose overlap is 0: it exceeds iff 0 > threshold.
    return inter / uni > strict_threshold || (zero_exceeds && uni == T(0));
  }

#if !defined(__CUDACC__)
  /// SIMD suppression mask of the head box (broadcast: hx1..ha) against W candidates; lane l is
  /// true iff `overlap(head, candidate_l) > strict_threshold` (same bits as the scalar test).
  /// `ZeroExceeds` is std::true_type iff 0 > strict_threshold (a compile-time branch: the common
  /// threshold >= 0 costs no extra instruction).
  template <class Arch, class T, class ZeroExceeds>
  static LOCUSKIT_FORCEINLINE xsimd::batch_bool<T, Arch> exceeds(
      const xsimd::batch<T, Arch>& hx1, const xsimd::batch<T, Arch>& hy1, const xsimd::batch<T, Arch>& hx2,
      const xsimd::batch<T, Arch>& hy2, const xsimd::batch<T, Arch>& ha, const xsimd::batch<T, Arch>& bx1,
      const xsimd::batch<T, Arch>& by1, const xsimd::batch<T, Arch>& bx2, const xsimd::batch<T, Arch>& by2,
      const xsimd::batch<T, Arch>& ba, const xsimd::batch<T, Arch>& strict_threshold, ZeroExceeds) noexcept {
    using batch = xsimd::batch<T, Arch>;
    const batch zero(T(0));
    // Same operand order as geometry::iou (and torchvision): the head is the first box.
    const batch iw = xsimd::max(xsimd::min(hx2, bx2) - xsimd::max(hx1, bx1), zero);
    const batch ih = xsimd::max(xsimd::min(hy2, by2) - xsimd::max(hy1, by1), zero);
    const batch inter = iw * ih;
    const batch uni = (ha + ba) - inter;
    const auto hit = inter / uni > strict_threshold;
    if constexpr (ZeroExceeds::value) return hit | (uni == zero);
    else return hit;
  }
#endif
};


/// Which rotated IoU RotatedIoU computes.
enum class RotatedIouMode : int {
  /// Exact convex clipping in double, rounded once to T (rotated::rotated_iou).
  exact = 0,
  /// detectron2's float arithmetic, rounding for rounding (rotated::rotated_iou_detectron2; boxes
  /// in its `degrees_ccw` convention): for bit parity with detectron2's `nms_rotated`.
  detectron2 = 1,
};

/// Rotated-box IoU of (n, 5) `(cx, cy, w, h, angle)` boxes (rotated/geometry.hpp), 0 where the
/// union is 0. A policy object (it carries the angle convention), not only a type.
struct RotatedIoU {
  static constexpr std::size_t box_columns = 5;
  rotated::AngleConvention convention = rotated::AngleConvention::degrees_ccw;
  RotatedIouMode mode = RotatedIouMode::exact;

  /// A box and its circumcircle (centre and radius in double, slightly enlarged).
  template <class T>
  struct Box {
    T row[5];
    double cx, cy, radius;
  };

  template <class T>
  LOCUSKIT_HOST_DEVICE Box<T> prepare(const T* row) const noexcept {
    Box<T> b{{row[0], row[1], row[2], row[3], row[4]}, double(row[0]), double(row[1]), 0.0};
    const double w = row[2] < T(0) ? -double(row[2]) : double(row[2]);
    const double h = row[3] < T(0) ? -double(row[3]) : double(row[3]);
    // Half the diagonal <= (w + h) / 2; detectron2's tolerances widen it (rotated::detectron2_reach_radius).
    b.radius = mode == RotatedIouMode::detectron2 ? rotated::detectron2_reach_radius(w, h) : 0.5 * (w + h) * (1.0 + 1e-9);
    return b;
  }

  template <class T>
  LOCUSKIT_HOST_DEVICE T overlap(const Box<T>& a, const Box<T>& b) const noexcept {
    return mode == RotatedIouMode::detectron2 ? rotated::rotated_iou_detectron2(a.row, b.row)
                                              : rotated::rotated_iou(a.row, b.row, convention, T(0));
  }
  template <class T>
  LOCUSKIT_HOST_DEVICE T overlap(const T* a, const T* b) const noexcept {
    return overlap(prepare(a), prepare(b));
  }

  /// False only if the circumcircles are apart (then the IoU is 0). NaN -> true.
  template <class T>
  LOCUSKIT_HOST_DEVICE bool may_overlap(const Box<T>& a, const Box<T>& b) const noexcept {
    const double dx = a.cx - b.cx, dy = a.cy - b.cy, r = a.radius + b.radius;
    return !(dx * dx + dy * dy > r * r);
  }
};

}  // namespace locuskit
