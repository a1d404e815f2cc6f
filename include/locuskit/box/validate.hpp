#pragma once
/// \file box/validate.hpp
/// Checks that the Python bindings (and careful C++ callers) run before a kernel.
///
/// The kernels themselves never validate (they are noexcept); their C++ contract for unchecked
/// input is torchvision's arithmetic: signed areas for inverted boxes, NaN propagating through the
/// ratio (see box/geometry.hpp).
#include <cmath>
#include <cstddef>
#include <string>

#include "../error.hpp"

namespace locuskit {

/// Throws std::invalid_argument naming `what`, the row and the problem if any xyxy box has a
/// non-finite coordinate or x2 < x1 / y2 < y1. O(n).
template <class T>
void check_boxes_xyxy(const T* boxes, std::size_t n, const char* what) {
  for (std::size_t i = 0; i < n; ++i) {
    const T* b = boxes + 4 * i;
    LOCUSKIT_CHECK(std::isfinite(b[0]) && std::isfinite(b[1]) && std::isfinite(b[2]) && std::isfinite(b[3]),
                   std::invalid_argument, what, ": box ", i, " has a non-finite coordinate (",
                   b[0], ", ", b[1], ", ", b[2], ", ", b[3], ")");
    LOCUSKIT_CHECK(b[2] >= b[0] && b[3] >= b[1], std::invalid_argument, what, ": box ", i,
                   " is inverted (x2 < x1 or y2 < y1): (", b[0], ", ", b[1], ", ", b[2], ", ", b[3],
                   "); boxes must be xyxy with x1 <= x2 and y1 <= y2");
  }
}

/// Throws std::invalid_argument if any value is NaN (or, unless `allow_inf`, infinite).
template <class T>
void check_finite(const T* values, std::size_t n, const char* what, bool allow_inf = false) {
  for (std::size_t i = 0; i < n; ++i) {
    LOCUSKIT_CHECK(!std::isnan(values[i]), std::invalid_argument, what, ": element ", i, " is NaN");
    LOCUSKIT_CHECK(allow_inf || std::isfinite(values[i]), std::invalid_argument, what, ": element ", i,
                   " is infinite");
  }
}

}  // namespace locuskit
