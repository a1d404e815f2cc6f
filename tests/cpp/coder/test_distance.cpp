#include <locuskit/coder/distance.hpp>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("distance coder: mmdet bbox2distance / distance2bbox", T, float, double) {
  const T pts[2] = {5, 5}, gt[4] = {0, 2, 30, 6};
  T d[4], b[4];
  distance_encode(pts, gt, 1, d, 16.0, 0.1);  // clamp to [0, 15.9]
  CHECK(d[0] == T(5));
  CHECK(d[2] == T(15.9));
  distance_encode(pts, gt, 1, d);
  CHECK(d[2] == T(25));
  distance_decode(pts, d, 1, b);
  for (int c = 0; c < 4; ++c) CHECK(b[c] == gt[c]);
  distance_decode(pts, d, 1, b, 4.0, 10.0);
  CHECK(b[2] == T(10));
  CHECK(b[3] == T(4));
}

TEST_CASE_TEMPLATE("linear coder: torchvision BoxLinearCoder round trip", T, float, double) {
  const T anchor[4] = {0, 0, 8, 8}, gt[4] = {-2, 1, 10, 6};
  T c[4], b[4];
  linear_coder_encode(anchor, gt, 1, c, true);
  CHECK(c[0] == T(6) / T(8));  // (cx - x1) / w
  linear_coder_decode(c, anchor, 1, b, true);
  for (int q = 0; q < 4; ++q) CHECK(b[q] == doctest::Approx(gt[q]));
}
