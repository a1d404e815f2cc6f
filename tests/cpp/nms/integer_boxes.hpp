#pragma once
// Axis-aligned boxes as xyxy rows and as rotated rows: the cases on which every rotated NMS
// variant must equal its axis-aligned twin (shared by the split NMS test files).
#include <cstdint>
#include <random>
#include <vector>

namespace locuskit::test {

/// n axis-aligned boxes with integer corners (even sizes: integer centres), as xyxy rows and as
/// rotated (cx, cy, w, h, angle) rows at angle 0 or 180 degrees (the same region), with tied
/// scores. Overlaps, centres and corners are exact in double both ways.
template <class T>
void integer_boxes(std::size_t n, std::uint32_t seed, std::vector<T>& xyxy, std::vector<T>& rot, std::vector<T>& s) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pos(0, 40), half(0, 8), tie(0, 5);
  xyxy.clear(), rot.clear(), s.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const int cx = pos(rng), cy = pos(rng), hw = half(rng), hh = half(rng);
    xyxy.insert(xyxy.end(), {T(cx - hw), T(cy - hh), T(cx + hw), T(cy + hh)});
    rot.insert(rot.end(), {T(cx), T(cy), T(2 * hw), T(2 * hh), T(i % 2 ? 180 : 0)});
    s.push_back(T(tie(rng)) / T(5));
  }
}

}  // namespace locuskit::test
