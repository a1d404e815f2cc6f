#pragma once
/// \file roi/roi_pool.hpp
/// RoIPool (max pooling over quantized bins), identical to `torchvision.ops.roi_pool` (0.14, CPU).
#include <cstddef>
#include <cstdint>

#include "../parallel.hpp"
#include "rois.hpp"

namespace locuskit {

/// torchvision's `roi_pool` arguments.
struct RoiPoolParams {
  std::size_t pooled_h = 7, pooled_w = 7;  ///< output_size
  double spatial_scale = 1.0;              ///< feature-map size / image size
};

/// RoIPool forward: `out` (k, C, pooled_h, pooled_w) and `argmax` (same shape, flat index in the
/// H x W plane of the maximum, -1 for an empty bin; may be null) from `features` (N, C, H, W) and
/// `rois` (k, 5) `(batch_index, x1, y1, x2, y2)`.
///
/// - Matches torchvision bitwise: corners `round(x * spatial_scale)` (half away from zero, in T),
///   inclusive end, roi size max(end - start + 1, 1), bins floor/ceil of `p * size / pooled` clipped
///   to the map, empty bin -> 0 and argmax -1, strict `>` so the first maximum (row-major) wins and
///   NaN never wins; values <= -FLT_MAX in a non-empty bin give -FLT_MAX and argmax -1 (torchvision).
/// - Complexity O(k C (roi area + bins)), threads over rois. Thread-safe.
template <class T>
void roi_pool_forward(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                      const RoiPoolParams& params, T* out, std::int64_t* argmax, Parallel par = {});

/// RoIPool backward: `grad_features` (N, C, H, W, overwritten) += grad_out at each bin's argmax.
/// Bitwise equal to torchvision (each element summed in roi order; threads split channels).
template <class T>
void roi_pool_backward(const T* grad_out, const std::int64_t* argmax, const FeatureShape& shape, const T* rois,
                       std::size_t k, const RoiPoolParams& params, T* grad_features, Parallel par = {});

}  // namespace locuskit

#include "../detail/roi/roi_pool-inl.hpp"
