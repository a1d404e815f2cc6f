#pragma once
/// \file box/clip.hpp
/// Clipping xyxy boxes to an image (torchvision `clip_boxes_to_image`).
#include <cstddef>

namespace locuskit {

/// Clips n (n, 4) xyxy boxes to an image of `height` x `width`: x to [0, width], y to
/// [0, height], as torchvision `clip_boxes_to_image(boxes, (height, width))` (bitwise: a clamp
/// is exact). Corners are not reordered; a box fully outside becomes zero-area on the border.
/// `out` may alias `boxes`. Not validated (NaN stays NaN). O(n), no allocation. Thread-safe.
template <class T>
void clip_boxes_to_image(const T* boxes, std::size_t n, T height, T width, T* out) noexcept {
  auto clamp = [](T v, T hi) { return v < T(0) ? T(0) : (v > hi ? hi : v); };
  for (std::size_t i = 0; i < 4 * n; i += 4) {
    const T x1 = boxes[i], y1 = boxes[i + 1], x2 = boxes[i + 2], y2 = boxes[i + 3];
    out[i] = clamp(x1, width);
    out[i + 1] = clamp(y1, height);
    out[i + 2] = clamp(x2, width);
    out[i + 3] = clamp(y2, height);
  }
}

}  // namespace locuskit
