#pragma once
/// \file roi/roi_align.hpp
/// RoIAlign forward and backward, identical to `torchvision.ops.roi_align` (0.14, CPU kernel).
#include <cstddef>

#include "../parallel.hpp"
#include "rois.hpp"

namespace locuskit {

/// torchvision's `roi_align` arguments.
struct RoiAlignParams {
  std::size_t pooled_h = 7, pooled_w = 7;  ///< output_size
  double spatial_scale = 1.0;              ///< feature-map size / image size (applied to the rois)
  int sampling_ratio = -1;                 ///< samples per bin and axis; <= 0: ceil(roi size / pooled size)
  bool aligned = false;                    ///< true: shift the rois by -0.5 pixel (pixel centres at +0.5)
};

/// RoIAlign forward: `out` (k, C, pooled_h, pooled_w) from `features` (N, C, H, W) and `rois`
/// (k, 5) rows `(batch_index, x1, y1, x2, y2)` in image coordinates.
///
/// - Matches `torchvision.ops.roi_align` on the CPU bitwise in float32 and float64 (same sample
///   positions, same bilinear weights and the same summation order; needs no FMA contraction, which
///   the compiled module guarantees with -ffp-contract=off). aligned=false clamps the roi size to
///   >= 1; aligned=true lets inverted rois sample mirrored points; an adaptive grid <= 0 takes no
///   sample (output 0; torchvision throws for some such rois).
/// - Samples outside (-1, H) x (-1, W) read 0; inside they clamp to the border (torchvision).
/// - Complexity O(k (C + 1) pooled_h pooled_w grid_h grid_w), threads over rois (`par`).
/// - Throws std::invalid_argument for invalid rois (check_rois) or a zero output size.
///   Thread-safe (no shared state).
template <class T>
void roi_align_forward(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                       const RoiAlignParams& params, T* out, Parallel par = {});

/// RoIAlign backward: `grad_features` (N, C, H, W) = sum over rois of grad_out x d out/d features
/// (overwritten). `grad_out` (k, C, pooled_h, pooled_w). Rois get no gradient (torchvision).
///
/// - Bitwise equal to torchvision's CPU backward: each feature element receives its contributions
///   in torchvision's order (roi, bin, sample, corner), because the work is split over channels
///   (threads never share an element) instead of over rois.
/// - Complexity O(k C pooled_h pooled_w grid_h grid_w + N C H W). Thread-safe.
template <class T>
void roi_align_backward(const T* grad_out, const FeatureShape& shape, const T* rois, std::size_t k,
                        const RoiAlignParams& params, T* grad_features, Parallel par = {});

}  // namespace locuskit

#include "../detail/roi/roi_align-inl.hpp"
