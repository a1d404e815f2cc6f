#include <locuskit/coder/yolo.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("yolo_decode v3/v5 on a hand case") {
  // One anchor (10, 20), one class, 1x2 grid, stride 8; all logits 0 -> sigmoid 0.5.
  std::vector<double> raw(6 * 2, 0.0);
  const double anchors[2] = {10, 20};
  double boxes[8], scores[2], obj[2];
  yolo_decode(raw.data(), 1, 1, 1, 2, anchors, 8.0, YoloVersion::v3, boxes, scores, obj);
  // v3: cx = (0.5 + x) * 8, w = 10 * e^0.
  CHECK(boxes[4] == doctest::Approx(12 - 5));
  CHECK(boxes[7] == doctest::Approx(4 + 10));
  CHECK(scores[0] == doctest::Approx(0.25));
  yolo_decode(raw.data(), 1, 1, 1, 2, anchors, 8.0, YoloVersion::v5, boxes, scores, obj);
  // v5: cx = (2*0.5 + x - 0.5) * 8, w = (2*0.5)^2 * 10.
  CHECK(boxes[4] == doctest::Approx(12 - 5));
  CHECK(boxes[1] == doctest::Approx(4 - 10));
  CHECK_THROWS_AS(yolo_decode(raw.data(), 1, 1, 1, 2, anchors, 0.0, YoloVersion::v5, boxes, scores),
                  std::invalid_argument);
}

TEST_CASE("yolov8_decode: uniform DFL logits give the mean bin") {
  const std::size_t R = 16;
  std::vector<float> raw((4 * R + 2) * 1, 0.f);
  float boxes[4], scores[2];
  yolov8_decode(raw.data(), R, 2, 1, 1, 32.0, boxes, scores);
  // Expectation over uniform bins 0..15 = 7.5; point (0.5, 0.5); box (0.5 -/+ 7.5) * 32.
  CHECK(boxes[0] == doctest::Approx((0.5 - 7.5) * 32));
  CHECK(boxes[2] == doctest::Approx((0.5 + 7.5) * 32));
  CHECK(scores[0] == doctest::Approx(0.5));
}
