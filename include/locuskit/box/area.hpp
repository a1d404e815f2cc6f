#pragma once
/// \file box/area.hpp
/// Area of xyxy boxes (torchvision `box_area`).
#include <cstddef>

#include "geometry.hpp"

namespace locuskit {

/// `out[i] = (x2 - x1) * (y2 - y1)` for n (n, 4) xyxy boxes: torchvision `box_area`, bitwise.
/// Signed for unchecked inverted boxes (as torchvision). O(n), no allocation. Thread-safe.
template <class T>
void box_area(const T* boxes, std::size_t n, T* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const T* b = boxes + 4 * i;
    out[i] = geometry::area(b[0], b[1], b[2], b[3]);
  }
}

}  // namespace locuskit
