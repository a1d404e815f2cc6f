#include <locuskit/match/atss.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("atss_assign on a hand case") {
  // One level of 4 anchors on a line; gt covers anchors 1 and 2 best. topk = 3 nearest centres:
  // anchors 1, 2 (distance 2.5) and 0 or 3 (7.5, index order -> 0).
  const double anchors[16] = {0, 0, 5, 5, 5, 0, 10, 5, 10, 0, 15, 5, 15, 0, 20, 5};
  const double gt[4] = {5, 0, 15, 5};
  const std::size_t levels[1] = {4};
  std::int64_t a[4];
  double ov[4];
  atss_assign(anchors, 4, levels, 1, gt, 1, 3, a, ov);
  // Candidate IoUs 0.5, 0.5, 0: mean 1/3, unbiased std sqrt(1/12) = 0.289, threshold 0.622, so
  // no candidate is positive.
  const double mean = 1.0 / 3, sd = std::sqrt(((0.5 - mean) * (0.5 - mean) * 2 + mean * mean) / 2);
  const bool pos = 0.5 >= mean + sd;
  CHECK_FALSE(pos);
  CHECK(a[1] == 0);
  CHECK(a[2] == 0);
  CHECK(a[0] == 0);
  CHECK(a[3] == 0);
  // topk = 2: candidates 1 and 2 with IoU 0.5 each: std 0, threshold 0.5, both positive.
  atss_assign(anchors, 4, levels, 1, gt, 1, 2, a, ov);
  CHECK(a[1] == 1);
  CHECK(a[2] == 1);
  CHECK(ov[1] == 0.5);
  CHECK(ov[0] == -std::numeric_limits<double>::infinity());
  const std::size_t wrong[1] = {3};
  CHECK_THROWS_AS(atss_assign(anchors, 4, wrong, 1, gt, 1, 2, a, ov), std::invalid_argument);
}
