// nms/weighted_nms.hpp: the kept set of nms, each kept box the score-weighted mean of its cluster.
#include <locuskit/nms/nms.hpp>
#include <locuskit/nms/weighted_nms.hpp>

#include <cstdint>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("weighted_nms: clusters merged by score weight, by hand; kept set = nms", T, float, double) {
  // IoU(0, 1) = 0.5 (> 0.4: one cluster), box 2 alone.
  const T boxes[12] = {0, 0, 10, 10, 0, 0, 10, 5, 20, 20, 30, 30};
  const T scores[3] = {T(0.75), T(0.25), T(0.5)};
  std::int64_t keep[3];
  T out[12];
  REQUIRE(weighted_nms(boxes, scores, 3, 0.4, keep, out) == 2);
  CHECK(keep[0] == 0);
  CHECK(keep[1] == 2);
  // (0.75 * (0,0,10,10) + 0.25 * (0,0,10,5)) / 1 = (0, 0, 10, 8.75)
  CHECK(out[0] == T(0));
  CHECK(out[2] == T(10));
  CHECK(out[3] == T(8.75));
  for (int c = 0; c < 4; ++c) CHECK(out[4 + c] == boxes[8 + c]);
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    const std::size_t n = seed * 37 % 300;
    const auto b = test::random_boxes<T>(n, seed);
    std::vector<T> s(n), fused(4 * n);
    for (std::size_t i = 0; i < n; ++i) s[i] = T((i * 5 + seed) % 13) / T(13);
    std::vector<std::int64_t> a(n), w(n);
    const std::size_t ka = nms(b.data(), s.data(), n, 0.5, a.data());
    REQUIRE(weighted_nms(b.data(), s.data(), n, 0.5, w.data(), fused.data()) == ka);
    for (std::size_t i = 0; i < ka; ++i) CHECK(a[i] == w[i]);
  }
}
