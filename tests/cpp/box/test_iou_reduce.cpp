#include <locuskit/box/iou.hpp>
#include <locuskit/box/iou_reduce.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

// Oracle: the full matrix from the scalar reference, reduced with first-index ties.
template <class T>
void reduce_oracle(const std::vector<T>& a, const std::vector<T>& b, std::vector<T>& amax,
                   std::vector<std::int64_t>& aarg, std::vector<T>& bmax, std::vector<std::int64_t>& barg,
                   Degenerate degenerate = Degenerate::zero) {
  const std::size_t n = a.size() / 4, m = b.size() / 4;
  std::vector<T> full(n * m);
  reference::box_iou(a.data(), n, b.data(), m, full.data(), degenerate);
  amax.assign(n, -INFINITY), aarg.assign(n, -1), bmax.assign(m, -INFINITY), barg.assign(m, -1);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      const T v = full[i * m + j];
      if (v > amax[i]) amax[i] = v, aarg[i] = static_cast<std::int64_t>(j);
      if (v > bmax[j]) bmax[j] = v, barg[j] = static_cast<std::int64_t>(i);
    }
}

TEST_CASE_TEMPLATE("box_iou_max equals the reduced matrix on every arch and thread count", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const std::size_t n = 1 + seed * 5 % 37, m = 1 + seed * 389 % 3001;
    const auto a = test::random_boxes<T>(n, seed), b = test::random_boxes<T>(m, seed + 50);
    std::vector<T> eamax, ebmax;
    std::vector<std::int64_t> eaarg, ebarg;
    reduce_oracle(a, b, eamax, eaarg, ebmax, ebarg);
    test::for_each_arch([&](simd::arch_id) {
      for (int threads : {1, 2, 5}) {
        std::vector<T> amax(n), bmax(m);
        std::vector<std::int64_t> aarg(n), barg(m);
        box_iou_max(a.data(), n, b.data(), m, amax.data(), aarg.data(), bmax.data(), barg.data(),
                    Degenerate::zero, Parallel{threads});
        CHECK(amax == eamax);
        CHECK(aarg == eaarg);
        CHECK(bmax == ebmax);
        CHECK(barg == ebarg);
      }
    });
  }
}

TEST_CASE("box_iou_max: ties go to the first index; empty sides give -inf/-1") {
  const float gts[8] = {0, 0, 10, 10, 0, 0, 10, 10};  // identical gts: every anchor ties
  const float anchors[4] = {0, 0, 10, 10};
  float amax[2], bmax[1];
  std::int64_t aarg[2], barg[1];
  box_iou_max(gts, 2, anchors, 1, amax, aarg, bmax, barg);
  CHECK(barg[0] == 0);
  CHECK(aarg[0] == 0);
  CHECK(aarg[1] == 0);
  box_iou_max(gts, 2, anchors, 0, amax, aarg, bmax, barg);
  CHECK(aarg[0] == -1);
  CHECK(std::isinf(amax[1]));
  box_iou_max(gts, 0, anchors, 1, amax, aarg, bmax, barg);
  CHECK(barg[0] == -1);
  // Only one side wanted.
  box_iou_max(gts, 2, anchors, 1, static_cast<float*>(nullptr), nullptr, bmax, barg);
  CHECK(bmax[0] == 1.0f);
}

// Found by tests/fuzz/fuzz_iou: with degenerate = nan a zero-area box gives NaN IoUs, and the SIMD
// max (SSE/AVX max returns its second operand on NaN) let a later NaN erase a lane's best value.
TEST_CASE_TEMPLATE("box_iou_max: NaN IoUs never win, on every arch", T, float, double) {
  std::vector<T> a = {3, 3, 3, 3};  // a point: IoU 0/0 = NaN with the point boxes below
  std::vector<T> b;
  for (int j = 0; j < 24; ++j) {
    const bool big = j == 1;  // contains the point: IoU 0 / area = 0, the only non-NaN value
    b.insert(b.end(), {T(big ? -4 : 6), T(big ? -4 : 6), T(6), T(big ? 27 : 6)});
  }
  std::vector<T> eamax, ebmax;
  std::vector<std::int64_t> eaarg, ebarg;
  reduce_oracle(a, b, eamax, eaarg, ebmax, ebarg, Degenerate::nan);
  REQUIRE(eaarg[0] == 1);
  REQUIRE(eamax[0] == T(0));
  test::for_each_arch([&](simd::arch_id) {
    for (int threads : {1, 3}) {
      std::vector<T> amax(1), bmax(24);
      std::vector<std::int64_t> aarg(1), barg(24);
      box_iou_max(a.data(), 1, b.data(), 24, amax.data(), aarg.data(), bmax.data(), barg.data(), Degenerate::nan,
                  Parallel{threads});
      CHECK(aarg == eaarg);
      CHECK(amax == eamax);
      CHECK(barg == ebarg);
    }
  });
}
