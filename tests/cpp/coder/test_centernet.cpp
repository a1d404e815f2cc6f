#include <locuskit/coder/centernet.hpp>

#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("centernet: 3x3 peaks keep plateaus; top-k with offsets and down ratio") {
  // 1 class, 3x4 heat: a peak 0.9 at (1, 1), a plateau of 0.5 at (0, 3) and (1, 3).
  const float heat[12] = {0.1f, 0.2f, 0.1f, 0.5f, 0.2f, 0.9f, 0.3f, 0.5f, 0.1f, 0.2f, 0.1f, 0.4f};
  float peaks[12];
  centernet_peaks(heat, 1, 3, 4, peaks);
  CHECK(peaks[5] == 0.9f);
  CHECK(peaks[3] == 0.5f);
  CHECK(peaks[7] == 0.5f);
  CHECK(peaks[0] == 0.f);
  CHECK(peaks[11] == 0.f);  // 0.4 next to 0.5
  std::vector<float> wh(24, 2.f), off(24, 0.25f);
  float boxes[12], scores[3];
  std::int64_t classes[3];
  const std::size_t k = centernet_decode(heat, 1, 3, 4, wh.data(), off.data(), 3, 4.0, boxes, scores, classes);
  CHECK(k == 3);
  CHECK(scores[0] == 0.9f);
  CHECK(scores[1] == 0.5f);
  CHECK(boxes[0] == doctest::Approx((1.25 - 1) * 4));  // x = 1 + 0.25, w/2 = 1
  CHECK(boxes[4] == doctest::Approx((3.25 - 1) * 4));  // plateau: index 3 before 7
  CHECK(boxes[5] == doctest::Approx((0.25 - 1) * 4));
  CHECK(classes[2] == 0);
}
