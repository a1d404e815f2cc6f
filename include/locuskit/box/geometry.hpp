#pragma once
/// \file box/geometry.hpp
/// Scalar box geometry shared by the scalar oracle, SIMD tails and CUDA kernels.
///
/// Every formula is written in torchvision's evaluation order (see
/// shared/notes/boxes-nms-anchors-semantics.md §2), because that order decides float rounding:
/// `area = (x2 - x1) * (y2 - y1)`, `inter = max(min(r) - max(l), 0)` per axis,
/// `union = (area_a + area_b) - inter`, `iou = inter / union`. Compile with `-ffp-contract=off`
/// (locuskit's own builds do) for bitwise parity: a fused multiply-add changes the last bit.
#include <cmath>
#include <limits>

#include "../config.hpp"

namespace locuskit {

/// What a 0/0 ratio (two zero-area boxes: union 0) yields. locuskit's default is `zero`
/// (detectron2, mmdet, TF); `nan` reproduces torchvision, `one` OpenCV's `jaccardDistance`.
enum class Degenerate : int { zero = 0, nan = 1, one = 2 };

template <class T>
LOCUSKIT_HOST_DEVICE constexpr T degenerate_value(Degenerate d) noexcept {
  return d == Degenerate::zero ? T(0)
         : d == Degenerate::one ? T(1)
                                : std::numeric_limits<T>::quiet_NaN();
}

namespace geometry {

// min/max written as the SIMD instructions compute them (second operand on NaN), so the
// scalar tail and the vector body agree on every input.
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE T max_(T a, T b) noexcept { return a > b ? a : b; }
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE T min_(T a, T b) noexcept { return a < b ? a : b; }

/// Signed area of an xyxy box (negative when exactly one axis is inverted, as torchvision).
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE T area(T x1, T y1, T x2, T y2) noexcept {
  return (x2 - x1) * (y2 - y1);
}

/// Intersection area of two xyxy boxes, each axis clamped at 0.
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE T intersection(const T* a, const T* b) noexcept {
  const T w = max_(min_(a[2], b[2]) - max_(a[0], b[0]), T(0));
  const T h = max_(min_(a[3], b[3]) - max_(a[1], b[1]), T(0));
  return w * h;
}

/// IoU of two xyxy boxes with precomputed areas; `degenerate` where the union is 0.
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE T iou(const T* a, T area_a, const T* b, T area_b,
                                                T degenerate) noexcept {
  const T inter = intersection(a, b);
  const T uni = (area_a + area_b) - inter;
  return uni == T(0) ? degenerate : inter / uni;
}

}  // namespace geometry
}  // namespace locuskit
