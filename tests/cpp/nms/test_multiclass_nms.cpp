// multiclass_nms with a reused MulticlassNmsWorkspace and the thread pool: results must not depend
// on the workspace's history or on the thread count (the hand-checked layout is in test_nms.cpp).
#include <locuskit/nms/multiclass_nms.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("multiclass_nms: a reused workspace and any thread count give the fresh result", T, float, double) {
  MulticlassNmsWorkspace<T> ws;
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    const std::size_t B = 1 + seed % 4, N = 40 * seed, C = 1 + seed % 5, K = 30;
    std::vector<T> boxes;
    for (std::size_t b = 0; b < B; ++b) {
      const auto bb = test::random_boxes<T>(N * C, seed * 10 + std::uint32_t(b));
      boxes.insert(boxes.end(), bb.begin(), bb.end());
    }
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> level(0, 7);
    std::vector<T> scores(B * N * C);
    for (auto& s : scores) s = T(level(rng)) / T(8);  // heavy ties
    for (bool per_class : {false, true}) {
      MulticlassNmsParams p;
      p.score_threshold = 0.2;
      p.max_total = K;
      p.max_output_per_class = seed % 2 ? 5 : 100;
      p.class_agnostic = seed % 3 == 0;
      std::vector<T> ob0(B * K * 4), os0(B * K), ob(B * K * 4), os(B * K);
      std::vector<std::int32_t> oc0(B * K), cnt0(B), oc(B * K), cnt(B);
      std::vector<std::int64_t> oi0(B * K), oi(B * K);
      multiclass_nms(boxes.data(), per_class, scores.data(), B, N, C, p, ob0.data(), os0.data(), oc0.data(),
                     oi0.data(), cnt0.data());
      for (int threads : {1, 2, 3, 8}) {
        CAPTURE(seed);
        CAPTURE(threads);
        multiclass_nms(boxes.data(), per_class, scores.data(), B, N, C, p, ob.data(), os.data(), oc.data(),
                       oi.data(), cnt.data(), Parallel{threads}, &ws);
        CHECK(cnt == cnt0);
        CHECK(oi == oi0);
        CHECK(oc == oc0);
        CHECK(os == os0);
        CHECK(ob == ob0);
      }
    }
  }
}

TEST_CASE("multiclass_nms: N x C that wraps size_t is rejected, not truncated") {
  MulticlassNmsParams p;
  const float dummy = 0;
  float ob[4], os[1];
  std::int32_t oc[1], cnt[1];
  std::int64_t oi[1];
  const std::size_t huge = std::size_t(1) << 33;  // huge * huge wraps to 2^66 mod 2^64 = 0
  CHECK_THROWS_AS(multiclass_nms(&dummy, false, &dummy, 1, huge, huge, p, ob, os, oc, oi, cnt), std::invalid_argument);
}
