// nms/fast_nms.hpp: Fast NMS and Cluster-NMS.
#include <locuskit/nms/fast_nms.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "test_support.hpp"
#include <locuskit/nms/nms.hpp>

using namespace locuskit;

using test::tie_scores;

TEST_CASE_TEMPLATE("cluster_nms equals nms; fast_nms keeps a subset", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    const std::size_t n = seed * 11 % 200;
    const auto boxes = test::random_boxes<T>(n, seed);
    const auto scores = tie_scores<T>(n, seed, 10);
    std::vector<std::int64_t> a(n), b(n), c(n);
    const std::size_t ka = nms(boxes.data(), scores.data(), n, 0.5, a.data());
    const std::size_t kb = cluster_nms(boxes.data(), scores.data(), n, 0.5, b.data());
    REQUIRE(ka == kb);
    for (std::size_t i = 0; i < ka; ++i) CHECK(a[i] == b[i]);
    const std::size_t kc = fast_nms(boxes.data(), scores.data(), n, 0.5, c.data());
    for (std::size_t i = 0; i < kc; ++i) CHECK(std::find(a.begin(), a.begin() + ka, c[i]) != a.begin() + ka);
  }
}
