#include <locuskit/anchor/grid_anchors.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("cell_anchors_torchvision: ratio-major, rounded half to even", T, float, double) {
  // torchvision generate_anchors: h_ratio = sqrt(ar), w = size / h_ratio, round([-w, -h, w, h] / 2).
  const double sizes[2] = {32, 5}, ratios[2] = {0.5, 1.0};
  std::vector<T> out(16);
  cell_anchors_torchvision(sizes, 2, ratios, 2, out.data());
  // Row (r=0, s=0): w = 32/sqrt(.5) = 45.25 -> ±22.6 -> 23; h = 22.6 -> ±11.3 -> 11.
  CHECK(out[0] == T(-23));
  CHECK(out[1] == T(-11));
  CHECK(out[2] == T(23));
  CHECK(out[3] == T(11));
  // Row (r=1, s=1): size 5, ratio 1 -> ±2.5 rounds half to even -> ±2.
  CHECK(out[12] == T(-2));
  CHECK(out[15] == T(2));
}

TEST_CASE_TEMPLATE("cell_anchors_detectron2: size-major, w = sqrt(s^2/a), h = a*w", T, float, double) {
  const double sizes[2] = {32, 64}, ratios[3] = {0.5, 1, 2};
  std::vector<T> out(24);
  cell_anchors_detectron2(sizes, 2, ratios, 3, out.data());
  for (int s = 0; s < 2; ++s)
    for (int r = 0; r < 3; ++r) {
      const double w = std::sqrt(sizes[s] * sizes[s] / ratios[r]), h = ratios[r] * w;
      const T* o = out.data() + 4 * (s * 3 + r);
      CHECK(o[0] == T(-w / 2));
      CHECK(o[3] == T(h / 2));
    }
}

TEST_CASE_TEMPLATE("grid_anchors: location-major shifts (x + offset) * stride", T, float, double) {
  const T cell[8] = {-1, -2, 1, 2, -3, -3, 3, 3};
  std::vector<T> out(4 * 2 * 2 * 3);
  grid_anchors(cell, 2, 2, 3, 10.0, 8.0, 0.5, out.data());
  for (std::size_t y = 0; y < 2; ++y)
    for (std::size_t x = 0; x < 3; ++x)
      for (std::size_t a = 0; a < 2; ++a) {
        const T* o = out.data() + 4 * ((y * 3 + x) * 2 + a);
        CHECK(o[0] == T((x + 0.5) * 8) + cell[4 * a]);
        CHECK(o[1] == T((y + 0.5) * 10) + cell[4 * a + 1]);
        CHECK(o[2] == T((x + 0.5) * 8) + cell[4 * a + 2]);
      }
  CHECK_THROWS_AS(grid_anchors(cell, 2, 2, 3, 0.0, 8.0, 0.0, out.data()), std::invalid_argument);
  CHECK_THROWS_AS(grid_anchors(cell, 2, 2, 3, 8.0, -1.0, 0.0, out.data()), std::invalid_argument);
}

TEST_CASE("mmdet cell anchors, octave scales, YOLO shapes, points, inside flags") {
  double scales[3];
  octave_scales(4, 3, scales);
  CHECK(scales[0] == 4);
  CHECK(scales[1] == doctest::Approx(4 * std::pow(2.0, 1.0 / 3)));
  const double ratios[1] = {1.0};
  double out[12];
  cell_anchors_mmdet(8.0, scales, 3, ratios, 1, out);
  CHECK(out[0] == -16);  // base 8 * scale 4 = 32 wide, centred at 0
  CHECK(out[2] == 16);
  const double wh[4] = {116, 90, 10, 13};
  cell_anchors_from_wh(wh, 2, 16.0, 16.0, out);
  CHECK(out[0] == 16 - 58);
  CHECK(out[3] == 16 + 45);
  const double bad_wh[2] = {0, 1};
  CHECK_THROWS_AS(cell_anchors_from_wh(bad_wh, 1, 0.0, 0.0, out), std::invalid_argument);
  const double bad_sizes[1] = {-3};
  CHECK_THROWS_AS(cell_anchors_torchvision(bad_sizes, 1, ratios, 1, out), std::invalid_argument);
  CHECK_THROWS_AS(cell_anchors_torchvision(bad_sizes, 0, ratios, 1, out), std::invalid_argument);
  float pts[6];
  grid_points<float>(1, 3, 16.0, 8.0, 0.5, pts);
  CHECK(pts[0] == 4.f);
  CHECK(pts[1] == 8.f);
  CHECK(pts[4] == 20.f);
  const float anchors[8] = {0, 0, 10, 10, -1, 0, 5, 5};
  std::uint8_t flags[2];
  anchor_inside_flags(anchors, 2, 10.0, 20.0, 0.0, flags);
  CHECK(flags[0] == 0);  // y2 = 10 is not < H = 10
  CHECK(flags[1] == 0);
  anchor_inside_flags(anchors, 2, 10.0, 20.0, 1.0, flags);
  CHECK(flags[0] == 1);
  CHECK(flags[1] == 1);
}
