// nms/batched_nms.hpp: class-aware greedy NMS.
#include <locuskit/nms/batched_nms.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "integer_boxes.hpp"
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

TEST_CASE_TEMPLATE("batched_nms: the per-class spatial grid equals the linear per-class kernel on every arch", T, float,
                   double) {
  // Class segments of >= detail::batched_sweep_min_segment boxes go through the one-row sweep grid
  // (detail::grid_segment), the small classes through the linear kernel; each segment is also run
  // directly through both grid layouts (sweep and square) and compared with the linear kernel.
  // Three inputs: clustered boxes of mixed sizes spread over a large scene (zero-size boxes,
  // duplicates), detector-like boxes with tie-heavy scores, and integer boxes (many IoUs exactly
  // on a threshold).
  NmsWorkspace<T> ws;  // shared by both paths: results must not depend on its history
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    const std::size_t n = 4400 + 97 * seed;
    std::vector<T> boxes, scores;
    if (seed == 1) {
      boxes = test::random_boxes<T>(n, seed, T(400));
      for (std::size_t i = 0; i < n; ++i) {  // spread the clusters, keep the sizes
        const T w = boxes[4 * i + 2] - boxes[4 * i], h = boxes[4 * i + 3] - boxes[4 * i + 1];
        boxes[4 * i] = boxes[4 * i] * T(8) - T(700), boxes[4 * i + 1] *= T(8);
        boxes[4 * i + 2] = boxes[4 * i] + w, boxes[4 * i + 3] = boxes[4 * i + 1] + h;
      }
      scores = tie_scores<T>(n, seed, 100000);
    } else if (seed == 2) {
      std::mt19937 rng(seed);
      std::uniform_real_distribution<double> u(0, 1);
      boxes.resize(4 * n);
      for (std::size_t i = 0; i < n; ++i) {
        const double w = 8 + 200 * u(rng), h = 8 + 200 * u(rng), x = 1000 * u(rng), y = 1000 * u(rng);
        boxes[4 * i] = T(x), boxes[4 * i + 1] = T(y), boxes[4 * i + 2] = T(x + (i % 67 == 0 ? 0 : w)),
        boxes[4 * i + 3] = T(y + h);
        if (i % 29 == 1)  // near-duplicates of the previous box
          for (int c = 0; c < 4; ++c) boxes[4 * i + c] = boxes[4 * (i - 1) + c] + T(c % 2);
      }
      scores = tie_scores<T>(n, seed, 7);
    } else {
      std::vector<T> rot;
      test::integer_boxes<T>(n, seed, boxes, rot, scores);
      for (auto& v : boxes) v *= T(6);  // a larger scene than the boxes: the grid prunes
    }
    std::mt19937 rng(seed + 100);
    std::vector<std::int64_t> cls(n);  // three classes of ~1300 boxes, ~40 of ~12
    for (auto& c : cls) c = rng() % 9 == 0 ? std::int64_t(rng() % 40) + 100 : std::int64_t(rng() % 3) - 1;
    const double thresholds[3][3] = {{0.0, 0.25, 0.5}, {0.5, 0.7, 1.0}, {0.25, 0.5, 0.7}};
    for (double thr : thresholds[seed - 1]) {
      CAPTURE(seed);
      CAPTURE(thr);
      std::vector<std::int64_t> want(n), got(n);
      NmsOptions linear;
      linear.use_grid = false;
      const std::size_t kw = batched_nms(boxes.data(), scores.data(), cls.data(), n, thr, want.data(), linear, &ws);
      std::vector<std::int64_t> sorted(n);  // rank -> input row (stable: ties by index)
      std::iota(sorted.begin(), sorted.end(), 0);
      std::stable_sort(sorted.begin(), sorted.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
      std::vector<char> want_flag(n, 0);  // by input row
      for (std::size_t i = 0; i < kw; ++i) want_flag[static_cast<std::size_t>(want[i])] = 1;
      test::for_each_arch([&](simd::arch_id) {
        const std::size_t kg = batched_nms(boxes.data(), scores.data(), cls.data(), n, thr, got.data(), {}, &ws);
        REQUIRE(kg == kw);
        REQUIRE(std::equal(want.begin(), want.begin() + kw, got.begin()));  // one assertion: fast under ASan
        // Both grid layouts directly, on each large class (ranks in the stable score order).
        std::vector<std::int64_t> ranks;
        for (const std::int64_t c : {-1, 0, 1}) {
          ranks.clear();
          for (std::size_t r = 0; r < n; ++r)
            if (cls[sorted[r]] == c) ranks.push_back(static_cast<std::int64_t>(r));
          REQUIRE(ranks.size() >= detail::batched_sweep_min_segment);
          for (const bool sweep : {true, false}) {
            CAPTURE(sweep);
            std::vector<char> flag(n, 0);  // by rank
            const bool ran = detail::grid_segment(boxes.data(), sorted.data(), ranks.data(), ranks.size(),
                                                  detail::scratch_of(ws, n), T(thr), n, flag.data(), sweep);
            if (thr >= 0.25) REQUIRE(ran);  // the grid accepts any finite boxes from 0.25 up
            if (!ran) continue;
            std::size_t differ = 0;
            for (const std::int64_t r : ranks)
              differ += flag[static_cast<std::size_t>(r)] != want_flag[static_cast<std::size_t>(sorted[r])];
            REQUIRE(differ == 0);
          }
        }
      });
      // max_output cuts the merged result as the linear path does.
      NmsOptions capped;
      capped.max_output = kw / 3;
      const std::size_t kc = batched_nms(boxes.data(), scores.data(), cls.data(), n, thr, got.data(), capped, &ws);
      REQUIRE(kc == kw / 3);
      REQUIRE(std::equal(want.begin(), want.begin() + kc, got.begin()));
    }
  }
}
