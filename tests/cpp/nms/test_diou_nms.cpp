// nms/diou_nms.hpp: DIoU-NMS against hand-computed criteria; the rotated instance against the
// axis-aligned one and the rotated reference NMS.
#include <locuskit/nms/diou_nms.hpp>
#include <locuskit/nms/nms.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "nms/integer_boxes.hpp"
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

TEST_CASE_TEMPLATE("diou_nms<RotatedIoU>: equals the axis-aligned DIoU-NMS on boxes at 0 / 180 degrees", T, float,
                   double) {
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    std::vector<T> xyxy, rot, s;
    locuskit::test::integer_boxes<T>(150, seed, xyxy, rot, s);
    const std::size_t n = s.size();
    for (double thr : {-0.2, 0.0, 0.3, 0.6}) {
      for (double beta : {0.6, 1.0}) {
        std::vector<std::int64_t> want(n), got(n);
        want.resize(diou_nms(xyxy.data(), s.data(), n, thr, beta, want.data()));
        BasicDiouNmsParams<RotatedIoU> p;
        p.iou_threshold = thr, p.beta = beta;
        got.resize(diou_nms(NmsInputs<T>{rot.data(), s.data(), n}, p, NmsOutputs<T>{got.data()}));
        CHECK(got == want);
      }
    }
  }
}

TEST_CASE_TEMPLATE("diou_nms<RotatedIoU>: a vanishing penalty (huge beta) is the rotated reference NMS", T, float,
                   double) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> pos(0, 60), size(2, 20), ang(-180, 180), sc(0, 1);
  const std::size_t n = 200;
  std::vector<T> boxes, scores;
  for (std::size_t i = 0; i < n; ++i) {
    boxes.insert(boxes.end(), {T(pos(rng)), T(pos(rng)), T(size(rng)), T(size(rng)), T(ang(rng))});
    scores.push_back(T(sc(rng)));
  }
  for (double thr : {0.1, 0.3, 0.5}) {
    std::vector<std::int64_t> want(n), got(n);
    want.resize(reference::nms(boxes.data(), scores.data(), n, thr, want.data(), IouRule::torchvision, RotatedIoU{}));
    BasicDiouNmsParams<RotatedIoU> p;
    p.iou_threshold = thr;
    p.beta = 1e6;  // (rho^2 / c^2)^beta underflows to 0 for every overlapping pair
    got.resize(diou_nms(NmsInputs<T>{boxes.data(), scores.data(), n}, p, NmsOutputs<T>{got.data()}));
    CHECK(got == want);
    p.max_output = 3;
    CHECK(diou_nms(NmsInputs<T>{boxes.data(), scores.data(), n}, p, NmsOutputs<T>{got.data()}) ==
          std::min<std::size_t>(3, want.size()));
    CHECK(std::equal(got.begin(), got.begin() + 3, want.begin()));
  }
}
