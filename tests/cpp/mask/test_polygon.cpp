// mask/polygon.hpp: pycocotools rleFrPoly / rleFrBbox strings (poly.*, bbox.ndarray fixtures).
#include <doctest/doctest.h>

#include <locuskit/mask/polygon.hpp>
#include <locuskit/mask/rle_string.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace {
std::string poly(std::initializer_list<double> xy, std::size_t h, std::size_t w) {
  const std::vector<double> v(xy);
  return locuskit::rle_to_string(locuskit::rle_from_polygon(v.data(), v.size() / 2, h, w).counts);
}
}  // namespace

TEST_CASE("mask polygon: squares, half-pixel offsets and orientation give pycocotools' strings") {
  CHECK(poly({5, 5, 15, 5, 15, 15, 5, 15}, 20, 20) == "Y3::00000000000000000o2");      // poly.square_int
  CHECK(poly({4.5, 4.5, 14.5, 4.5, 14.5, 14.5, 4.5, 14.5}, 20, 20) == "Y3::00000000000000000o2");
  CHECK(poly({4.1, 4.1, 14.1, 4.1, 14.1, 14.1, 4.1, 14.1}, 20, 20) == "d2::00000000000000000d3");
  CHECK(poly({5, 5, 5, 15, 15, 15, 15, 5}, 20, 20) == "Y3::00000000000000000o2");      // clockwise
  CHECK(poly({10.0, 10.0, 30.0, 12.5, 18.2, 27.9}, 40, 40) ==
        "j<1W12N2N3N1N2N2N2N2NN2O1O2M2O1O1N2O1O1N^=");                                   // poly.triangle
  CHECK(poly({2, 2, 18, 18, 18, 2, 2, 18}, 20, 20) == "Z1?6N2N2N2N2N2N2N10O2N2N2N2N2N2N2U1");  // bow-tie
  CHECK(poly({-0.3, -0.3, 6.29, -0.3, 6.29, 6.31}, 10, 10) == ":191O2N1O1W1");          // negative rounding
}

TEST_CASE("mask polygon: degenerate, sub-pixel and outside polygons are empty") {
  CHECK(poly({1, 1, 8, 8, 1, 1}, 10, 10) == "T3");
  CHECK(poly({4, 4, 4, 4, 4, 4}, 10, 10) == "T3");
  CHECK(poly({4.9, 4.9, 5.1, 4.9, 5.1, 5.1, 4.9, 5.1}, 12, 12) == "`4");
  CHECK(poly({1.0, 5.0, 18.0, 5.0, 18.0, 5.4, 1.0, 5.4}, 12, 20) == "`7");
}

TEST_CASE("mask polygon: boxes go through the polygon path (bbox.ndarray)") {
  const double boxes[][4] = {{0, 0, 5, 5}, {2.3, 1.7, 6.2, 3.9}, {-3, -3, 8, 8}, {15, 2, 10, 3}, {0.4, 0.4, 0.2, 0.2}};
  const char* expected[] = {"0570000000d5", "j04800000000000R4", "0570000000d5", "f5390000000N", "01_7"};
  for (int i = 0; i < 5; ++i)
    CHECK(locuskit::rle_to_string(locuskit::rle_from_bbox(boxes[i], 12, 20).counts) == expected[i]);
}

TEST_CASE("mask polygon: non-finite or huge coordinates throw") {
  const double nan_xy[6] = {0, 0, std::numeric_limits<double>::quiet_NaN(), 1, 2, 2};
  CHECK_THROWS_AS(locuskit::rle_from_polygon(nan_xy, 3, 10, 10), std::invalid_argument);
  const double huge[6] = {0, 0, 1e12, 1, 2, 2};
  CHECK_THROWS_AS(locuskit::rle_from_polygon(huge, 3, 10, 10), std::invalid_argument);
}
