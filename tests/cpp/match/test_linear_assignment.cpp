#include <locuskit/match/linear_assignment.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
// Brute force over all injective maps of the smaller side: the independent oracle.
double brute_force(const std::vector<double>& c, std::size_t r, std::size_t k) {
  const bool t = k < r;
  const std::size_t small = t ? k : r, big = t ? r : k;
  std::vector<std::size_t> perm(big);
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  double best = std::numeric_limits<double>::infinity();
  do {
    double s = 0;
    for (std::size_t i = 0; i < small; ++i) s += t ? c[perm[i] * k + i] : c[i * k + perm[i]];
    best = std::min(best, s);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}
}  // namespace

TEST_CASE("linear_sum_assignment equals brute force on small rectangular matrices") {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> dim(1, 6), val(0, 5);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t r = static_cast<std::size_t>(dim(rng)), c = static_cast<std::size_t>(dim(rng));
    std::vector<double> cost(r * c);
    for (auto& v : cost) v = trial % 2 ? val(rng) : std::normal_distribution<double>(0, 1)(rng);
    std::vector<std::int64_t> ri(std::min(r, c)), ci(std::min(r, c));
    const std::size_t k = linear_sum_assignment(cost.data(), r, c, ri.data(), ci.data());
    REQUIRE(k == std::min(r, c));
    double total = 0;
    std::vector<int> used(c, 0);
    for (std::size_t q = 0; q < k; ++q) {
      if (q) CHECK(ri[q] > ri[q - 1]);
      CHECK(used[static_cast<std::size_t>(ci[q])]++ == 0);
      total += cost[static_cast<std::size_t>(ri[q]) * c + static_cast<std::size_t>(ci[q])];
    }
    CHECK(total == doctest::Approx(brute_force(cost, r, c)).epsilon(1e-12));
  }
}

TEST_CASE("linear_sum_assignment: maximize, inf entries, errors") {
  const double c[4] = {1, 2, 3, 4};
  std::int64_t ri[2], ci[2];
  linear_sum_assignment(c, 2, 2, ri, ci, true);
  CHECK(ci[0] == 1);  // 2 + 3 = 5 = 1 + 4: tie; both optimal
  CHECK(c[0 * 2 + ci[0]] + c[2 + ci[1]] == 5);
  const double inf = std::numeric_limits<double>::infinity();
  const double d[4] = {inf, 1, 2, inf};
  linear_sum_assignment(d, 2, 2, ri, ci);
  CHECK(ci[0] == 1);
  CHECK(ci[1] == 0);
  const double bad[4] = {inf, inf, 1, 2};
  CHECK_THROWS_AS(linear_sum_assignment(bad, 2, 2, ri, ci), std::invalid_argument);
  const double nan[1] = {std::nan("")};
  CHECK_THROWS_AS(linear_sum_assignment(nan, 1, 1, ri, ci), std::invalid_argument);
  CHECK(linear_sum_assignment(c, 0, 2, ri, ci) == 0);
}

TEST_CASE("linear_sum_assignment: a reused workspace gives the same pairs as a fresh one") {
  // Shapes grow and shrink (wide, tall, square), costs tie-heavy or continuous, minimising and
  // maximising, double and float: stale scratch from the previous call must never show through.
  std::mt19937 rng(12);
  std::uniform_int_distribution<int> dim(0, 12), val(0, 3), coin(0, 3);
  LinearAssignmentWorkspace ws;
  for (int trial = 0; trial < 4000; ++trial) {
    const std::size_t r = static_cast<std::size_t>(dim(rng)), c = static_cast<std::size_t>(dim(rng));
    const bool maximize = coin(rng) & 1, ties = coin(rng) != 0;
    std::vector<double> cost(r * c);
    for (auto& v : cost) v = ties ? (coin(rng) == 0 ? 0.0 : val(rng)) : std::normal_distribution<double>(0, 1)(rng);
    const std::size_t k = std::min(r, c);
    std::vector<std::int64_t> r1(k), c1(k), r2(k), c2(k);
    REQUIRE(linear_sum_assignment(cost.data(), r, c, r1.data(), c1.data(), maximize) == k);
    REQUIRE(linear_sum_assignment(cost.data(), r, c, r2.data(), c2.data(), maximize, ws) == k);
    CHECK(r1 == r2);
    CHECK(c1 == c2);
    if (trial % 5 == 0) {
      std::vector<float> f(cost.begin(), cost.end());
      REQUIRE(linear_sum_assignment(f.data(), r, c, r1.data(), c1.data(), maximize) == k);
      REQUIRE(linear_sum_assignment(f.data(), r, c, r2.data(), c2.data(), maximize, ws) == k);
      CHECK(r1 == r2);
      CHECK(c1 == c2);
    }
    if (trial % 97 == 0) {
      // An infeasible problem throws midway and leaves the workspace dirty.
      const double inf = std::numeric_limits<double>::infinity();
      const double bad[4] = {inf, inf, 1, 2};
      std::int64_t ri[2], ci[2];
      CHECK_THROWS_AS(linear_sum_assignment(bad, 2, 2, ri, ci, false, ws), std::invalid_argument);
    }
  }
}
