#pragma once
/// \file roi/prroi_pool.hpp
/// Precise RoI Pooling (IoU-Net, Jiang et al. ECCV 2018): the exact average of the bilinearly
/// interpolated feature map over each bin, differentiable in the features and in the box.
/// Conventions of vacancy/PreciseRoIPooling (see docs/roi.md).
#include <cstddef>

#include "../parallel.hpp"
#include "rois.hpp"

namespace locuskit {

/// PrRoIPool arguments (PreciseRoIPooling's `pooled_height`, `pooled_width`, `spatial_scale`).
struct PrRoiPoolParams {
  std::size_t pooled_h = 7, pooled_w = 7;
  double spatial_scale = 1.0;
};

/// PrRoIPool forward: `out` (k, C, pooled_h, pooled_w) from `features` (N, C, H, W) and `rois`
/// (k, 5) `(batch_index, x1, y1, x2, y2)`.
///
/// - f(x, y) = sum_ij t(x - j) t(y - i) F[i, j], t(u) = max(0, 1 - |u|): pixel centres on integer
///   coordinates, zero padding (f vanishes beyond -1 and W, H). Coordinates are multiplied by
///   spatial_scale, no half-pixel offset. Bin (ph, pw) = [x1 + pw bw, x1 + (pw+1) bw] x [...],
///   bw = max(x2 - x1, 0) / pooled_w; output = integral of f over the bin / bin area, in closed
///   form (separable: per-axis tent integrals, computed without cancellation). A bin of zero area
///   (empty or inverted roi) gives 0, as the CUDA reference.
/// - float64 agrees with the exact rational oracle to a few ulps; float32 maps get the bin
///   geometry and weights computed in double, the sums in float.
/// - Complexity O(k C (roi rows x (roi cols + pooled_w) + pooled_h pooled_w)), threads over rois.
///   Thread-safe.
template <class T>
void prroi_pool_forward(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                        const PrRoiPoolParams& params, T* out, Parallel par = {});

/// PrRoIPool backward from `grad_out` (k, C, pooled_h, pooled_w):
/// - `grad_features` (N, C, H, W, overwritten; may be null): sum of grad_out x d out / d F;
/// - `grad_rois` (k, 5, overwritten; may be null): the exact derivative with respect to the roi
///   coordinates (the output is C^1 in them): per bin edge, (f on the edge averaged along it - out)
///   / bin size, chained through the bin-edge formulas and spatial_scale. Column 0 (batch index)
///   is 0; rois with zero-area bins get 0 (CUDA reference).
/// - The output used by the roi gradient is recomputed (identical to the forward).
/// - Complexity as the forward; roi gradients thread over rois, feature gradients over channels
///   (deterministic sums). Thread-safe.
template <class T>
void prroi_pool_backward(const T* features, const T* grad_out, const FeatureShape& shape, const T* rois,
                         std::size_t k, const PrRoiPoolParams& params, T* grad_features, T* grad_rois,
                         Parallel par = {});

}  // namespace locuskit

#include "../detail/roi/prroi_pool-inl.hpp"
