// nms/nms.hpp: greedy NMS against the scalar oracle, the grid, documented edge behaviour.
#include <locuskit/nms/nms.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

using test::tie_scores;

TEST_CASE_TEMPLATE("nms: every arch equals the scalar oracle (torchvision's loop)", T, float, double) {
  NmsWorkspace<T> ws;  // reused across calls: results must not depend on its history
  for (std::uint32_t seed = 1; seed <= 24; ++seed) {
    const std::size_t n = seed * 37 % 500;
    const auto boxes = test::random_boxes<T>(n, seed, T(seed % 3 == 0 ? 10 : 100));
    const auto scores = tie_scores<T>(n, seed, seed % 2 ? 4 : 1000);
    for (double thr : {seed % 2 ? 0.0 : 1.0, 0.3, 0.6, seed % 3 ? 0.85 : -0.5}) {
      std::vector<std::int64_t> want(n), got(n);
      const std::size_t kw = reference::nms(boxes.data(), scores.data(), n, thr, want.data());
      test::for_each_arch([&](simd::arch_id) {
        const std::size_t kg = nms(boxes.data(), scores.data(), n, thr, got.data(), {}, &ws);
        REQUIRE(kg == kw);
        for (std::size_t i = 0; i < kw; ++i) REQUIRE(got[i] == want[i]);
      });
    }
  }
}

namespace {
/// nms with the default (grid where it applies) keeps exactly what the linear kernel keeps, on
/// every arch.
template <class T>
void require_grid_equals_linear(const std::vector<T>& boxes, const std::vector<T>& scores, double thr,
                                NmsWorkspace<T>& ws) {
  const std::size_t n = scores.size();
  std::vector<std::int64_t> want(n), got(n);
  NmsOptions linear;
  linear.use_grid = false;
  const std::size_t kw = nms(boxes.data(), scores.data(), n, thr, want.data(), linear, &ws);
  test::for_each_arch([&](simd::arch_id) {
    const std::size_t kg = nms(boxes.data(), scores.data(), n, thr, got.data(), {}, &ws);
    REQUIRE(kg == kw);
    for (std::size_t i = 0; i < kw; ++i) REQUIRE(got[i] == want[i]);
  });
}
}  // namespace

TEST_CASE_TEMPLATE("nms: the spatial grid (large N) equals the linear kernel on every arch", T, float, double) {
  NmsWorkspace<T> ws;
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    const std::size_t n = 4096 + seed * 331;
    // Mixed extents: tiny and huge boxes, negative coordinates, duplicates, zero-size boxes.
    auto boxes = test::random_boxes<T>(n, seed, T(seed % 2 ? 1000 : 50));
    // Spread the clusters over a scene 30x larger (so the grid is used), keeping the box sizes.
    for (std::size_t i = 0; i < n; ++i) {
      const T w = boxes[4 * i + 2] - boxes[4 * i], h = boxes[4 * i + 3] - boxes[4 * i + 1];
      boxes[4 * i] *= T(30), boxes[4 * i + 1] *= T(30);
      boxes[4 * i + 2] = boxes[4 * i] + w, boxes[4 * i + 3] = boxes[4 * i + 1] + h;
    }
    for (std::size_t i = 0; i < n; i += 97) boxes[4 * i + 2] += T(300 * (seed % 3));  // a few huge
    if (seed % 3 == 0)
      for (auto& v : boxes) v -= T(500);
    const auto scores = tie_scores<T>(n, seed, seed % 2 ? 50 : 100000);
    for (double thr : {seed == 1 ? 0.0 : 0.7, 0.5}) {
      require_grid_equals_linear(boxes, scores, thr, ws);
    }
  }
}

TEST_CASE_TEMPLATE("nms: the score order (bucket sort for spread scores) equals the stable radix sort", T, float,
                   double) {
  // score_order sorts evenly spread scores with one counting pass into buckets; skewed, tied,
  // tiny, huge, NaN and infinite scores must give exactly the radix sort's order.
  int bucketed = 0;
  for (std::uint32_t seed = 0; seed < 140; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    const std::size_t n = 1 + rng() % 3000;
    std::vector<T> s(n);
    for (auto& v : s) {
      const double x = u(rng);
      switch (seed % 7) {
        case 0: v = T(x); break;
        case 1: v = T(std::floor(x * 50) / 50); break;  // ties
        case 2: v = T(x * x * x * x); break;            // skewed
        case 3: v = T((x - 0.5) * 1e-30); break;        // tiny, both signs
        case 4: v = rng() % 5 == 0 ? T(x) : (rng() % 2 ? T(-0.0) : T(0.0)); break;
        case 5: v = T(1e30 * (x - 0.5)); break;
        default: v = T(0.5) + T(x * 1e-6); break;       // within a few ulps
      }
    }
    if (seed % 11 == 0 && n > 3) s[n / 2] = std::numeric_limits<T>::quiet_NaN();
    if (seed % 13 == 0 && n > 3) s[n / 3] = -std::numeric_limits<T>::infinity();
    NmsWorkspace<T> ws(n);
    detail::NmsScratch<T>& w = detail::scratch_of(ws, n);
    std::vector<std::int64_t> got(n), want(n);
    detail::score_order(s.data(), n, got.data(), w);
    for (std::size_t i = 0; i < n; ++i) {
      w.keys_[i] = detail::descending_score_key(s[i]);
      want[i] = static_cast<std::int64_t>(i);
    }
    detail::radix_sort_pairs(w.keys_.data(), want.data(), n, w.keys_tmp_.data(), w.order_tmp_.data());
    CAPTURE(seed);
    REQUIRE(got == want);
    bucketed += n >= 64 && detail::bucket_score_order(s.data(), n, got.data(), w);
  }
  CHECK(bucketed > 20);  // the bucket path ran
}

TEST_CASE_TEMPLATE("nms: the grid on detector-sized boxes (threshold >= 0.25) equals the linear kernel", T, float,
                   double) {
  // Boxes 1-30% of the scene (too large for the intersection grid): the grid is used because a
  // kept box can only suppress boxes centred within (1 - threshold) of its size. Integer
  // coordinates (half the seeds) put many IoUs exactly on the thresholds.
  NmsWorkspace<T> ws;
  for (std::uint32_t seed = 1; seed <= 2; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    const std::size_t n = 4200, objects = 150;
    std::vector<double> cx(objects), cy(objects), ow(objects), oh(objects);
    for (std::size_t o = 0; o < objects; ++o)
      cx[o] = 1024 * u(rng), cy[o] = 1024 * u(rng), ow[o] = 10 + 300 * u(rng), oh[o] = 10 + 300 * u(rng);
    std::vector<T> boxes(4 * n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t o = rng() % objects;
      double x = cx[o] + (u(rng) - 0.5) * 0.3 * ow[o], y = cy[o] + (u(rng) - 0.5) * 0.3 * oh[o];
      double w = ow[o] * (0.7 + 0.6 * u(rng)), h = oh[o] * (0.7 + 0.6 * u(rng));
      if (seed == 2) x = std::round(x), y = std::round(y), w = std::round(w), h = std::round(h);
      if (i % 61 == 0) w = 0;  // zero-size boxes
      boxes[4 * i] = T(x - w / 2), boxes[4 * i + 1] = T(y - h / 2), boxes[4 * i + 2] = T(x + w / 2),
      boxes[4 * i + 3] = T(y + h / 2);
      if (i % 53 == 1)  // exact duplicates
        for (int c = 0; c < 4; ++c) boxes[4 * i + c] = boxes[4 * (i - 1) + c];
    }
    const auto scores = tie_scores<T>(n, seed, 300);
    for (double thr : {0.25, 0.5, 0.6, 0.75, 0.9, 1.0}) {
      CAPTURE(thr);
      require_grid_equals_linear(boxes, scores, thr, ws);
    }
  }
}

TEST_CASE_TEMPLATE("nms: documented unchecked behaviour (NaN scores, negative thresholds, rules)", T, float, double) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T boxes[12] = {0, 0, 10, 10, 0, 0, 10, 10, 20, 20, 30, 30};
  std::int64_t keep[3];
  {  // A NaN score sorts first, as in torchvision.
    const T scores[3] = {T(0.9), nan, T(0.1)};
    REQUIRE(nms(boxes, scores, 3, 0.5, keep) == 2);
    CHECK(keep[0] == 1);
    CHECK(keep[1] == 2);
  }
  {  // A NaN box never suppresses nor is suppressed.
    const T nb[12] = {0, 0, 10, 10, nan, 0, 10, 10, 0, 0, 10, 10};
    const T scores[3] = {T(0.9), T(0.8), T(0.7)};
    REQUIRE(nms(nb, scores, 3, 0.5, keep) == 2);
    CHECK(keep[0] == 0);
    CHECK(keep[1] == 1);
  }
  {  // threshold < 0: only the top box survives (IoU 0 > thr).
    const T scores[3] = {T(0.1), T(0.2), T(0.3)};
    REQUIRE(nms(boxes, scores, 3, -0.1, keep) == 1);
    CHECK(keep[0] == 2);
  }
  {  // IoU exactly 0.6 in float32: torchvision suppresses (f32(0.6) > 0.6); cuda rule keeps.
    const T pair[8] = {0, 0, 10, 1, 0, 0, 6, 1};
    const T scores[2] = {T(0.9), T(0.8)};
    const std::size_t tv = nms(pair, scores, 2, 0.6, keep);
    CHECK(tv == (std::is_same_v<T, float> ? 1u : 2u));
    CHECK(nms(pair, scores, 2, 0.6, keep, NmsOptions{IouRule::cuda}) == 2);
    const T half[8] = {0, 0, 2, 1, 0, 0, 1, 1};
    CHECK(nms(half, scores, 2, 0.5, keep) == 2);
    CHECK(nms(half, scores, 2, 0.5, keep, NmsOptions{IouRule::greater_equal}) == 1);
  }
  CHECK(nms<T>(nullptr, nullptr, 0, 0.5, keep) == 0);
}
