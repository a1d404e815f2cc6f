#pragma once
/// \file track/tracked_box.hpp
/// What a tracker returns per frame, and how it validates what it is given.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "../error.hpp"

namespace locuskit::track {

/// One output track of one frame: its id (1, 2, ... per tracker), its box (x1, y1, x2, y2) as the
/// filter estimates it after this frame's update, the score of its last detection, and the box's
/// width and height as the reference tracker computes them (ByteTrack: `a·h` and `h` from its
/// state, which `x2 - x1` may miss by an ulp; what its result files are written from).
struct TrackedBox {
  std::int64_t id;
  double x1, y1, x2, y2;
  double score;
  double width, height;
};

/// Checks detections `(n, 5)` rows `(x1, y1, x2, y2, score)` before a tracker sees them: finite
/// coordinates, `x2 >= x1`, `y2 >= y1`, a non-NaN score. Throws std::invalid_argument naming
/// `name` and the row. O(n).
template <class T>
void check_detections(const T* dets, std::size_t n, const char* name = "detections") {
  for (std::size_t i = 0; i < n; ++i) {
    const T* d = dets + 5 * i;
    for (int k = 0; k < 4; ++k)
      LOCUSKIT_CHECK(std::isfinite(static_cast<double>(d[k])), std::invalid_argument, name, ": row ", i,
                     " has a non-finite coordinate");
    LOCUSKIT_CHECK(d[2] >= d[0] && d[3] >= d[1], std::invalid_argument, name, ": row ", i,
                   " has a negative width or height (x2 < x1 or y2 < y1)");
    LOCUSKIT_CHECK(!std::isnan(static_cast<double>(d[4])), std::invalid_argument, name, ": row ", i,
                   " has a NaN score");
  }
}

}  // namespace locuskit::track
