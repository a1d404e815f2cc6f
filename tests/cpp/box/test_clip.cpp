#include <locuskit/box/clip.hpp>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("clip_boxes_to_image: x to [0, width], y to [0, height], in place", T, float, double) {
  T boxes[12] = {-5, 2, 5, 4, 0, 0, 0, 7, 10, 10, 30, 40};
  T clipped[12];
  clip_boxes_to_image(boxes, 3, T(20), T(25), clipped);  // (height, width)
  const T expected[12] = {0, 2, 5, 4, 0, 0, 0, 7, 10, 10, 25, 20};
  for (int k = 0; k < 12; ++k) CHECK(clipped[k] == expected[k]);
  clip_boxes_to_image(boxes, 3, T(20), T(25), boxes);
  for (int k = 0; k < 12; ++k) CHECK(boxes[k] == expected[k]);
}
