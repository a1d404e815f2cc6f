// nms/diou_nms.hpp: DIoU-NMS against hand-computed criteria.
#include <locuskit/nms/diou_nms.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("diou_nms: IoU minus the centre-distance penalty, by hand", T, float, double) {
  // a = (0,0,10,10), b = (0,0,10,5): IoU 0.5; centres (5,5) and (5,2.5): rho^2 = 6.25; the
  // enclosing box is a itself: c^2 = 200; ratio 1/32, DIoU = 0.46875. c = (20,20,30,30) is apart.
  const T boxes[12] = {0, 0, 10, 10, 0, 0, 10, 5, 20, 20, 30, 30};
  const T area_a = 100, area_b = 50;
  CHECK(diou_nms_score(boxes, area_a, boxes + 4, area_b, T(1)) == T(0.46875));
  CHECK(diou_nms_score(boxes, area_a, boxes + 4, area_b, T(0.6)) ==
        doctest::Approx(0.5 - std::pow(1.0 / 32, 0.6)));
  const T scores[3] = {T(0.9), T(0.8), T(0.7)};
  std::int64_t keep[3];
  // Plain IoU 0.5 > 0.47 would suppress b; its DIoU 0.46875 does not.
  REQUIRE(diou_nms(boxes, scores, 3, 0.47, 1.0, keep) == 3);
  CHECK(keep[1] == 1);
  REQUIRE(diou_nms(boxes, scores, 3, 0.46, 1.0, keep) == 2);
  CHECK(keep[0] == 0);
  CHECK(keep[1] == 2);
  // Identical boxes: no distance penalty, DIoU = IoU = 1, never > 1.
  const T same[8] = {1, 1, 4, 4, 1, 1, 4, 4};
  CHECK(diou_nms(same, scores, 2, 0.99, 1.0, keep) == 1);
  CHECK(diou_nms(same, scores, 2, 1.0, 1.0, keep) == 2);
  CHECK_THROWS_AS(diou_nms(boxes, scores, 3, 0.5, 0.0, keep), std::invalid_argument);
}
