#pragma once
/// \file roi/rois.hpp
/// What every RoI operator shares: the NCHW feature-map shape and the (K, 5) roi rows
/// `(batch_index, x1, y1, x2, y2)` of torchvision / PreciseRoIPooling, and their validation.
#include <cmath>
#include <cstddef>
#include <stdexcept>

#include "../config.hpp"
#include "../error.hpp"

namespace locuskit {

/// Shape of a contiguous NCHW feature map (batch, channels, height, width).
struct FeatureShape {
  std::size_t n = 0, c = 0, h = 0, w = 0;
  LOCUSKIT_HOST_DEVICE std::size_t plane() const noexcept { return h * w; }
  LOCUSKIT_HOST_DEVICE std::size_t size() const noexcept { return n * c * h * w; }
};

/// Largest |coordinate x spatial_scale| accepted: keeps every integer derived from a roi (rounded
/// corners, grid sizes) far from int overflow. Real rois are < 1e5 pixels.
inline constexpr double roi_coordinate_limit = 1 << 24;

/// Validates `k` roi rows `(batch_index, x1, y1, x2, y2)`: all finite, batch index
/// `int(batch_index)` (truncation, as both peers) in [0, batch), |coordinate x spatial_scale| <=
/// roi_coordinate_limit. Inverted or empty rois are valid (each operator defines their result).
/// Throws std::invalid_argument naming `name` and the row. O(k).
template <class T>
void check_rois(const T* rois, std::size_t k, std::size_t batch, double spatial_scale, const char* name = "rois") {
  LOCUSKIT_CHECK(std::isfinite(spatial_scale) && spatial_scale > 0, std::invalid_argument,
                 "spatial_scale: must be finite and > 0, got ", spatial_scale);
  for (std::size_t r = 0; r < k; ++r) {
    const T* row = rois + 5 * r;
    for (int j = 0; j < 5; ++j)
      LOCUSKIT_CHECK(std::isfinite(static_cast<double>(row[j])), std::invalid_argument, name, ": row ", r,
                     " has a non-finite value");
    const double b = static_cast<double>(row[0]);
    LOCUSKIT_CHECK(b > -1.0 && b < static_cast<double>(batch), std::invalid_argument, name, ": row ", r,
                   " has batch index ", b, ", outside [0, ", batch, ")");
    for (int j = 1; j < 5; ++j)
      LOCUSKIT_CHECK(std::fabs(static_cast<double>(row[j]) * spatial_scale) <= roi_coordinate_limit,
                     std::invalid_argument, name, ": row ", r, " has a coordinate beyond ", roi_coordinate_limit,
                     " after spatial_scale");
  }
}

namespace detail {
/// `int(batch_index)`: truncation toward zero, as torchvision and PreciseRoIPooling.
template <class T>
LOCUSKIT_HOST_DEVICE inline std::size_t roi_batch(const T* roi) noexcept {
  return static_cast<std::size_t>(static_cast<long long>(roi[0]));
}
}  // namespace detail

}  // namespace locuskit
