#pragma once
/// \file nms/iou_rule.hpp
/// How an IoU is compared with the suppression threshold, and the one conversion every NMS uses.
///
/// All NMS variants reduce the rule to a single strict comparison `iou > t` with `t` of the boxes'
/// scalar type, so the SIMD kernels compare once and NaN IoUs (0/0 pairs, NaN boxes) never suppress.
#include <cmath>
#include <limits>

#include "../error.hpp"

namespace locuskit {

/// The threshold comparison an NMS applies.
enum class IouRule : int {
  /// torchvision CPU (default): suppress iff `iou > thr` with `thr` a double. For float32 boxes that
  /// is `iou > largest_float32 <= thr` (e.g. 0.6 -> 0.59999996 -> a pair at IoU f32(0.6) IS
  /// suppressed); float64 compares exactly.
  torchvision = 0,
  /// torchvision / mmcv CUDA kernels: `iou > float32(thr)` (threshold rounded to nearest float).
  cuda = 1,
  /// `iou >= thr` (TensorRT EfficientNMS, detectron2 rotated CPU, mmcv linear soft-NMS), exact.
  greater_equal = 2,
};

/// The `t` with "suppress iff `iou > t`" equivalent to `rule` at `iou_threshold`, for IoUs of type T.
/// O(1), thread-safe. Throws std::invalid_argument on a NaN threshold.
template <class T>
T strict_iou_threshold(double iou_threshold, IouRule rule) {
  LOCUSKIT_CHECK(!std::isnan(iou_threshold), std::invalid_argument, "iou_threshold is NaN");
  constexpr T neg_inf = -std::numeric_limits<T>::infinity();
  constexpr T pos_inf = std::numeric_limits<T>::infinity();
  switch (rule) {
    case IouRule::cuda:
      return static_cast<T>(static_cast<float>(iou_threshold));
    case IouRule::greater_equal: {
      // iou >= thr  <=>  iou >= s (smallest T >= thr)  <=>  iou > predecessor(s).
      T s = static_cast<T>(iou_threshold);
      if (static_cast<double>(s) < iou_threshold) s = std::nextafter(s, pos_inf);
      return std::nextafter(s, neg_inf);
    }
    case IouRule::torchvision:
    default: {
      // iou > thr (double)  <=>  iou > largest T <= thr.
      T s = static_cast<T>(iou_threshold);
      if (static_cast<double>(s) > iou_threshold) s = std::nextafter(s, neg_inf);
      return s;
    }
  }
}

}  // namespace locuskit
