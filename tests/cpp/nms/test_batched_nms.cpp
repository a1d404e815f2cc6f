// nms/batched_nms.hpp: class-aware greedy NMS.
#include <locuskit/nms/batched_nms.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

using test::tie_scores;

TEST_CASE_TEMPLATE("batched_nms: the union of per-class nms, merged by score then index", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    const std::size_t n = seed * 53 % 500;
    const auto boxes = test::random_boxes<T>(n, seed);
    const auto scores = tie_scores<T>(n, seed + 7, 8);
    std::mt19937 rng(seed);
    std::vector<std::int64_t> cls(n);
    const bool sparse = seed % 5 == 0;
    // Ids at both ends of int64 (max - min overflows int64 and the id count 2^64 wraps to 0).
    constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    const std::int64_t extreme[6] = {lo, hi, lo + 1, hi - 1, 0, -1};
    for (auto& c : cls)
      c = seed % 3 == 0 ? extreme[rng() % (seed % 2 ? 6 : 2)]
                        : std::int64_t(rng() % 6) * (sparse ? 1000000007LL : 1) - 2;
    std::vector<std::int64_t> want;
    std::vector<std::int64_t> ids(cls);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (std::int64_t c : ids) {
      std::vector<std::size_t> sel;
      for (std::size_t i = 0; i < n; ++i)
        if (cls[i] == c) sel.push_back(i);
      std::vector<T> b, s;
      for (auto i : sel) {
        b.insert(b.end(), boxes.begin() + 4 * i, boxes.begin() + 4 * i + 4);
        s.push_back(scores[i]);
      }
      std::vector<std::int64_t> k(sel.size());
      const std::size_t kk = reference::nms(b.data(), s.data(), sel.size(), 0.5, k.data());
      for (std::size_t i = 0; i < kk; ++i) want.push_back(static_cast<std::int64_t>(sel[k[i]]));
    }
    std::stable_sort(want.begin(), want.end(), [&](auto a, auto b) {
      return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
    });
    std::vector<std::int64_t> got(n);
    test::for_each_arch([&](simd::arch_id) {
      const std::size_t k = batched_nms(boxes.data(), scores.data(), cls.data(), n, 0.5, got.data());
      REQUIRE(k == want.size());
      for (std::size_t i = 0; i < k; ++i) REQUIRE(got[i] == want[i]);
    });
  }
}
