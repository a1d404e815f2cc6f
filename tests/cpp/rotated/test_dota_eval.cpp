#include <locuskit/rotated/dota_eval.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;
using namespace locuskit::rotated;

namespace {
std::vector<double> square(double x0, double y0, double w, double h) {  // clockwise on screen, as DOTA labels
  return {x0, y0, x0 + w, y0, x0 + w, y0 + h, x0, y0 + h};
}
void append(std::vector<double>& v, const std::vector<double>& q) { v.insert(v.end(), q.begin(), q.end()); }
}  // namespace

TEST_CASE("dota_evaluate_class: IoU exactly 0.5 is a miss (strict >), as DOTA_devkit") {
  // micro case iou_exactly_half: GT 10x10, detection 10x20 over it.
  const std::vector<double> gt = square(0, 0, 10, 10), det = square(0, 0, 10, 20);
  CHECK(polygon_iou(gt.data(), 4, det.data(), 4) == 0.5);
  const std::int64_t gi[1] = {0}, di[1] = {0};
  const double score[1] = {0.9};
  const auto r = dota_evaluate_class(di, score, det.data(), 1, gi, gt.data(), nullptr, 1);
  CHECK(r.tp[0] == 0);
  CHECK(r.fp[0] == 1);
  CHECK(r.ap_11point == 0.0);
}

TEST_CASE("dota_evaluate_class: difficult GT absorb matches; VOC07 sums p/11 in order") {
  // micro case difficult_ignored: a difficult GT at 0, a normal one at 100; detections 0.9, 0.8 on
  // the difficult one (ignored, even twice) and 0.7 on the normal one (TP).
  std::vector<double> gts, dets;
  append(gts, square(0, 0, 10, 10));
  append(gts, square(100, 0, 10, 10));
  append(dets, square(0, 0, 10, 10));
  append(dets, square(0, 0, 10, 10));
  append(dets, square(100, 0, 10, 10));
  const std::int64_t gi[2] = {0, 0}, di[3] = {0, 0, 0};
  const std::uint8_t diff[2] = {1, 0};
  const double score[3] = {0.9, 0.8, 0.7};
  const auto r = dota_evaluate_class(di, score, dets.data(), 3, gi, gts.data(), diff, 2);
  CHECK(r.npos == 1);
  CHECK(r.tp == std::vector<std::uint8_t>{0, 0, 1});
  CHECK(r.fp == std::vector<std::uint8_t>{0, 0, 0});
  CHECK(r.ap_11point == 1.0000000000000002);  // DOTA_devkit's value (expected.json)
  CHECK(r.ap_all_point_np_sum == 1.0);
}

TEST_CASE("polygon_iou: orientation does not matter; a non-convex GT is clipped by the convex one") {
  const double cw[8] = {0, 0, 10, 0, 10, 10, 0, 10};
  const double ccw[8] = {0, 0, 0, 10, 10, 10, 10, 0};
  const double shifted[8] = {5, 0, 15, 0, 15, 10, 5, 10};
  CHECK(polygon_iou(cw, 4, shifted, 4) == doctest::Approx(1.0 / 3.0).epsilon(1e-15));
  CHECK(polygon_iou(ccw, 4, shifted, 4) == polygon_iou(cw, 4, shifted, 4));
  // an arrow-head (non-convex) quadrilateral inside the square: IoU = its area / 100
  const double dart[8] = {2, 2, 8, 5, 2, 8, 4, 5};
  CHECK(!is_convex_polygon(dart, 4));
  CHECK(polygon_iou(dart, 4, cw, 4) == doctest::Approx(polygon_area(dart, 4) / 100.0).epsilon(1e-14));
  CHECK(polygon_iou(cw, 4, dart, 4) == doctest::Approx(polygon_area(dart, 4) / 100.0).epsilon(1e-14));
  const double point[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  CHECK(polygon_iou(point, 4, point, 4) == 0.0);
}
