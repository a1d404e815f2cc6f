#include <locuskit/track/association.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit::track;

namespace {
// Oracle: every partial matching using only pairs with cost < L, priced as lap's extended matrix
// (each unmatched row or column costs L / 2). Exhaustive over rows.
double best(const std::vector<double>& c, std::size_t n, std::size_t m, double L, std::size_t row,
            std::vector<char>& used) {
  if (row == n) {
    double s = 0;
    for (std::size_t j = 0; j < m; ++j) s += used[j] ? 0 : L / 2;
    return s;
  }
  double b = L / 2 + best(c, n, m, L, row + 1, used);
  for (std::size_t j = 0; j < m; ++j)
    if (!used[j] && c[row * m + j] < L) {
      used[j] = 1;
      b = std::min(b, c[row * m + j] + best(c, n, m, L, row + 1, used));
      used[j] = 0;
    }
  return b;
}
}  // namespace

TEST_CASE("iou_plus_one: cython_bbox's +1 pixel convention") {
  const double a[4] = {0, 0, 9, 9}, b[4] = {5, 5, 14, 14}, far[4] = {20, 20, 30, 30};
  CHECK(iou_plus_one(a, b) == doctest::Approx(25.0 / 175.0));
  CHECK(iou_plus_one(a, a) == 1.0);
  CHECK(iou_plus_one(a, far) == 0.0);
  const double touching[4] = {9, 0, 18, 9};  // shares one pixel column: iw = 1
  CHECK(iou_plus_one(a, touching) == doctest::Approx(10.0 / 190.0));
}

TEST_CASE("overlap_distance with +1 equals 1 - iou_plus_one bit for bit (the scalar oracle)") {
  const std::vector<double> a = locuskit::test::random_boxes<double>(37, 3, 50.0);
  std::vector<double> b(a.begin(), a.begin() + 4 * 29);  // shifted copies: every b_j overlaps a_j
  for (double& v : b) v += 1.5;
  std::vector<double> out(37 * 29);
  overlap_distance(a.data(), 37, b.data(), 29, out.data(), AssociationMetric::iou, true);
  int overlapping = 0;
  for (std::size_t i = 0; i < 37; ++i)
    for (std::size_t j = 0; j < 29; ++j) {
      const double iou = iou_plus_one(a.data() + 4 * i, b.data() + 4 * j);
      overlapping += iou > 0;
      CHECK(out[i * 29 + j] == 1.0 - iou);
    }
  CHECK(overlapping > 20);
}

TEST_CASE("assign_with_cost_limit equals the extended-matrix optimum (brute force)") {
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n = rng() % 5, m = rng() % 5;
    const double L = 0.2 + 0.7 * u(rng);
    std::vector<double> c(n * m);
    for (double& v : c) v = u(rng) < 0.4 ? 1.0 : u(rng);  // many "no overlap" entries
    std::vector<std::int64_t> rm(n), cm(m);
    assign_with_cost_limit(c.data(), n, m, L, rm.data(), cm.data());
    double total = 0;
    std::size_t matched = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (rm[i] >= 0) {
        const auto j = static_cast<std::size_t>(rm[i]);
        REQUIRE(cm[j] == static_cast<std::int64_t>(i));
        CHECK(c[i * m + j] < L);
        total += c[i * m + j];
        ++matched;
      }
    total += (L / 2) * static_cast<double>(n + m - 2 * matched);
    std::vector<char> used(m, 0);
    CAPTURE(trial);
    CHECK(total == doctest::Approx(best(c, n, m, L, 0, used)).epsilon(1e-12));
  }
}

TEST_CASE("assign_with_cost_limit: a pair at exactly the limit is not taken; NaN never") {
  const double c[2] = {0.8, std::numeric_limits<double>::quiet_NaN()};
  std::int64_t rm[2], cm[1];
  assign_with_cost_limit(c, 2, 1, 0.8, rm, cm);
  CHECK(rm[0] == -1);
  CHECK(rm[1] == -1);
  CHECK(cm[0] == -1);
  assign_with_cost_limit(c, 2, 1, 0.9, rm, cm);
  CHECK(rm[0] == 0);
}

TEST_CASE("overlap_distance: plain IoU, +1 IoU and GIoU costs") {
  const double a[4] = {0, 0, 10, 10}, b[8] = {5, 0, 15, 10, 20, 0, 30, 10};
  double out[2];
  overlap_distance(a, 1, b, 2, out, AssociationMetric::iou, false);
  CHECK(out[0] == doctest::Approx(1 - 50.0 / 150.0));
  CHECK(out[1] == 1.0);
  overlap_distance(a, 1, b, 2, out, AssociationMetric::giou, false);
  CHECK(out[1] == doctest::Approx(1 - (0 - (300.0 - 200.0) / 300.0)));
  overlap_distance(a, 1, b, 2, out, AssociationMetric::iou, true);
  CHECK(out[0] == doctest::Approx(1 - 66.0 / 176.0));
}
