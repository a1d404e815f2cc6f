#include <locuskit/anchor/ssd_priors.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("ssd_scales follow torchvision's linear rule plus 1.0") {
  const auto s = ssd_scales(6);
  REQUIRE(s.size() == 7);
  CHECK(s[0] == doctest::Approx(0.15));
  CHECK(s[5] == doctest::Approx(0.9));
  CHECK(s[6] == 1.0);
  CHECK(ssd_scales(1) == std::vector<double>{0.15, 0.9});
}

TEST_CASE_TEMPLATE("ssd_priors_level: [s,s], [s',s'], [s*sqrt(ar), s/sqrt(ar)] and the swap", T, float, double) {
  const double scales[3] = {0.2, 0.5, 1.0}, ratios[1] = {2.0};
  std::vector<T> out(4 * 6 * 2);
  ssd_priors_level(scales, 3, 0, ratios, 1, 1, 2, 100.0, 200.0, 0.0, true, out.data());
  // Location (0, 0): centre (0.25, 0.5) relative, i.e. (50, 50) px; first prior s = 0.2 -> 40 x 20 px.
  CHECK(out[0] == doctest::Approx(50 - 20));
  CHECK(out[1] == doctest::Approx(50 - 10));
  const double sp = std::sqrt(0.2 * 0.5);  // s' = sqrt(s_k s_{k+1})
  CHECK(out[4] == doctest::Approx((0.25 - sp / 2) * 200).epsilon(1e-6));
  const double w = 0.2 * std::sqrt(2.0), h = 0.2 / std::sqrt(2.0);
  CHECK(out[8] == doctest::Approx((0.25 - w / 2) * 200).epsilon(1e-6));
  CHECK(out[13] == doctest::Approx((0.5 - w / 2) * 100).epsilon(1e-6));  // swapped: height w
  CHECK(out[9] == doctest::Approx((0.5 - h / 2) * 100).epsilon(1e-6));
  CHECK_THROWS_AS(ssd_priors_level(scales, 3, 2, ratios, 1, 1, 2, 100.0, 200.0, 0.0, true, out.data()),
                  std::invalid_argument);
}
