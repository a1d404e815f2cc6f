#include <locuskit/box/iou.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("box_iou: hand-computed pairs", T, float, double) {
  const T a[8] = {0, 0, 10, 10, 0, 0, 2, 2};
  const T b[12] = {5, 0, 15, 10, 20, 20, 30, 30, 0, 0, 10, 10};
  std::vector<T> out(6);
  box_iou(a, 2, b, 3, out.data());
  CHECK(out[0] == T(50) / T(150));  // half overlap
  CHECK(out[1] == T(0));            // disjoint
  CHECK(out[2] == T(1));            // identical
  CHECK(out[3] == T(0));            // [0,0,2,2] vs [5,0,15,10]: disjoint
  CHECK(out[5] == T(4) / T(100));   // contained
}

TEST_CASE_TEMPLATE("box_iou: degenerate pairs follow the policy", T, float, double) {
  const T zero_area[4] = {3, 3, 3, 3};
  const T line[4] = {0, 0, 10, 0};
  T out = -1;
  box_iou(zero_area, 1, zero_area, 1, &out);
  CHECK(out == T(0));
  box_iou(zero_area, 1, zero_area, 1, &out, Degenerate::nan);
  CHECK(std::isnan(out));
  box_iou(line, 1, line, 1, &out, Degenerate::one);
  CHECK(out == T(1));
  // A zero-area box against a normal one has union > 0: IoU 0 whatever the policy.
  const T normal[4] = {0, 0, 10, 10};
  box_iou(zero_area, 1, normal, 1, &out, Degenerate::nan);
  CHECK(out == T(0));
}

TEST_CASE_TEMPLATE("box_iou: every arch equals the scalar oracle bitwise, any thread count", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    const std::size_t n = 1 + seed * 7 % 61, m = 1 + seed * 13 % 517;  // odd sizes: tails and tiles
    const auto a = test::random_boxes<T>(n, seed), b = test::random_boxes<T>(m, seed + 100);
    std::vector<T> expected(n * m);
    reference::box_iou(a.data(), n, b.data(), m, expected.data());
    test::for_each_arch([&](simd::arch_id) {
      for (int threads : {1, 3}) {
        std::vector<T> got(n * m, T(-7));
        box_iou(a.data(), n, b.data(), m, got.data(), Degenerate::zero, Parallel{threads});
        for (std::size_t k = 0; k < n * m; ++k) {
          if (!test::same_bits(got[k], expected[k])) {
            FAIL_CHECK("mismatch at ", k, ": ", got[k], " vs ", expected[k]);
            break;
          }
        }
      }
    });
  }
}

TEST_CASE("box_iou: empty inputs write nothing") {
  float out = 42;
  const float a[4] = {0, 0, 1, 1};
  box_iou(a, 0, a, 1, &out);
  box_iou(a, 1, a, 0, &out);
  CHECK(out == 42);
}
