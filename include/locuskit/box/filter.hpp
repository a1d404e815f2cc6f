#pragma once
/// \file box/filter.hpp
/// Selecting boxes by size (torchvision `remove_small_boxes`).
#include <cstddef>
#include <cstdint>

namespace locuskit {

/// Writes to `keep` the indices (ascending) of the (n, 4) xyxy boxes whose width AND height are
/// `>= min_size` (inclusive, as torchvision `remove_small_boxes`; detectron2's `nonempty` uses
/// `>`), and returns how many. `keep` needs room for n. A NaN side is dropped; `min_size = 0`
/// keeps zero-area boxes. The comparison is in T (torchvision compares float32 boxes with
/// float32(min_size)). O(n), no allocation. Thread-safe.
template <class T>
std::size_t remove_small_boxes(const T* boxes, std::size_t n, T min_size, std::int64_t* keep) noexcept {
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const T* b = boxes + 4 * i;
    if ((b[2] - b[0]) >= min_size && (b[3] - b[1]) >= min_size) keep[k++] = static_cast<std::int64_t>(i);
  }
  return k;
}

}  // namespace locuskit
